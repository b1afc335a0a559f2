package rest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// Demo records the tests add to the seeded data, to have histories that are
// empty: a member with no entry of any history, an event type never changed.
const (
	quietUserID        int64 = 21
	quietUserPublicID        = "usr_demo0000000000000021"
	unchangedEventType int64 = 8
)

const (
	acmePublicID  = "org_acme7f3k2q9x1b5m8n4v"
	carolPublicID = "usr_demo0000000000000003"
	erinPublicID  = "usr_demo0000000000000005" // Globex, not in Acme
)

// The template is the migrated, seeded demo plus the empty-history records;
// every test clones it.
func TestMain(m *testing.M) {
	pgtest.SetTemplate(func(ctx context.Context, dsn string) error {
		d, err := db.Open(dsn, db.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		if _, err := d.Migrate(ctx); err != nil {
			return err
		}
		s := db.NewStore(d)
		if _, err := seed.Run(ctx, s); err != nil {
			return err
		}
		name, acme, eng := "Quinn Quiet", seed.AcmeID, seed.EngineeringTeamID
		if err := s.UpsertUser(ctx, &model.User{ID: quietUserID, PublicID: quietUserPublicID, Email: "quinn@acme.example", Name: &name}); err != nil {
			return err
		}
		if err := s.UpsertMembership(ctx, &model.Membership{ID: 100 + quietUserID, UserID: quietUserID, OrganizationID: &acme, Role: model.RoleMember}); err != nil {
			return err
		}
		return s.UpsertEventType(ctx, &model.EventType{ID: unchangedEventType, Title: "Quiet sync", Slug: "quiet-sync", TeamID: &eng})
	})
	os.Exit(pgtest.Main(m))
}

// fixture is a server on a fresh clone of the template, with one key per role.
type fixture struct {
	store *db.Store
	url   string
	keys  map[string]string
}

var roleUsers = map[string]int64{
	"owner": seed.OwnerUserID, "admin": seed.AdminUserID, "member": seed.MemberUserID,
	"auditor": seed.AuditorUserID, "outsider": seed.OutsiderUserID,
}

func newFixture(t *testing.T, cfg server.Config) *fixture {
	t.Helper()
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	f := &fixture{store: db.NewStore(d), keys: map[string]string{}}
	for role, user := range roleUsers {
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "test " + role, UserID: user}
		if err := f.store.CreateAPIKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		f.keys[role] = secret
	}
	// The owner's keys that are refused: one past its expiry, one revoked,
	// and one whose secret lacks the cal_ prefix (valid where prefixes are
	// not checked).
	past := time.Now().Add(-time.Hour)
	for _, role := range []string{"expired", "revoked", "noprefix"} {
		secret := model.NewKeySecret()
		if role == "noprefix" {
			secret = strings.TrimPrefix(secret, "cal_")
		}
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "test " + role, UserID: seed.OwnerUserID}
		if role == "expired" {
			k.ExpiresAt = &past
		}
		if err := f.store.CreateAPIKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		if role == "revoked" {
			if err := f.store.RevokeAPIKey(context.Background(), k.ID, past); err != nil {
				t.Fatal(err)
			}
		}
		f.keys[role] = secret
	}
	srv, err := wire.Server(cfg, f.store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// testConfig is the default configuration with rate limits no test reaches
// (keys' and anonymous callers' alike).
func testConfig() server.Config {
	cfg := server.Defaults()
	cfg.RateLimit, cfg.RateBurst = 10_000, 10_000
	cfg.AnonymousRateLimit, cfg.AnonymousRateBurst = 10_000, 10_000
	return cfg
}

// request is one REST call as the tests describe it.
type request struct {
	method string
	path   string
	// role names the key sent; "" sends none, "unknown" an unknown key.
	role    string
	version string // cal-api-version; "" sends none
	body    string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, rq request) response {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(method, f.url+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.version != "" {
		req.Header.Set("cal-api-version", rq.version)
	}
	key := f.keys[rq.role]
	if rq.role == "unknown" {
		key = "cal_00000000000000000000000000000000"
	}
	if key != "" {
		// The /v2 clients send a bearer token, the /v1 clients X-API-Key.
		if strings.HasPrefix(rq.path, "/v1/") {
			req.Header.Set("X-API-Key", key)
		} else {
			req.Header.Set("Authorization", "Bearer "+key)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}
