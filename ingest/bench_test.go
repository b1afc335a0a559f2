package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

// importSizeVar sets the entries per import of BenchmarkImport:
//
//	AUDITGRAPH_IMPORT_ENTRIES=1000000 go test -run '^$' -bench BenchmarkImport -benchtime=1x ./ingest/
const importSizeVar = "AUDITGRAPH_IMPORT_ENTRIES"

// writeImportFile writes n history entries over the seeded demo: attribute
// changes of Acme members, event type changes given as snapshots (so the
// payload is computed) and member change logs, in turn.
func writeImportFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "import.ndjson")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	members := []int64{seed.OwnerUserID, seed.AdminUserID, seed.MemberUserID, seed.AuditorUserID, seed.NoRoleUserID, 7, 8, 9}
	depts := []string{"opt_engineering", "opt_sales", "opt_support"}
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		user := strconv.FormatInt(members[i%len(members)], 10)
		var rec map[string]any
		switch i % 3 {
		case 0:
			rec = map[string]any{"kind": "attributeChange", "organizationId": seed.AcmeID, "timestamp": ts, "userId": user,
				"source": "DSYNC", "actor": map[string]any{"type": "APP", "ref": "okta", "name": "Okta SCIM"},
				"sourceContext": map[string]any{"run": i / 1000},
				"attributeId":   "attr_dept", "previous": map[string]any{"optionId": depts[i%3]},
				"current": map[string]any{"optionId": depts[(i+1)%3], "weight": float64(i % 100)}}
		case 1:
			before := map[string]any{"title": fmt.Sprintf("Sync %d", i), "length": 30, "hidden": false,
				"locations": []any{map[string]any{"type": "integrations:daily"}}}
			after := map[string]any{"title": fmt.Sprintf("Sync %d", i+1), "length": 45, "hidden": false,
				"locations": []any{map[string]any{"type": "integrations:daily"}, map[string]any{"type": "inPerson", "address": "Main St"}}}
			rec = map[string]any{"kind": "eventTypeChange", "organizationId": seed.AcmeID, "timestamp": ts,
				"eventTypeId": seed.TeamEventTypeID, "action": "EVENT_TYPE_MODIFIED", "source": "API_V2",
				"actor":  map[string]any{"type": "USER", "ref": "1", "name": "Alice Owner", "email": "alice@acme.example"},
				"before": before, "after": after}
		default:
			rec = map[string]any{"kind": "memberChangeLog", "organizationId": seed.AcmeID, "timestamp": ts, "actorId": user,
				"action": "updated", "resourceType": "organization_user", "resourceId": "usr_demo0000000000000003",
				"resourceName": "Carol Member", "changes": []any{map[string]any{"field": "status_id", "old_value": "a", "new_value": "b"}}}
		}
		if err := enc.Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImport imports the entries into a fresh seeded PostgreSQL
// database per iteration and reports entries per second.
func BenchmarkImport(b *testing.B) {
	n := 100000
	if v := os.Getenv(importSizeVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", importSizeVar, v)
		}
	}
	path := writeImportFile(b, n)
	ctx := context.Background()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d, err := db.Open(pgtest.NewDatabase(b), db.Options{})
		if err != nil {
			b.Fatal(err)
		}
		store := db.NewStore(d)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		sum, err := ingest.Import(ctx, store, store, f, ingest.ImportOptions{})
		total += time.Since(start)
		b.StopTimer()
		f.Close()
		d.Close()
		if err != nil {
			b.Fatal(err)
		}
		if sum.TotalImported() != int64(n) || sum.Rejected != 0 {
			b.Fatalf("imported %d of %d, rejected %d: %v", sum.TotalImported(), n, sum.Rejected, sum.Rejections)
		}
	}
	rate := float64(n) * float64(b.N) / total.Seconds()
	b.ReportMetric(rate, "entries/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d entries per import: %.0f entries/s", n, rate)
}
