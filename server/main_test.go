package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"
	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// The template database holds the migrated schema and the seeded demo, so
// every test clones a ready demo in milliseconds.
func TestMain(m *testing.M) {
	pgtest.SetTemplate(seed.Template)
	os.Exit(pgtest.Main(m))
}

// Demo identifiers used across the tests.
const (
	acmePublicID   = "org_acme7f3k2q9x1b5m8n4v"
	globexPublicID = "org_globex2w6r9t1y5u8i3o"
	carolPublicID  = "usr_demo0000000000000003"
)

// env is a server on a fresh clone of the seeded demo database.
type env struct {
	t      *testing.T
	db     *db.DB
	store  *db.Store
	srv    *server.Server
	ts     *httptest.Server
	keys   map[string]string // role -> secret
	keyIDs map[string]int64
}

// keyRoles are the demo roles (as seed.Run makes them) plus "frank", the
// plain member assigned the managed child, and "etread", an owner key
// limited to the EVENT_TYPE_READ scope.
var keyRoles = []struct {
	role   string
	user   int64
	org    *int64
	scopes []string
}{
	{"owner", seed.OwnerUserID, nil, nil},
	{"admin", seed.AdminUserID, nil, nil},
	{"member", seed.MemberUserID, nil, nil},
	{"auditor", seed.AuditorUserID, nil, nil},
	{"outsider", seed.OutsiderUserID, nil, nil},
	{"writer", seed.OwnerUserID, ptr(seed.AcmeID), []string{model.ScopeWrite}},
	{"frank", seed.NoRoleUserID, nil, nil},
	{"etread", seed.OwnerUserID, nil, []string{model.ScopeEventTypeRead}},
}

func ptr[T any](v T) *T { return &v }

// newEnv starts a server on a fresh seeded database. edit, if not nil,
// adjusts the configuration (rate limiting is off by default: the paging
// tests send hundreds of requests with one key).
func newEnv(t *testing.T, edit func(*server.Config)) *env {
	t.Helper()
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	e := &env{t: t, db: d, store: db.NewStore(d),
		keys: map[string]string{}, keyIDs: map[string]int64{}}
	ctx := context.Background()
	for _, kr := range keyRoles {
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "test " + kr.role,
			UserID: kr.user, OrganizationID: kr.org, Scopes: kr.scopes}
		if err := e.store.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		e.keys[kr.role], e.keyIDs[kr.role] = secret, k.ID
	}
	cfg := server.Defaults()
	cfg.RateLimit = 0
	if edit != nil {
		edit(&cfg)
	}
	if e.srv, err = wire.Server(cfg, e.store, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	t.Cleanup(e.srv.Close)
	return e
}

// client is gqlgen's test client on the real handler, sending key as a
// bearer token ("" sends no credentials).
func (e *env) client(key string) *client.Client {
	c := client.New(e.srv.Handler(), func(r *client.Request) {
		if key != "" {
			r.HTTP.Header.Set("Authorization", "Bearer "+key)
		}
	})
	c.SetCustomTarget("/graphql")
	return c
}

// gqlResponse is a GraphQL response kept whole: data as raw JSON, errors
// decoded.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Status int             `json:"-"`
	Body   string          `json:"-"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends one operation over HTTP with the given headers and returns the
// response whatever its status.
func (e *env) post(headers map[string]string, query string, vars map[string]any) *gqlResponse {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) *gqlResponse {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &gqlResponse{Status: resp.StatusCode, Body: string(raw)}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return out
}

// query sends an operation with role's key as a bearer token.
func (e *env) query(role, query string, vars map[string]any) *gqlResponse {
	e.t.Helper()
	return e.post(map[string]string{"Authorization": "Bearer " + e.keys[role]}, query, vars)
}

// statements runs fn and returns how many SQL statements it cost.
func (e *env) statements(fn func()) int64 {
	before := e.db.Statements()
	fn()
	return e.db.Statements() - before
}

// rowCounts counts the rows of the tables a read must never change.
func (e *env) rowCounts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs",
		"api_keys", "users", "organizations", "memberships", "event_types"} {
		var n int
		if err := e.db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Scan(context.Background(), &n); err != nil {
			e.t.Fatalf("counting %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// quietKeys stops the once-a-minute key use writes, so statement counts
// are those of the reads alone.
func (e *env) quietKeys() {
	e.t.Helper()
	_, err := e.db.NewUpdate().TableExpr("api_keys").Set("last_used_at = ?", time.Now().Add(24*time.Hour)).
		Where("1 = 1").Exec(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
