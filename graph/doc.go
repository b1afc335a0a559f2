// Package graph is the GraphQL schema (schema/*.graphqls, the source of
// truth) and the executable code generated from it (generated.go). Run
// `make generate` after editing the schema; never edit generated files.
package graph

//go:generate go tool gqlgen generate
