package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
)

// TestImportOrder: entries are validated in parallel, but a directory line
// still applies to the lines after it and to none before it, and rejections
// are listed in line order.
func TestImportOrder(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		const n = 700 // several chunks of lines
		var nd bytes.Buffer
		entry := func(i int) {
			fmt.Fprintf(&nd, `{"kind":"memberChangeLog","organizationId":%d,"timestamp":"2026-04-01T00:00:%02d.%03dZ","actorId":"5000","action":"UPDATED","resourceType":"ASSISTANT","resourceId":"t%d"}`+"\n",
				seed.AcmeID, i%60, i%1000, i)
		}
		for i := range n {
			entry(i) // the actor does not exist yet
		}
		fmt.Fprintf(&nd, `{"kind":"user","id":5000,"email":"late@acme.example","name":"Late"}`+"\n")
		fmt.Fprintf(&nd, `{"kind":"membership","id":5000,"userId":5000,"role":"MEMBER","organizationId":%d}`+"\n", seed.AcmeID)
		for i := n; i < 2*n; i++ {
			entry(i)
		}
		// A kind written with an escape is read the slow way, and still counts.
		fmt.Fprintf(&nd, `{"kind":"member\u0043hangeLog","organizationId":%d,"timestamp":"2026-04-02T00:00:00Z","actorId":"5000","action":"UPDATED","resourceType":"ASSISTANT","resourceId":"escaped"}`+"\n", seed.AcmeID)
		sum, err := ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd.Bytes()), ingest.ImportOptions{BatchSize: 300})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rejected != n || sum.Directory != 2 || sum.TotalImported() != n+1 || sum.Lines != 2*n+3 {
			t.Fatalf("summary: %d lines, %d rejected, %d directory, %d imported", sum.Lines, sum.Rejected, sum.Directory, sum.TotalImported())
		}
		for i, r := range sum.Rejections {
			if r.Line != i+1 || r.Kind != ingest.KindMemberChangeLog || r.Field != "actorId" {
				t.Fatalf("rejection %d: %+v", i, r)
			}
		}
		// Again: the lines rejected before the user existed are valid now;
		// the rest are duplicates.
		sum, err = ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd.Bytes()), ingest.ImportOptions{BatchSize: 300})
		if err != nil {
			t.Fatal(err)
		}
		if sum.TotalImported() != n || sum.Duplicates != n+1 || sum.Rejected != 0 {
			t.Fatalf("second import: %d imported, %d duplicates, %d rejected", sum.TotalImported(), sum.Duplicates, sum.Rejected)
		}
		sum, err = ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd.Bytes()), ingest.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.TotalImported() != 0 || sum.Duplicates != 2*n+1 || sum.Rejected != 0 {
			t.Fatalf("third import: %d imported, %d duplicates, %d rejected", sum.TotalImported(), sum.Duplicates, sum.Rejected)
		}
	})
}
