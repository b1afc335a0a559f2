package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

const (
	ok        = "ok"
	forbidden = model.CodeForbidden
	notFound  = model.CodeNotFound
	unauth    = model.CodeUnauthenticated
	noMember  = "no member" // Organization.member answers null for a non-member
)

const edgesSel = `{ edges { cursor node { id } } }`

// roles lists every key of the matrix, in order.
var roles = []string{"owner", "admin", "member", "auditor", "outsider", "writer", "frank", "etread"}

// outcomes gives the outcome of each role; others is the outcome of every
// role not named.
func outcomes(others string, named ...string) map[string]string {
	m := map[string]string{}
	for _, r := range roles {
		m[r] = others
	}
	for i := 0; i+1 < len(named); i += 2 {
		m[named[i]] = named[i+1]
	}
	return m
}

func attrRoot(org, user string) string {
	return fmt.Sprintf(`{ h: attributeAssignmentHistory(orgId: %q, userId: %q, first: 3) %s }`, org, user, edgesSel)
}
func changeLogsRoot(org, user string) string {
	return fmt.Sprintf(`{ h: memberChangeLogs(organizationId: %q, userId: %q, first: 3) %s }`, org, user, edgesSel)
}
func eventTypeRoot(id string) string {
	return fmt.Sprintf(`{ h: eventTypeHistory(eventTypeId: %q, first: 3) %s }`, id, edgesSel)
}
func memberAttr(org, user string) string {
	return fmt.Sprintf(`{ organization(id: %q) { member(userId: %q) { h: attributeHistory(first: 3) %s } } }`, org, user, edgesSel)
}
func memberChangeLogs(org, user string) string {
	return fmt.Sprintf(`{ organization(id: %q) { member(userId: %q) { h: changeLogs(first: 3) %s } } }`, org, user, edgesSel)
}
func eventTypeEntity(id string) string {
	return fmt.Sprintf(`{ eventType(id: %q) { h: history(first: 3) %s } }`, id, edgesSel)
}

func globalID(typ string, id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d", typ, id)))
}

type accessCase struct {
	name   string
	query  string
	expect map[string]string
	// nonEmpty: an allowed read must return entries.
	nonEmpty bool
}

