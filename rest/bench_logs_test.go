package rest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// benchHandler is the server on a fresh clone of the demo, without a rate
// limit, with an owner's key.
func benchHandler(b *testing.B) (http.Handler, *db.Store, string) {
	ctx := context.Background()
	d, err := db.Open(pgtest.NewDatabase(b), db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	secret := model.NewKeySecret()
	if err := store.CreateAPIKey(ctx, &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: seed.OwnerUserID}); err != nil {
		b.Fatal(err)
	}
	cfg := server.Defaults()
	cfg.RateLimit = 0
	srv, err := wire.Server(cfg, store, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), store, secret
}

// BenchmarkLogsPage runs the two endpoints whose logs are decoded and
// written again (attribute history, change logs) through the handler, a
// full page each. cpu-ns/op is the process's CPU per request.
func BenchmarkLogsPage(b *testing.B) {
	h, _, secret := benchHandler(b)
	for _, c := range []struct{ name, method, path, body string }{
		{"attribute-history", http.MethodGet, "/v2/organizations/1/attributes/assignments/3/history?limit=50", ""},
		{"change-logs", http.MethodPost, "/v1/organizations/" + acmePublicID + "/users/" + carolPublicID + "/change-logs", `{"take":100}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu, n := cputime.Process(), 0
			for b.Loop() {
				n++
				req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
				req.Header.Set("Authorization", "Bearer "+secret)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %.300s", rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(cputime.Process()-cpu)/float64(n), "cpu-ns/op")
		})
	}
}
