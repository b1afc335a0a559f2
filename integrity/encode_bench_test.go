package integrity

import (
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// BenchmarkEntryLeaf is the writer's CPU per entry: encoding an event type
// entry with a 1 KB payload and hashing it.
func BenchmarkEntryLeaf(b *testing.B) {
	name, email, key := "Alice Owner", "alice@acme.example", "import-key-000001"
	e := model.EventTypeEntry{ID: "01a251f1-1ff5-788e-8d56-ca532d96b92f", EventTypeID: 2, Action: "EVENT_TYPE_MODIFIED",
		Type: "RECORD_MODIFIED", Timestamp: time.Now(), Source: "API_V2",
		Actor:   model.ActorSnapshot{Type: "USER", Name: &name, Email: &email},
		Payload: `{"changes":[` + strings.Repeat(`{"field":"length","previous":30,"next":45},`, 24) + `{}]}`, IdempotencyKey: &key}
	b.ReportAllocs()
	for range b.N {
		LeafHash(EncodeEventType(&e))
	}
}