func accessCases() []accessCase {
	acmeAdmins := outcomes(forbidden, "owner", ok, "admin", ok)
	return []accessCase{
		// attributeAssignmentHistory: organization OWNER/ADMIN or the custom-role permission.
		{"attr/acme-carol", attrRoot("1", "3"), outcomes(forbidden, "owner", ok, "admin", ok, "auditor", ok), true},
		{"attr/acme-carol-public-ids", attrRoot(acmePublicID, carolPublicID), outcomes(forbidden, "owner", ok, "admin", ok, "auditor", ok), true},
		{"attr/acme-carol-global-ids", attrRoot(globalID("Organization", 1), globalID("User", 3)), outcomes(forbidden, "owner", ok, "admin", ok, "auditor", ok), true},
		{"attr/globex-erin", attrRoot("2", "5"), outcomes(forbidden, "outsider", ok), false},
		{"attr/acme-not-a-member", attrRoot("1", "5"), outcomes(forbidden, "owner", notFound, "admin", notFound, "auditor", notFound), false},
		{"attr/acme-unknown-user", attrRoot("1", "999"), outcomes(forbidden, "owner", notFound, "admin", notFound, "auditor", notFound), false},
		// The existence rule: a missing history answers as a hidden one.
		{"attr/unknown-org", attrRoot("999", "3"), outcomes(forbidden), false},
		{"attr/unknown-public-org", attrRoot("org_doesnotexist", "3"), outcomes(forbidden), false},
		// Member.attributeHistory: the organization is visible to its members only.
		// A write key reads no directory: the organization is not found.
		{"member.attributeHistory/acme-carol", memberAttr("1", "3"), outcomes(forbidden, "owner", ok, "admin", ok, "auditor", ok, "outsider", notFound, "writer", notFound), true},
		{"member.attributeHistory/globex-erin", memberAttr(globexPublicID, "5"), outcomes(notFound, "outsider", ok), false},
		{"member.attributeHistory/acme-not-a-member", memberAttr("1", "5"), outcomes(noMember, "outsider", notFound, "writer", notFound), false},

		// eventTypeHistory: personal owner, team or organization OWNER/ADMIN, EVENT_TYPE_READ for scoped keys.
		{"eventType/personal", eventTypeRoot("1"), outcomes(forbidden, "member", ok), true},
		{"eventType/team", eventTypeRoot("2"), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok), true},
		{"eventType/team-global-id", eventTypeRoot(globalID("EventType", 2)), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok), true},
		{"eventType/managed-parent", eventTypeRoot("3"), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok), true},
		{"eventType/managed-child", eventTypeRoot("4"), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok), true},
		{"eventType/sales-team", eventTypeRoot("5"), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok), true},
		{"eventType/globex", eventTypeRoot("6"), outcomes(forbidden, "outsider", ok), true},
		{"eventType/team-without-org", eventTypeRoot("7"), outcomes(forbidden), false},
		{"eventType/unknown", eventTypeRoot("999"), outcomes(forbidden), false},
		// EventType.history: the event type is visible to its owner, team members and organization members.
		{"eventType.history/personal", eventTypeEntity("1"), outcomes(notFound, "member", ok), true},
		{"eventType.history/team", eventTypeEntity("2"), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok, "outsider", notFound, "writer", notFound), true},
		{"eventType.history/managed-child", eventTypeEntity(globalID("EventType", 4)), outcomes(forbidden, "owner", ok, "admin", ok, "etread", ok, "outsider", notFound, "writer", notFound), true},
		{"eventType.history/globex", eventTypeEntity("6"), outcomes(notFound, "outsider", ok), true},
		{"eventType.history/unknown", eventTypeEntity("999"), outcomes(notFound), false},

		// memberChangeLogs: organization OWNER/ADMIN.
		{"changeLogs/acme-carol", changeLogsRoot(acmePublicID, "3"), acmeAdmins, true},
		{"changeLogs/acme-carol-numeric", changeLogsRoot("1", carolPublicID), acmeAdmins, true},
		{"changeLogs/globex-erin", changeLogsRoot(globexPublicID, "5"), outcomes(forbidden, "outsider", ok), true},
		{"changeLogs/acme-not-a-member", changeLogsRoot("1", "5"), outcomes(forbidden, "owner", notFound, "admin", notFound), false},
		{"changeLogs/unknown-org", changeLogsRoot("999", "3"), outcomes(forbidden), false},
		// Member.changeLogs.
		{"member.changeLogs/acme-carol", memberChangeLogs(acmePublicID, "3"), outcomes(forbidden, "owner", ok, "admin", ok, "outsider", notFound, "writer", notFound), true},
		{"member.changeLogs/globex-erin", memberChangeLogs("2", "5"), outcomes(notFound, "outsider", ok), true},
	}
}

// historyOf digs the connection aliased h out of data, wherever it is.
func historyOf(t *testing.T, data json.RawMessage) (conn map[string]any, memberNull bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) map[string]any
	walk = func(v any) map[string]any {
		m, _ := v.(map[string]any)
		if m == nil {
			return nil
		}
		if h, ok := m["h"].(map[string]any); ok {
			return h
		}
		if o, ok := m["organization"].(map[string]any); ok {
			if mem, present := o["member"]; present && mem == nil {
				memberNull = true
			}
		}
		for _, child := range m {
			if h := walk(child); h != nil {
				return h
			}
		}
		return nil
	}
	return walk(v), memberNull
}

