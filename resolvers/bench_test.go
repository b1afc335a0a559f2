package resolvers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/cputime"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(seed.Template)
	os.Exit(pgtest.Main(m))
}

// pageQuery is the event type history page of the load benchmark: every
// field of the entries, the FieldValue union included.
const pageQuery = `query EventTypeHistory($id: ID!, $first: Int) {
  eventTypeHistory(eventTypeId: $id, first: $first) {
    edges { cursor node {
      id action type timestamp source
      actor { type displayName displayEmail displayAvatar }
      impersonatedBy { displayName displayEmail displayAvatar }
      actionDisplayTitle
      displayFields { label fieldValue { __typename
        ... on RawValue { value }
        ... on RawValues { values }
        ... on ValueChange { previous next }
        ... on Diff { previous next } } }
      displayJson hasError } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

type benchEnv struct {
	srv   *server.Server
	store *db.Store
	key   string
	owner *model.User
}

func newBenchEnv(b testing.TB) *benchEnv {
	b.Helper()
	d, err := db.Open(pgtest.NewDatabase(b), db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	cfg := server.Defaults()
	cfg.RateLimit = 0 // a benchmark is one key sending as fast as it can
	srv, err := wire.Server(cfg, store, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	owner, err := store.UserByID(ctx, seed.OwnerUserID)
	if err != nil {
		b.Fatal(err)
	}
	secret := model.NewKeySecret()
	if err := store.CreateAPIKey(ctx, &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: owner.ID}); err != nil {
		b.Fatal(err)
	}
	return &benchEnv{srv: srv, store: store, key: secret, owner: owner}
}

// BenchmarkEventTypeHistoryPage runs the page through the GraphQL executor
// in process: resolvers, access directive, store and rendering, no HTTP.
func BenchmarkEventTypeHistoryPage(b *testing.B) {
	e := newBenchEnv(b)
	k, err := e.store.APIKeyByHash(context.Background(), model.HashKey(e.key))
	if err != nil {
		b.Fatal(err)
	}
	ctx := model.WithPrincipal(context.Background(), &model.Principal{User: e.owner, Key: k})
	vars := map[string]any{"id": strconv.FormatInt(seed.TeamEventTypeID, 10), "first": model.DefaultPageSize}
	b.ReportAllocs()
	cpu := cputime.Process()
	n := 0
	for b.Loop() {
		resp := e.srv.Execute(ctx, pageQuery, vars)
		if len(resp.Errors) > 0 {
			b.Fatal(resp.Errors)
		}
		n++
	}
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(n), "cpu-ns/op")
}

// BenchmarkEventTypeHistoryPageHTTP adds the HTTP handler: middleware,
// API key authentication, JSON in and out.
func BenchmarkEventTypeHistoryPageHTTP(b *testing.B) {
	e := newBenchEnv(b)
	body, _ := json.Marshal(map[string]any{"query": pageQuery,
		"variables": map[string]any{"id": strconv.FormatInt(seed.TeamEventTypeID, 10), "first": model.DefaultPageSize}})
	h := e.srv.Handler()
	b.ReportAllocs()
	size := 0
	cpu := cputime.Process()
	n := 0
	for b.Loop() {
		n++
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("HTTP %d: %.300s", rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(size), "response-bytes")
}
