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

// BenchmarkEncode is the encoding alone of the golden entries with every
// optional column set, one sub-benchmark per history.
func BenchmarkEncode(b *testing.B) {
	s := func(v string) *string { return &v }
	actor := model.ActorSnapshot{Type: "USER", Ref: s("usr_01ABC"), Name: s("Alice Owner"), Email: s("alice@acme.example")}
	t := time.Date(2026, 3, 29, 1, 59, 59, 123456000, time.UTC)
	at := model.AttributeAssignmentEntry{ID: "0190f1e2-0000-7000-8000-000000000002", OrganizationID: 1, UserID: 2, MembershipID: 3,
		Timestamp: t, Source: "API_V2", Actor: actor, SourceContext: `{"app":"x"}`, Changes: `[{"type":"ASSIGNED"}]`, IdempotencyKey: s("k")}
	et := model.EventTypeEntry{ID: "0190f1e2-0000-7000-8000-000000000012", EventTypeID: 2, Action: model.EventTypeModified,
		Type: "RECORD_MODIFIED", Timestamp: t, Source: "API_V2", Actor: actor, ImpersonatedBy: model.PersonSnapshot{Name: s("Bob")},
		Payload: `{"changes":[{"field":"length","previous":30,"next":45}]}`, IdempotencyKey: s("k")}
	cl := model.MemberChangeLog{ID: "123456", OrganizationID: 1, ActorUserID: 2, ActorPublicID: s("usr_2"), ActorName: s("Alice"),
		ActorEmail: s("alice@acme.example"), Action: "updated", Timestamp: t, ResourceType: "organization_user", ResourceID: "usr_3",
		ResourceName: s("Bob"), Changes: `[{"field":"role","old":"MEMBER","new":"ADMIN"}]`, IdempotencyKey: s("k")}
	b.Run("attribute", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			EncodeAttribute(&at)
		}
	})
	b.Run("event-type", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			EncodeEventType(&et)
		}
	})
	b.Run("change-log", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			EncodeChangeLog(&cl)
		}
	})
}
