package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/server"
)

// FuzzRESTRequests sends arbitrary path segments, query strings, bodies and
// header values to the three REST endpoints of the real handler, on a
// seeded SQLite demo, with the demo owner's key. endpoint picks the route
// (0 attribute history, 1 event type history, 2 change logs) and, with its
// bit 2, the other method. Whatever comes in: no panic, no 5xx, an answer
// within the request deadline, valid JSON in the envelope of the path's
// prefix, and nothing written to the histories.
func FuzzRESTRequests(f *testing.F) {
	f.Add(uint8(0), "1", "3", "limit=5", "", "")
	f.Add(uint8(1), "2", "", "limit=5", "", "2024-06-14")
	f.Add(uint8(2), acmePublicID, carolPublicID, "", `{"take":5}`, "")

	cfg := server.Defaults()
	cfg.RateLimit = 0
	const deadline = 2 * time.Second
	cfg.RequestTimeout = deadline
	ctx := context.Background()
	d, err := db.Open(filepath.Join(f.TempDir(), "auditgraph.db"), db.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := wire.Server(cfg, store, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	key := res.Keys["owner"]

	counts := func(tb testing.TB) map[string]int64 {
		tb.Helper()
		out := map[string]int64{}
		for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs"} {
			n, err := store.DB().NewSelect().TableExpr(table).Count(ctx)
			if err != nil {
				tb.Fatalf("count %s: %v", table, err)
			}
			out[table] = int64(n)
		}
		return out
	}
	before := counts(f)
	checkNothingWritten := func(tb testing.TB) {
		tb.Helper()
		for table, n := range counts(tb) {
			if n != before[table] {
				tb.Fatalf("%s went from %d to %d rows: a read wrote", table, before[table], n)
			}
		}
	}
	f.Cleanup(func() { checkNothingWritten(f) })
	var runs atomic.Int64

	f.Fuzz(func(t *testing.T, endpoint uint8, a, b, query, body, header string) {
		var method, target string
		switch endpoint % 3 {
		case 0:
			method, target = http.MethodGet, "/v2/organizations/"+a+"/attributes/assignments/"+b+"/history"
		case 1:
			method, target = http.MethodGet, "/v2/event-types/"+a+"/history"
		default:
			method, target = http.MethodPost, "/v1/organizations/"+a+"/users/"+b+"/change-logs"
		}
		if endpoint&4 != 0 {
			method = map[string]string{http.MethodGet: http.MethodPost, http.MethodPost: http.MethodGet}[method]
		}
		if query != "" {
			target += "?" + query
		}
		// What cannot be sent as a request line is not the handler's to answer.
		if strings.ContainsAny(target, " \t\r\n#") || strings.IndexFunc(target, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Skip()
		}
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil || req.URL.Host != "" || !strings.HasPrefix(req.URL.Path, "/") {
			t.Skip()
		}
		req.RequestURI = target
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+key)
		version := header
		if endpoint%3 == 1 && endpoint&8 == 0 {
			version = "2024-06-14"
		}
		req.Header["Cal-Api-Version"] = []string{version}
		req.Header["X-Request-Id"] = []string{header}

		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(deadline + 5*time.Second):
			t.Fatalf("no answer to %s %q within %s", method, target, deadline+5*time.Second)
		}
		resp := rec.Result()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q (version %q, body %q): status %d: %s", method, target, header, body, resp.StatusCode, raw)
		}
		p := req.URL.Path
		if resp.StatusCode == http.StatusMovedPermanently || resp.StatusCode == http.StatusTemporaryRedirect ||
			resp.StatusCode == http.StatusPermanentRedirect {
			// The mux sends a path that is not clean to its clean form;
			// nothing is answered for it.
			if path.Clean(p) == p && !strings.HasSuffix(p, "/") {
				t.Fatalf("%s %q: redirect %d of a clean path to %q", method, target, resp.StatusCode, resp.Header.Get("Location"))
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("%s %q (version %q, body %q): status %d, not JSON: %q", method, target, header, body, resp.StatusCode, raw)
		}
		if method == http.MethodGet || method == http.MethodPost {
			checkEnvelope(t, p, resp.StatusCode, raw)
		}
		if runs.Add(1)%200 == 0 {
			checkNothingWritten(t)
		}
	})
}

// checkEnvelope checks that an answer is in the envelope of its path's
// prefix: /v2 is Cal.com's, /v1 the change logs service's.
func checkEnvelope(t *testing.T, p string, status int, raw []byte) {
	t.Helper()
	var v map[string]json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %d answer is not an object: %s", p, status, raw)
	}
	switch {
	case strings.HasPrefix(p, "/v2/"):
		var r struct {
			Status string `json:"status"`
			Error  *struct {
				Code    string `json:"code"`
				Details struct {
					StatusCode int `json:"statusCode"`
				} `json:"details"`
			} `json:"error"`
		}
		json.Unmarshal(raw, &r)
		if status == http.StatusOK {
			if r.Status != "success" || v["data"] == nil {
				t.Fatalf("%s: 200 not in the /v2 success envelope: %s", p, raw)
			}
			return
		}
		if r.Status != "error" || r.Error == nil || r.Error.Code == "" || r.Error.Details.StatusCode != status {
			t.Fatalf("%s: %d not in the /v2 error envelope: %s", p, status, raw)
		}
	case strings.HasPrefix(p, "/v1/"):
		var r struct {
			Success *bool `json:"success"`
			Error   *struct {
				Code   string `json:"code"`
				Status int    `json:"status"`
			} `json:"error"`
		}
		json.Unmarshal(raw, &r)
		if status == http.StatusOK {
			if v["logs"] == nil || v["total_count"] == nil {
				t.Fatalf("%s: 200 not in the /v1 answer: %s", p, raw)
			}
			return
		}
		if r.Success == nil || *r.Success || r.Error == nil || r.Error.Code == "" || r.Error.Status != status {
			t.Fatalf("%s: %d not in the /v1 error envelope: %s", p, status, raw)
		}
	}
}
