// Package gqlmodel holds the Go types of the GraphQL schema: the generated
// ones (models_gen.go, never edited) and the few written by hand because they
// carry behaviour (scalars, connections that count lazily, Member).
//
// It must not import the database or HTTP packages.
package gqlmodel
