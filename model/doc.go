// Package model is auditgraph's domain: the directory and history types, the
// cursor codec, the one error type with a code, and the store interfaces that
// the database layer implements.
//
// It must never import the database (bun, drivers), HTTP or GraphQL packages:
// everything else depends on it, it depends on nothing of ours but model/display.
package model
