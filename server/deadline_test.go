package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// TestGqlgenAnswersNullWhenTheContextEnded guards deadlineGuard and
// Server.Execute: they rely on gqlgen writing the bare literal null (HTTP)
// and returning no response (in process) for a request whose context ended
// before execution. If gqlgen answers otherwise, the first check fails and
// the guard must be rewritten.
func TestGqlgenAnswersNullWhenTheContextEnded(t *testing.T) {
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s, err := wire.Server(server.Defaults(), db.NewStore(d), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := server.GraphQLWith(s, transport.GET{}, transport.POST{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	requests := map[string]func() *http.Request{
		"GET": func() *http.Request {
			return httptest.NewRequestWithContext(ctx, http.MethodGet, "/graphql?query=%7B__typename%7D", nil)
		},
		"POST": func() *http.Request {
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
	}
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			raw := httptest.NewRecorder()
			h.ServeHTTP(raw, req())
			if got := strings.TrimSpace(raw.Body.String()); got != "null" {
				t.Fatalf("gqlgen answered %q for an ended context, want null: deadlineGuard no longer applies", got)
			}
			guarded := httptest.NewRecorder()
			h.ServeHTTP(server.GuardDeadline(guarded, ctx), req())
			var body struct {
				Errors []struct {
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(guarded.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 ||
				body.Errors[0].Extensions["code"] != model.CodeUnavailable {
				t.Errorf("guarded answer %s, want one %s error", guarded.Body, model.CodeUnavailable)
			}
		})
	}
	resp := s.Execute(ctx, "{ __typename }", nil)
	if resp == nil || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != model.CodeUnavailable {
		t.Errorf("Execute with an ended context: %+v", resp)
	}
}
