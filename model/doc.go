// Package model is auditgraph's domain: the directory and history types, the
// cursor codec, the one error type with a code, the store interfaces that
// the database layer implements, and every access rule: who reads which
// history and the existence rule (access.go), who sees which directory
// record (visibility.go), what a write key may create, link and change
// (write_access.go), and what text is bad input (text.go). The rules take
// facts and the principal and decide; callers fetch the facts and ask.
//
// It must never import the database (bun, drivers), HTTP or GraphQL packages:
// everything else depends on it, it depends on nothing of ours but model/display.
package model