func TestAccessMatrix(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range accessCases() {
		for _, role := range roles {
			want := tc.expect[role]
			t.Run(tc.name+"/"+role, func(t *testing.T) {
				r := e.query(role, tc.query, nil)
				conn, memberNull := historyOf(t, r.Data)
				switch want {
				case ok:
					if len(r.Errors) > 0 || conn == nil {
						t.Fatalf("want the history, got %s", r.Body)
					}
					edges, _ := conn["edges"].([]any)
					if tc.nonEmpty && len(edges) == 0 {
						t.Fatalf("allowed but no entries: %s", r.Body)
					}
				case noMember:
					if len(r.Errors) > 0 || !memberNull {
						t.Fatalf("want member null without errors, got %s", r.Body)
					}
				default:
					if got := r.code(); got != want {
						t.Fatalf("code %q, want %q: %s", got, want, r.Body)
					}
					if conn != nil || contains(r.Body, `"edges"`, `"cursor"`, `"node"`) {
						t.Fatalf("refused read leaks history data: %s", r.Body)
					}
				}
			})
		}
	}
}

// Every history refuses every kind of bad credentials with the same
// UNAUTHENTICATED, and shows none of its entries.
func TestBadCredentials(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	mk := func(name string, expires *time.Time) (string, int64) {
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: name, UserID: 1, ExpiresAt: expires}
		if err := e.store.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return secret, k.ID
	}
	revoked, revokedID := mk("revoked", nil)
	if err := e.store.RevokeAPIKey(ctx, revokedID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	expired, _ := mk("expired", ptr(time.Now().Add(-time.Hour)))
	unknown := model.NewKeySecret()

	creds := []struct {
		name    string
		headers map[string]string
	}{
		{"none", nil},
		{"basic-scheme", map[string]string{"Authorization": "Basic x"}},
		{"bearer-without-token", map[string]string{"Authorization": "Bearer "}},
		{"scheme-only", map[string]string{"Authorization": "Bearer"}},
		{"unknown-bearer", map[string]string{"Authorization": "Bearer " + unknown}},
		{"unknown-x-api-key", map[string]string{"X-API-Key": unknown}},
		{"revoked", map[string]string{"Authorization": "Bearer " + revoked}},
		{"revoked-x-api-key", map[string]string{"X-API-Key": revoked}},
		{"expired", map[string]string{"Authorization": "Bearer " + expired}},
		{"oversized", map[string]string{"Authorization": "Bearer cal_" + strings.Repeat("a", 300)}},
		// A bad Authorization header is not rescued by a good X-API-Key.
		{"basic-with-good-x-api-key", map[string]string{"Authorization": "Basic x", "X-API-Key": e.keys["owner"]}},
	}
	queries := map[string]string{
		"attributeAssignmentHistory": attrRoot("1", "3"),
		"eventTypeHistory":           eventTypeRoot("2"),
		"memberChangeLogs":           changeLogsRoot("1", "3"),
		"member.attributeHistory":    memberAttr("1", "3"),
		"eventType.history":          eventTypeEntity("2"),
		"viewer":                     `{ viewer { id } }`,
	}
	for _, c := range creds {
		for qname, q := range queries {
			t.Run(c.name+"/"+qname, func(t *testing.T) {
				r := e.post(c.headers, q, nil)
				if got := r.code(); got != unauth {
					t.Fatalf("code %q, want UNAUTHENTICATED: %s", got, r.Body)
				}
				if contains(r.Body, `"edges"`, `"cursor"`) {
					t.Fatalf("leaks data: %s", r.Body)
				}
				for _, err := range r.Errors {
					if err.Message != r.Errors[0].Message {
						t.Errorf("different messages for one refusal: %s", r.Body)
					}
				}
			})
		}
	}
	// Unknown, revoked and expired keys are indistinguishable.
	var msgs []string
	for _, secret := range []string{unknown, revoked, expired} {
		msgs = append(msgs, e.post(map[string]string{"Authorization": "Bearer " + secret}, eventTypeRoot("2"), nil).Body)
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("unknown, revoked and expired keys answer differently:\n%s\n%s\n%s", msgs[0], msgs[1], msgs[2])
	}
	// The valid key works through either header.
	for _, h := range []map[string]string{{"Authorization": "Bearer " + e.keys["owner"]}, {"X-API-Key": e.keys["owner"]}, {"Authorization": "bearer " + e.keys["owner"]}} {
		if r := e.post(h, eventTypeRoot("2"), nil); len(r.Errors) > 0 {
			t.Errorf("valid key via %v refused: %s", h, r.Body)
		}
	}
}
