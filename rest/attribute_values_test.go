package rest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
)

// The attribute history's logs are decoded and written again rather than
// passed through as GraphQL wrote them (see attributeLog): a source context
// stored with its producer's spaces is written compact, and a weight as
// JSON.stringify writes it. This test holds REST to both, and shows that
// GraphQL writes them otherwise: when it no longer does, the logs could
// pass through.
func TestAttributeHistoryWritesValuesAsTheDocument(t *testing.T) {
	f := newFixture(t, testConfig())
	weight := 1e6
	attr := "attr_dept"
	_, err := ingest.RecordAttributeChanges(context.Background(), f.store, seed.AcmeID, []ingest.AttributeEntry{{
		UserID: "3", Source: "INTEGRATION", Actor: ingest.Actor{Type: "SYSTEM"},
		SourceContext: json.RawMessage(`{"note": "spaced",  "n": 1.50}`),
		AttributeID:   &attr, Current: &ingest.AttributeValue{OptionID: "opt_sales", Weight: &weight},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := f.do(t, request{path: attributePath + "?limit=1", role: "admin"})
	body := string(r.body)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, body)
	}
	for _, want := range []string{`"sourceContext":{"note":"spaced","n":1.50}`, `"weight":1000000}`} {
		if !strings.Contains(body, want) {
			t.Errorf("REST body lacks %s: %s", want, body)
		}
	}
	gql := string(f.graphql(t, "admin", `{ attributeAssignmentHistory(orgId: "1", userId: "3", first: 1) {
		nodes { sourceContext changes { current { weight } } } } }`, nil))
	for _, want := range []string{`{"note": "spaced",  "n": 1.50}`, `"weight":1e+06`} {
		if !strings.Contains(gql, want) {
			t.Errorf("GraphQL body lacks %s (can the logs pass through now?): %s", want, gql)
		}
	}
}
