package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A shortcut that leans on gqlgen's output: when a request's context ends
// before its operation runs, gqlgen's HTTP transports write the bare JSON
// literal null, and the in-process executor returns no response at all.
// Both are turned into a coded SERVICE_UNAVAILABLE error here and in
// Server.Execute. TestGqlgenAnswersNullWhenTheContextEnded (deadline_test.go)
// fails if gqlgen stops writing null, so this cannot silently stop working.

// timedOut is the error of a request whose deadline ran out before its
// operation could run.
func timedOut() *gqlerror.Error {
	return &gqlerror.Error{Message: "the request took too long", Extensions: map[string]any{"code": model.CodeUnavailable}}
}

// deadlineGuard stands between gqlgen's HTTP transports and the client:
// when the request's context has ended before execution began, gqlgen writes
// the bare JSON literal null (its end-of-stream signal); the guard answers a
// coded SERVICE_UNAVAILABLE error instead.
type deadlineGuard struct {
	http.ResponseWriter
	ctx   context.Context
	wrote bool
}

func (g *deadlineGuard) Write(b []byte) (int, error) {
	if !g.wrote {
		g.wrote = true
		if g.ctx.Err() != nil && string(bytes.TrimSpace(b)) == "null" {
			body, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{timedOut()}})
			if _, err := g.ResponseWriter.Write(body); err != nil {
				return 0, err
			}
			return len(b), nil
		}
	}
	return g.ResponseWriter.Write(b)
}

func (g *deadlineGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }
