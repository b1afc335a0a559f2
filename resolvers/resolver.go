// Package resolvers implements the GraphQL schema of package graph: field
// resolvers, the access directives, pagination, and the mapping of domain
// errors to GraphQL errors. Access and visibility rules themselves live in
// model (access.go, visibility.go, write_access.go); the directives and
// visibility.go here only fetch the facts a rule needs and ask it.
//
// It must not import the HTTP server or the database implementation.
package resolvers

import (
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/live"
	"github.com/auditgraph/auditgraph/model"
)

// Resolver is the root resolver: the store and what every request shares.
// cmd/ builds it (internal/wire) and hands its Schema to the HTTP server.
type Resolver struct {
	Store  model.Store
	Logger *slog.Logger
	// PageSizes bounds the connections' pages; the zero value means
	// model.DefaultPageSizes.
	PageSizes model.PageSizes
	// Live is the process's fan-out of new entries, LiveReader what it
	// reads them with; without them subscriptions are refused.
	Live       *live.Hub
	LiveReader LiveReader

	entries entryCache
}

// Schema is the executable schema on r: graph's, with the access
// directives, each field's cost (bounded by r.PageSizes) and the fast
// history pages. Build it once: every call wraps a new schema.
func (r *Resolver) Schema() graphql.ExecutableSchema {
	cfg := graph.Config{Resolvers: r, Directives: r.Directives()}
	SetComplexity(&cfg.Complexity, r.PageSizes)
	return FastPages(graph.NewExecutableSchema(cfg))
}
