package reliability

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
)

// FuzzGraphQLDocument sends arbitrary documents and variables, with the
// demo owner's key, to the real GraphQL handler on a seeded demo database.
// Whatever comes in, the answer is never a 5xx nor an internal error (a
// recovered panic would be one), it comes within the request deadline, and
// nothing is written to the histories (the owner's key has no write scope,
// and reads write nothing).
func FuzzGraphQLDocument(f *testing.F) {
	f.Add(eventTypeHistoryQuery, `{"id":"2","first":3}`)
	f.Add(`{ __typename }`, `{}`)

	cfg := testConfig()
	const deadline = 2 * time.Second
	cfg.RequestTimeout = deadline
	store, keys := openSeeded(f, filepath.Join(f.TempDir(), "auditgraph.db"), db.Options{})
	s, err := wire.Server(cfg, store, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	key := keys["owner"]
	before := countRows(f, store)
	checkNothingWritten := func(tb testing.TB) {
		tb.Helper()
		after := countRows(tb, store)
		for table, n := range before {
			if after[table] != n {
				tb.Fatalf("%s went from %d to %d rows: a read wrote", table, n, after[table])
			}
		}
	}
	f.Cleanup(func() { checkNothingWritten(f) })
	var runs atomic.Int64

	f.Fuzz(func(t *testing.T, query, variables string) {
		body := `{"query":` + quoteJSON(query) + `,"variables":` + variables + `}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(deadline + 5*time.Second):
			t.Fatalf("no answer within %s to %q with variables %q", deadline+5*time.Second, query, variables)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q with variables %q: %s", rec.Code, query, variables, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), model.CodeInternal) {
			t.Fatalf("internal error for %q with variables %q: %s", query, variables, rec.Body.String())
		}
		if runs.Add(1)%200 == 0 {
			checkNothingWritten(t)
		}
	})
}

// quoteJSON makes s a JSON string, invalid UTF-8 included (as the fuzzer
// sends it: the handler must cope with what a client could send).
func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			const hex = "0123456789abcdef"
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
