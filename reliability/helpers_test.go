package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/server"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(db.MigrateURL)
	os.Exit(pgtest.Main(m))
}

// env is a running server on a seeded database.
type env struct {
	url   string
	store *db.Store
	keys  map[string]string // demo keys by role
	srv   *httptest.Server
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testConfig is the default configuration without rate limiting, so that
// tests not about it are not throttled.
func testConfig() server.Config {
	cfg := server.Defaults()
	cfg.RateLimit = 0
	return cfg
}

// openSeeded opens url (migrating a SQLite file), seeds the demo data and
// returns the store and the demo keys.
func openSeeded(t testing.TB, url string, opt db.Options) (*db.Store, map[string]string) {
	t.Helper()
	d, err := db.Open(url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.Dialect == db.SQLite {
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	store := db.NewStore(d)
	res, err := seed.Run(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	return store, res.Keys
}

// start runs the server on store behind an httptest server.
func start(t testing.TB, cfg server.Config, store *db.Store, keys map[string]string, logger *slog.Logger) *env {
	t.Helper()
	s, err := wire.Server(cfg, store, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(s.Close)
	return &env{url: hs.URL, store: store, keys: keys, srv: hs}
}

func sqliteEnv(t testing.TB, cfg server.Config, logger *slog.Logger) *env {
	t.Helper()
	store, keys := openSeeded(t, filepath.Join(t.TempDir(), "auditgraph.db"), db.Options{})
	return start(t, cfg, store, keys, logger)
}

func postgresEnv(t testing.TB, cfg server.Config, opt db.Options, logger *slog.Logger) *env {
	t.Helper()
	store, keys := openSeeded(t, pgtest.NewDatabase(t), opt)
	return start(t, cfg, store, keys, logger)
}

// gqlResponse is a decoded GraphQL answer.
type gqlResponse struct {
	Status int
	Header http.Header
	Raw    []byte
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// codes lists the extensions.code of every error.
func (r *gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

// post sends one GraphQL request with key (none if empty).
func post(ctx context.Context, client *http.Client, url, key, query string, vars map[string]any) (*gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	return postRaw(ctx, client, url, key, body)
}

func postRaw(ctx context.Context, client *http.Client, url, key string, body []byte) (*gqlResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := &gqlResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Valid(raw) {
		_ = json.Unmarshal(raw, out)
	}
	return out, nil
}

// mustPost is post for the test goroutine, bounded by a generous deadline.
func mustPost(t testing.TB, e *env, key, query string, vars map[string]any) *gqlResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := post(ctx, http.DefaultClient, e.url, key, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var teamEventType = strconv.FormatInt(seed.TeamEventTypeID, 10)

const eventTypeHistoryQuery = `query($id: ID!, $first: Int) {
  eventTypeHistory(eventTypeId: $id, first: $first) {
    edges { cursor node { id actionDisplayTitle timestamp } }
    pageInfo { hasNextPage endCursor }
  }
}`

// countRows returns the number of rows of each history table.
func countRows(t testing.TB, store *db.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs"} {
		n, err := store.DB().NewSelect().TableExpr(table).Count(context.Background())
		if err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = int(n)
	}
	return out
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
