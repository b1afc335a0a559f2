package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
	"github.com/auditgraph/auditgraph/server"
)

// TestPostJSONAnswersAsGqlgen sends the same requests through gqlgen's POST
// transport and through postJSON: status, media type and the decoded
// document must be the same, for data, errors with data, requests that fail
// before execution, and every Accept header.
func TestPostJSONAnswersAsGqlgen(t *testing.T) {
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	s, err := wire.Server(server.Defaults(), store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := store.UserByID(context.Background(), seed.OwnerUserID)
	if err != nil {
		t.Fatal(err)
	}
	withPOST := server.GraphQLWith(s, transport.POST{})
	withRaw := server.GraphQLWith(s, server.PostJSON)

	page := `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 3) {
	  edges { cursor node { id action actionDisplayTitle displayJson
	    displayFields { label fieldValue { __typename ... on ValueChange { previous next } ... on RawValue { value } } } } }
	  pageInfo { hasNextPage endCursor } } }`
	requests := []struct {
		name, body, accept string
		principal          bool
	}{
		{"page", `{"query":` + quote(page) + `,"variables":{"id":"2"}}`, "", true},
		{"unauthenticated", `{"query":` + quote(page) + `,"variables":{"id":"2"}}`, "", false},
		{"error and data", `{"query":"{ viewer { id } eventTypeHistory(eventTypeId: \"999999\") { totalCount } }"}`, "", true},
		{"typename", `{"query":"{ __typename }"}`, "application/graphql-response+json", false},
		{"accept any", `{"query":"{ __typename }"}`, "*/*", false},
		{"accept json", `{"query":"{ __typename }"}`, "text/html, application/json", false},
		{"accept other", `{"query":"{ __typename }"}`, "text/html", false},
		{"invalid query", `{"query":"{ nope }"}`, "", false},
		{"invalid query, graphql-response", `{"query":"{ nope }"}`, "application/graphql-response+json", false},
		{"syntax error", `{"query":"{ viewer { "}`, "", false},
		{"bad json", `{"query":`, "", false},
		{"wrong types", `{"query":1}`, "", false},
		{"html in variables", `{"query":"query($id: ID!) { eventTypeHistory(eventTypeId: $id) { totalCount } }","variables":{"id":"<b>&"}}`, "", true},
	}
	for _, rq := range requests {
		t.Run(rq.name, func(t *testing.T) {
			answer := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(rq.body))
				req.Header.Set("Content-Type", "application/json")
				if rq.accept != "" {
					req.Header.Set("Accept", rq.accept)
				}
				ctx := resolvers.WithLoaders(req.Context())
				if rq.principal {
					ctx = model.WithPrincipal(ctx, &model.Principal{User: owner})
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req.WithContext(ctx))
				return rec
			}
			want, got := answer(withPOST), answer(withRaw)
			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
				t.Errorf("status %d %q, gqlgen answers %d %q", got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
			}
			var w, g any
			if err := json.Unmarshal(want.Body.Bytes(), &w); err != nil {
				t.Fatalf("gqlgen's answer is not JSON: %s", want.Body)
			}
			if err := json.Unmarshal(got.Body.Bytes(), &g); err != nil {
				t.Fatalf("the answer is not JSON: %s", got.Body)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("answer\n%s\ngqlgen answers\n%s", got.Body, want.Body)
			}
			if rq.name == "page" && !strings.Contains(got.Body.String(), `"edges":[{`) {
				t.Errorf("no entries in the page: %s", got.Body)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
