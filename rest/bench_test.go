package rest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/cputime"
	"github.com/auditgraph/auditgraph/model"
)

// BenchmarkEventTypeHistoryPage runs GET /v2/event-types/{id}/history through
// the handler: the first page, and a page after the 100th entry (the id
// form of the cursor). cpu-ns/op is the process's CPU per request, which
// leaves out the time spent waiting for the database.
func BenchmarkEventTypeHistoryPage(b *testing.B) {
	ctx := context.Background()
	h, store, secret := benchHandler(b)
	page, err := store.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: seed.TeamEventTypeID}, model.PageArgs{Limit: 100})
	if err != nil || len(page.Items) < 100 {
		b.Fatalf("the demo event type has %d entries (%v), want 100", len(page.Items), err)
	}
	for _, c := range []struct{ name, query string }{
		{"first", "limit=25"},
		{"deep", "limit=25&cursor=" + page.Items[99].ID},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu, n := cputime.Process(), 0
			for b.Loop() {
				n++
				req := httptest.NewRequest(http.MethodGet, "/v2/event-types/"+strconv.FormatInt(seed.TeamEventTypeID, 10)+"/history?"+c.query, nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("cal-api-version", "2024-06-14")
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
