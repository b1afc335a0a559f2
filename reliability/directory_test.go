package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// Every type that implements Node round-trips through node(id:) for a
// caller who can see it, and is NOT_FOUND, with one message, for a caller
// who cannot.
func TestNodeRoundTripsEveryType(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		ids := map[string]string{
			"Organization": b64("Organization:1"),
			"Team":         b64("Team:1"),
			"User (Bob)":   b64("User:2"),
			"Membership":   b64(fmt.Sprintf("Membership:%d", 100+seed.MemberUserID)),
			"Attribute":    b64("Attribute:attr_dept"),
			"EventType":    b64("EventType:1"),
		}
		const q = `query($id: ID!) { node(id: $id) { id } }`
		for name, id := range ids {
			r := mustPost(t, e, e.keys["member"], q, map[string]any{"id": id})
			var data struct {
				Node *struct {
					ID string `json:"id"`
				} `json:"node"`
			}
			if err := json.Unmarshal(r.Data, &data); err != nil || len(r.Errors) > 0 || data.Node == nil || data.Node.ID != id {
				t.Errorf("Carol's node(%s): %s", name, r.Raw)
			}
			// Erin (Globex) sees none of it; the answer is that of a node
			// that does not exist.
			r = mustPost(t, e, e.keys["outsider"], q, map[string]any{"id": id})
			if c := r.codes(); len(c) != 1 || c[0] != model.CodeNotFound || r.Errors[0].Message != "node not found" {
				t.Errorf("Erin's node(%s): %s", name, r.Raw)
			}
		}
		// Fields through node: a Membership's user and organization.
		r := mustPost(t, e, e.keys["member"], `query($id: ID!) { node(id: $id) { ... on Membership { role user { email } organization { name } } } }`,
			map[string]any{"id": ids["Membership"]})
		if !bytes.Contains(r.Raw, []byte(`"user":{"email":"carol@acme.example"},"organization":{"name":"Acme Corp"}`)) {
			t.Errorf("Carol's membership through node: %s", r.Raw)
		}
	})
}

// A USER actor sent as a bare reference takes the directory's profile at
// write time and is shown as recorded; a reference to another tenant's user
// is not completed from their profile.
func TestActorBareReferenceRecordedAtWriteTime(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		record := func(key, ref string) {
			t.Helper()
			r := mustPost(t, e, e.keys["writer"], `mutation($e: [EventTypeChangeEntryInput!]!) { recordEventTypeChanges(organizationId: "1", entries: $e) { id } }`,
				map[string]any{"e": []any{map[string]any{"idempotencyKey": key, "eventTypeId": "2", "action": "EVENT_TYPE_MODIFIED", "source": "WEBAPP",
					"actor":  map[string]any{"type": "USER", "ref": ref},
					"before": map[string]any{"title": "Engineering sync", "length": 30}, "after": map[string]any{"title": "Engineering sync", "length": 31}}}})
			if len(r.Errors) > 0 {
				t.Fatalf("record: %s", r.Raw)
			}
		}
		record("bare-bob", "2")
		if r := syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"users": []any{map[string]any{"id": seed.AdminUserID, "email": "bob.new@acme.example", "name": "Bob Newname"}},
		}); len(r.Errors) > 0 {
			t.Fatal(string(r.Raw))
		}
		record("bare-peggy", "16")
		r := mustPost(t, e, e.keys["owner"], `{ eventTypeHistory(eventTypeId: "2", first: 2) { edges { node { actor { displayName displayEmail } } } } }`, nil)
		if !bytes.Contains(r.Raw, []byte(`"displayName":"Bob Admin","displayEmail":"bob@acme.example"`)) {
			t.Errorf("the bare reference to Bob is not shown as he was at write time: %s", r.Raw)
		}
		lacks(t, "bare reference to Globex's Peggy", r.Raw, "Peggy", "peggy@", "Bob Newname")
	})
}
