// Package gqlmodel holds the Go types of the GraphQL schema: the generated
// ones (models_gen.go, never edited) and the few written by hand because they
// carry behaviour (scalars, connections that count lazily, Member) or embed
// the stored history entries (entries.go). The
// write inputs are not here: they are package ingest's records (inputs.go).
//
// It must not import the database or HTTP packages.
package gqlmodel
