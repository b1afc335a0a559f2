package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

// Hooks of the external tests into the GraphQL engine, so that the guards
// of gqlgen's behaviour run on a server built as it is served.

// PostJSON is the endpoint's POST transport.
var PostJSON graphql.Transport = postJSON{}

// GraphQLWith is gqlgen's handler on s's schema with the endpoint's
// configuration and only the given transports.
func GraphQLWith(s *Server, transports ...graphql.Transport) http.Handler {
	h := handler.New(s.schema)
	for _, t := range transports {
		h.AddTransport(t)
	}
	s.configure(h)
	return h
}

// GuardDeadline is w behind the endpoint's deadlineGuard for ctx.
func GuardDeadline(w http.ResponseWriter, ctx context.Context) http.ResponseWriter {
	return &deadlineGuard{ResponseWriter: w, ctx: ctx}
}
