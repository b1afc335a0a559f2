package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// The tenant attacks: each test plays a hostile tenant with the demo's keys
// (Acme is organization 1, Globex organization 2) and checks that nothing of
// the other tenant is changed, claimed or shown. Each runs on both dialects.

// onBoth runs fn against a seeded server on SQLite and on PostgreSQL.
func onBoth(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteEnv(t, testConfig(), nil)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresEnv(t, testConfig(), db.Options{}, nil)) })
}

// newKey stores a key and returns its secret.
func newKey(t *testing.T, store *db.Store, k model.APIKey) string {
	t.Helper()
	secret := model.NewKeySecret()
	k.Hash, k.Hint, k.Name = model.HashKey(secret), model.KeyHint(secret), "attack key"
	if err := store.CreateAPIKey(context.Background(), &k); err != nil {
		t.Fatal(err)
	}
	return secret
}

// globexWriter is a write key of Erin, Globex's owner, bound to Globex.
func globexWriter(t *testing.T, e *env) string {
	globex := seed.GlobexID
	return newKey(t, e.store, model.APIKey{UserID: seed.OutsiderUserID, OrganizationID: &globex, Scopes: []string{model.ScopeWrite}})
}

const syncQuery = `mutation($org: ID!, $input: DirectoryInput!) {
  syncDirectory(organizationId: $org, input: $input) { users memberships eventTypes teams }
}`

func syncDir(t *testing.T, e *env, key string, org int64, input map[string]any) *gqlResponse {
	t.Helper()
	return mustPost(t, e, key, syncQuery, map[string]any{"org": fmt.Sprint(org), "input": input})
}

// refused asserts r is an error answer with one of codes and no data.
func refused(t *testing.T, what string, r *gqlResponse, codes ...string) {
	t.Helper()
	got := r.codes()
	if len(got) == 0 {
		t.Errorf("%s: accepted: %s", what, r.Raw)
		return
	}
	for _, c := range codes {
		if got[0] == c {
			return
		}
	}
	t.Errorf("%s: code %v, want one of %v: %s", what, got, codes, r.Raw)
}

// lacks asserts the body shows none of words.
func lacks(t *testing.T, what string, raw []byte, words ...string) {
	t.Helper()
	for _, w := range words {
		if bytes.Contains(raw, []byte(w)) {
			t.Errorf("%s: answer shows %q: %s", what, w, raw)
		}
	}
}

// Attack 1: Globex makes Carol (Acme) its member, then moves her personal
// event type into a Globex team and reads its history.
func TestAttackPersonalEventTypeTakeover(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		gw := globexWriter(t, e)
		r := syncDir(t, e, gw, seed.GlobexID, map[string]any{
			"memberships": []any{map[string]any{"id": 900, "userId": seed.MemberUserID, "role": "MEMBER"}},
		})
		refused(t, "Globex links Carol", r, model.CodeInvalid, model.CodeForbidden)
		r = syncDir(t, e, gw, seed.GlobexID, map[string]any{
			"eventTypes": []any{map[string]any{"id": seed.PersonalEventTypeID, "title": "Taken", "slug": "taken", "teamId": seed.SupportTeamID}},
		})
		refused(t, "Globex moves event type 1", r, model.CodeInvalid, model.CodeForbidden)
		et, err := e.store.EventTypeByID(context.Background(), seed.PersonalEventTypeID)
		if err != nil || et.TeamID != nil || et.OwnerUserID == nil || *et.OwnerUserID != seed.MemberUserID || et.Title != "30 min meeting" {
			t.Errorf("event type 1 changed: %+v %v", et, err)
		}
		h := mustPost(t, e, e.keys["outsider"], eventTypeHistoryQuery, map[string]any{"id": "1", "first": 5})
		refused(t, "Erin reads event type 1", h, model.CodeForbidden)
		h = mustPost(t, e, e.keys["member"], eventTypeHistoryQuery, map[string]any{"id": "1", "first": 5})
		if len(h.Errors) > 0 || !bytes.Contains(h.Raw, []byte(`"edges":[{`)) {
			t.Errorf("Carol cannot read her own event type: %s", h.Raw)
		}
	})
}

// Attack 2: Globex rewrites a user it shares with Acme, and Acme's audit
// entries must keep showing who acted as recorded.
func TestAttackSharedUserRewrite(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		gw := globexWriter(t, e)
		// Even if Carol were Globex's member too, Globex may not rewrite her.
		ctx := context.Background()
		globex := seed.GlobexID
		if err := e.store.UpsertMembership(ctx, &model.Membership{ID: 901, UserID: seed.MemberUserID, OrganizationID: &globex, Role: model.RoleMember}); err != nil {
			t.Fatal(err)
		}
		r := syncDir(t, e, gw, seed.GlobexID, map[string]any{
			"users": []any{map[string]any{"id": seed.MemberUserID, "email": "carol@evil.example", "name": "Carol (edited by Globex)"}},
		})
		if bytes.Contains(r.Raw, []byte(`"users":1`)) {
			t.Errorf("Globex rewrote Carol: %s", r.Raw)
		}
		u, err := e.store.UserByID(ctx, seed.MemberUserID)
		if err != nil || u.Email != "carol@acme.example" {
			t.Fatalf("Carol is now %+v (%v)", u, err)
		}

		// Acme records a change by Bob, then renames Bob: the entry shows
		// Bob as he was when it was written.
		rec := mustPost(t, e, e.keys["writer"], `mutation($e: [MemberChangeLogEntryInput!]!) {
  recordMemberChangeLogs(organizationId: "1", entries: $e) { id }
}`, map[string]any{"e": []any{map[string]any{"actorId": fmt.Sprint(seed.AdminUserID), "action": "UPDATED",
			"resourceType": "ORGANIZATION_USER", "resourceId": fmt.Sprint(seed.MemberUserID), "resourceName": "recorded-as-test"}}})
		if len(rec.Errors) > 0 {
			t.Fatalf("record: %s", rec.Raw)
		}
		r = syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"users": []any{map[string]any{"id": seed.AdminUserID, "email": "bob.renamed@acme.example", "name": "Bob Renamed"}},
		})
		if len(r.Errors) > 0 {
			t.Fatalf("Acme renames its own Bob: %s", r.Raw)
		}
		logs := mustPost(t, e, e.keys["owner"], `query {
  memberChangeLogs(organizationId: "1", userId: "3", first: 1, filter: {actorId: "2"}) { nodes { resourceName actor { name email } } }
}`, nil)
		if !bytes.Contains(logs.Raw, []byte(`"name":"Bob Admin","email":"bob@acme.example"`)) || !bytes.Contains(logs.Raw, []byte("recorded-as-test")) {
			t.Errorf("the change log does not show Bob as recorded: %s", logs.Raw)
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/v1/organizations/"+acmePublicID+"/users/"+carolPublicID+"/change-logs", strings.NewReader(`{"take":50}`))
		req.Header.Set("X-API-Key", e.keys["owner"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		resp.Body.Close()
		if strings.Contains(body, "Bob Renamed") || strings.Contains(body, "bob.renamed@") {
			t.Errorf("/v1 shows the actor read live: %s", body)
		}
	})
}

// Attack 3: Acme squats ids Globex will use; Globex's later sync must learn
// nothing of Acme from the refusal, and pick up nothing of Acme's.
func TestAttackIDSquatting(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		r := syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"teams":       []any{map[string]any{"id": 500, "slug": "squat", "name": "Squatted by Acme"}},
			"users":       []any{map[string]any{"id": 503, "email": "squatter@acme.example", "name": "Acme Squatter"}},
			"memberships": []any{map[string]any{"id": 503, "userId": 503, "role": "MEMBER"}},
			"eventTypes":  []any{map[string]any{"id": 502, "title": "Squatted", "slug": "squat", "teamId": 500}},
		})
		if len(r.Errors) > 0 {
			t.Fatalf("Acme's own records: %s", r.Raw)
		}
		gw := globexWriter(t, e)
		for name, input := range map[string]map[string]any{
			"team":      {"teams": []any{map[string]any{"id": 500, "slug": "g", "name": "Globex team"}}},
			"eventType": {"eventTypes": []any{map[string]any{"id": 502, "title": "G", "slug": "g", "teamId": seed.SupportTeamID}}},
			"user": {"users": []any{map[string]any{"id": 503, "email": "new@globex.example", "name": "Globex Person"}},
				"memberships": []any{map[string]any{"id": 950, "userId": 503, "role": "MEMBER"}}},
		} {
			r := syncDir(t, e, gw, seed.GlobexID, input)
			refused(t, "Globex syncs "+name, r, model.CodeInvalid, model.CodeForbidden, model.CodeConflict)
			lacks(t, name, r.Raw, "Acme", "acme", "squatter", "Squat", "usr_", "organization 1")
		}
		u, _ := e.store.UserByID(context.Background(), 503)
		if u == nil || u.Email != "squatter@acme.example" {
			t.Errorf("user 503 changed: %+v", u)
		}
	})
}

// Attack 4: Acme links an event type to Globex's parent or owner, then reads
// Globex's directory through the edges.
func TestAttackForeignLinks(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		for name, et := range map[string]map[string]any{
			"parent": {"id": 100, "title": "Spy", "slug": "spy", "teamId": seed.EngineeringTeamID, "parentId": seed.GlobexEventTypeID},
			"owner":  {"id": 101, "title": "Spy", "slug": "spy2", "ownerUserId": 16},
			"team":   {"id": 102, "title": "Spy", "slug": "spy3", "teamId": seed.SupportTeamID},
		} {
			r := syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{"eventTypes": []any{et}})
			refused(t, "link to Globex's "+name, r, model.CodeInvalid, model.CodeForbidden)
			lacks(t, name, r.Raw, "Globex", "globex", "Support", "Peggy")
		}
		// Such links stored by other means (an import, older data) still
		// show nothing across the boundary.
		ctx := context.Background()
		eng := seed.EngineeringTeamID
		if err := e.store.UpsertEventType(ctx, &model.EventType{ID: 100, Title: "Spy", Slug: "spy", TeamID: &eng, ParentID: ptrTo(seed.GlobexEventTypeID), OwnerUserID: ptrTo(int64(16))}); err != nil {
			t.Fatal(err)
		}
		q := `query { eventType(id: "100") { title
  parent { title team { name organization { name teams { name } member(userId: "5") { user { email } } } } }
  owner { email name } } }`
		for _, k := range []string{"member", "owner", "admin"} {
			r := mustPost(t, e, e.keys[k], q, nil)
			if !bytes.Contains(r.Raw, []byte(`"title":"Spy"`)) {
				t.Errorf("%s cannot see event type 100: %s", k, r.Raw)
			}
			lacks(t, k, r.Raw, "Globex", "Support", "erin@", "peggy@", "Peggy")
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

// Attack 5: keys bound to one organization, or to the write scope only,
// read no other directory.
func TestAttackBoundKeysReadOtherDirectories(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		acme, globex := seed.AcmeID, seed.GlobexID
		// Trent belongs to both organizations.
		for i, org := range []*int64{&acme, &globex} {
			if err := e.store.UpsertMembership(ctx, &model.Membership{ID: int64(910 + i), UserID: 20, OrganizationID: org, Role: model.RoleOwner}); err != nil {
				t.Fatal(err)
			}
		}
		bound := newKey(t, e.store, model.APIKey{UserID: 20, OrganizationID: &acme, Scopes: []string{model.ScopeEventTypeRead}})
		unbound := newKey(t, e.store, model.APIKey{UserID: 20})
		q := `query($o: ID!) { organization(id: $o) { name teams { name } member(userId: "16") { role user { email } } } }`
		ok := mustPost(t, e, unbound, q, map[string]any{"o": "2"})
		if !bytes.Contains(ok.Raw, []byte("Globex")) {
			t.Fatalf("the unbound key of a Globex owner cannot read Globex: %s", ok.Raw)
		}
		r := mustPost(t, e, bound, q, map[string]any{"o": "2"})
		refused(t, "Acme-bound key reads Globex", r, model.CodeNotFound)
		lacks(t, "Acme-bound key", r.Raw, "Globex", "Support", "peggy@")
		for _, nodeID := range []string{b64("Team:3"), b64("User:16"), b64("EventType:6"), b64("Organization:2")} {
			r := mustPost(t, e, bound, `query($id: ID!) { node(id: $id) { id ... on Team { name } ... on User { email } ... on EventType { title } ... on Organization { name } } }`, map[string]any{"id": nodeID})
			lacks(t, "node "+nodeID, r.Raw, "Support", "peggy@", "Globex")
		}
		r = mustPost(t, e, bound, `query { viewer { memberships { organization { name } } } }`, nil)
		lacks(t, "bound viewer memberships", r.Raw, "Globex")

		// The demo writer (Alice, write scope only) reads no directory.
		r = mustPost(t, e, e.keys["writer"], q, map[string]any{"o": "1"})
		refused(t, "write-only key reads Acme", r, model.CodeNotFound)
		lacks(t, "write-only key", r.Raw, "Acme Corp", "Engineering", "@acme.example")
		r = mustPost(t, e, e.keys["writer"], `query { eventType(id: "2") { title } }`, nil)
		refused(t, "write-only key reads event type 2", r, model.CodeNotFound)
	})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Attack 6: a write key raises a member to OWNER, who then reads every
// history: a write key grants nothing its owner does not hold.
func TestAttackWriteKeyGrantsRead(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		acme := seed.AcmeID
		// Bob is Acme's ADMIN: his write key cannot make anyone OWNER.
		bobWriter := newKey(t, e.store, model.APIKey{UserID: seed.AdminUserID, OrganizationID: &acme, Scopes: []string{model.ScopeWrite}})
		r := syncDir(t, e, bobWriter, seed.AcmeID, map[string]any{
			"memberships": []any{map[string]any{"id": 100 + seed.MemberUserID, "userId": seed.MemberUserID, "role": "OWNER"}},
		})
		refused(t, "ADMIN's writer grants OWNER", r, model.CodeForbidden)
		// Nor demote the OWNER.
		r = syncDir(t, e, bobWriter, seed.AcmeID, map[string]any{
			"memberships": []any{map[string]any{"id": 100 + seed.OwnerUserID, "userId": seed.OwnerUserID, "role": "MEMBER"}},
		})
		refused(t, "ADMIN's writer demotes the OWNER", r, model.CodeForbidden)
		// Nor create a custom role with a permission he does not hold and
		// hand it out... an ADMIN holds the audit permission through his role,
		// so Frank's writer (a plain member with a scheduler role) is used.
		frankWriter := newKey(t, e.store, model.APIKey{UserID: seed.NoRoleUserID, OrganizationID: &acme, Scopes: []string{model.ScopeWrite}})
		r = syncDir(t, e, frankWriter, seed.AcmeID, map[string]any{
			"customRoles": []any{map[string]any{"id": 77, "name": "Auditor 2", "permissions": []string{model.PermissionReadAttributeAuditLogs}}},
		})
		refused(t, "member's writer creates an audit role", r, model.CodeForbidden)
		r = syncDir(t, e, frankWriter, seed.AcmeID, map[string]any{
			"memberships": []any{map[string]any{"id": 100 + seed.MemberUserID, "userId": seed.MemberUserID, "role": "MEMBER", "customRoleId": seed.AuditorRoleID}},
		})
		refused(t, "member's writer hands out the audit role", r, model.CodeForbidden)
		h := mustPost(t, e, e.keys["member"], `query { attributeAssignmentHistory(orgId: "1", userId: "3", first: 1) { edges { cursor } } }`, nil)
		refused(t, "Carol reads attribute history", h, model.CodeForbidden)
		// The OWNER's writer may grant what the OWNER holds.
		r = syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"memberships": []any{map[string]any{"id": 100 + seed.AuditorUserID, "userId": seed.AuditorUserID, "role": "ADMIN"}},
		})
		if len(r.Errors) > 0 {
			t.Errorf("OWNER's writer grants ADMIN: %s", r.Raw)
		}
	})
}

// Attack 8: hidden and missing answer alike; messages echo only what the
// caller sent, never database text.
func TestAttackExistenceOracles(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		shape := func(r *gqlResponse, sent string) string {
			if len(r.Errors) == 0 {
				return "data"
			}
			return r.codes()[0] + " " + strings.ReplaceAll(r.Errors[0].Message, sent, "ID")
		}
		pairs := []struct {
			name, key, query, hidden, missing string
		}{
			{"eventTypeHistory", "member", `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 1) { edges { cursor } } }`, "6", "99999"},
			{"eventType", "member", `query($id: ID!) { eventType(id: $id) { title } }`, "6", "99999"},
			{"organization", "member", `query($id: ID!) { organization(id: $id) { name } }`, "2", "99999"},
			{"attributeAssignmentHistory", "owner", `query($id: ID!) { attributeAssignmentHistory(orgId: $id, userId: "5", first: 1) { edges { cursor } } }`, "2", "99999"},
			{"memberChangeLogs", "owner", `query($id: ID!) { memberChangeLogs(organizationId: $id, userId: "5", first: 1) { edges { cursor } } }`, "org_globex2w6r9t1y5u8i3o", "org_nowhere"},
			{"member of Acme", "owner", `query($id: ID!) { attributeAssignmentHistory(orgId: "1", userId: $id, first: 1) { edges { cursor } } }`, "usr_demo0000000000000016", "usr_nobody"},
			{"node", "member", `query($id: ID!) { node(id: $id) { id } }`, b64("EventType:6"), b64("EventType:99999")},
		}
		for _, p := range pairs {
			h := mustPost(t, e, e.keys[p.key], p.query, map[string]any{"id": p.hidden})
			m := mustPost(t, e, e.keys[p.key], p.query, map[string]any{"id": p.missing})
			if shape(h, p.hidden) != shape(m, p.missing) {
				t.Errorf("%s: hidden %q answers %q, missing %q answers %q", p.name, p.hidden, shape(h, p.hidden), p.missing, shape(m, p.missing))
			}
			lacks(t, p.name, h.Raw, "Globex", "\"16\"", " 16 ", " 16\"", " 2 ")
		}
		// An actor filter naming nobody matches nothing.
		r := mustPost(t, e, e.keys["owner"], `query { memberChangeLogs(organizationId: "1", userId: "3", first: 1, filter: {actorId: "99999"}) { totalCount } }`, nil)
		if len(r.Errors) > 0 || !bytes.Contains(r.Raw, []byte(`"totalCount":0`)) {
			t.Errorf("actor filter naming nobody: %s", r.Raw)
		}
		// Writes naming another tenant's user or nobody answer alike.
		rec := func(actor string) *gqlResponse {
			return mustPost(t, e, e.keys["writer"], `mutation($e: [MemberChangeLogEntryInput!]!) { recordMemberChangeLogs(organizationId: "1", entries: $e) { id } }`,
				map[string]any{"e": []any{map[string]any{"actorId": actor, "action": "UPDATED", "resourceType": "ASSISTANT", "resourceId": "asst_1"}}})
		}
		h, m := rec("16"), rec("99999")
		if shape(h, "16") != shape(m, "99999") {
			t.Errorf("recordMemberChangeLogs actor: %q vs %q", shape(h, "16"), shape(m, "99999"))
		}
		target := func(res string) *gqlResponse {
			return mustPost(t, e, e.keys["writer"], `mutation($e: [MemberChangeLogEntryInput!]!) { recordMemberChangeLogs(organizationId: "1", entries: $e) { id } }`,
				map[string]any{"e": []any{map[string]any{"actorId": "1", "action": "UPDATED", "resourceType": "ORGANIZATION_USER", "resourceId": res}}})
		}
		h, m = target("16"), target("99999")
		if shape(h, "16") != shape(m, "99999") {
			t.Errorf("recordMemberChangeLogs target: %q vs %q", shape(h, "16"), shape(m, "99999"))
		}
		lacks(t, "target", h.Raw, "usr_demo0000000000000016")
		etWrite := func(id string) *gqlResponse {
			return mustPost(t, e, e.keys["writer"], `mutation($e: [EventTypeChangeEntryInput!]!) { recordEventTypeChanges(organizationId: "1", entries: $e) { id } }`,
				map[string]any{"e": []any{map[string]any{"eventTypeId": id, "action": "EVENT_TYPE_CREATED", "source": "WEBAPP",
					"actor": map[string]any{"type": "SYSTEM"}, "after": map[string]any{"title": "X"}}}})
		}
		h, m = etWrite("6"), etWrite("99999")
		if shape(h, "6") != shape(m, "99999") {
			t.Errorf("recordEventTypeChanges event type: %q vs %q", shape(h, "6"), shape(m, "99999"))
		}
		// A conflict names no constraint.
		r = syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"teams": []any{map[string]any{"id": 600, "slug": "engineering", "name": "Duplicate slug"}},
		})
		r2 := syncDir(t, e, e.keys["writer"], seed.AcmeID, map[string]any{
			"users": []any{map[string]any{"id": 601, "publicId": "usr_demo0000000000000016", "email": "dup@acme.example"}},
		})
		for _, x := range []*gqlResponse{r, r2} {
			lacks(t, "conflict", x.Raw, "constraint", "UNIQUE", "duplicate key", "SQLSTATE", "users_", "teams_")
		}
	})
}

var nulAnswer = regexp.MustCompile(`"code":"BAD_USER_INPUT"`)

// Attack 9: bytes PostgreSQL refuses are bad input everywhere, in one place;
// import skips such a line and goes on.
func TestAttackBadBytes(t *testing.T) {
	onBoth(t, func(t *testing.T, e *env) {
		before := countRows(t, e.store)
		for name, c := range map[string]struct {
			key, query string
			vars       map[string]any
		}{
			"id":     {"owner", `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 1) { edges { cursor } } }`, map[string]any{"id": "2\x00"}},
			"filter": {"owner", `query($r: String) { eventTypeHistory(eventTypeId: "2", first: 1, filter: {actor: {ref: $r}}) { edges { cursor } } }`, map[string]any{"r": "a\x00b"}},
			"org":    {"owner", `query($o: ID!) { memberChangeLogs(organizationId: $o, userId: "3", first: 1) { edges { cursor } } }`, map[string]any{"o": "org_\x00"}},
			"write": {"writer", `mutation($e: [MemberChangeLogEntryInput!]!) { recordMemberChangeLogs(organizationId: "1", entries: $e) { id } }`,
				map[string]any{"e": []any{map[string]any{"actorId": "1", "action": "UPDATED", "resourceType": "ASSISTANT", "resourceId": "asst_1", "resourceName": "bad\x00name"}}}},
			"sync":       {"writer", syncQuery, map[string]any{"org": "1", "input": map[string]any{"teams": []any{map[string]any{"id": 700, "slug": "nul", "name": "a\x00b"}}}}},
			"literal":    {"owner", "query { eventTypeHistory(eventTypeId: \"2\", first: 1, filter: {actor: {ref: \"a\\u0000b\"}}) { edges { cursor } } }", nil},
			"dateNumber": {"owner", `query($t: DateTime) { eventTypeHistory(eventTypeId: "2", first: 1, filter: {timestamp: {from: $t}}) { edges { cursor } } }`, map[string]any{"t": 1700000000}},
		} {
			r := mustPost(t, e, e.keys[c.key], c.query, c.vars)
			if !nulAnswer.Match(r.Raw) || r.Status >= 500 {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		if after := countRows(t, e.store); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("bad bytes stored something: %v -> %v", before, after)
		}
		for _, path := range []string{
			"/v1/organizations/" + acmePublicID + "/users/usr_%00/change-logs",
			"/v1/organizations/" + acmePublicID + "/users/usr_%ff%fe/change-logs",
		} {
			req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(`{"take":5}`))
			req.Header.Set("X-API-Key", e.keys["owner"])
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			resp.Body.Close()
			if resp.StatusCode != 400 && resp.StatusCode != 422 || !strings.Contains(body, `"success":false`) {
				t.Errorf("%s: %d %s", path, resp.StatusCode, body)
			}
		}
		for _, path := range []string{
			"/v2/event-types/2/history?limit=5&cursor=a%00b",
			"/v2/organizations/1/attributes/assignments/3%00/history",
			"/v2/organizations/1/attributes/assignments/3/history?cursor=%ff%fe",
		} {
			req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+e.keys["owner"])
			req.Header.Set("cal-api-version", "2024-06-14")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(body, `"status":"error"`) {
				t.Errorf("%s: %d %s", path, resp.StatusCode, body)
			}
		}

		// import: a NUL line and an over-long line are skipped and reported.
		long := `{"kind":"memberChangeLog","organizationId":1,"actorId":1,"action":"updated","resourceType":"assistant","resourceId":"asst_1","resourceName":"` + strings.Repeat("x", ingest.MaxLineBytes) + `"}`
		lines := []string{
			`{"kind":"memberChangeLog","organizationId":1,"timestamp":"2026-02-01T10:00:00Z","actorId":1,"action":"updated","resourceType":"assistant","resourceId":"asst_imp1"}`,
			`{"kind":"memberChangeLog","organizationId":1,"timestamp":"2026-02-01T10:00:01Z","actorId":1,"action":"updated","resourceType":"assistant","resourceId":"asst_\u0000"}`,
			long,
			`{"kind":"memberChangeLog","organizationId":1,"timestamp":"2026-02-01T10:00:02Z","actorId":1,"action":"updated","resourceType":"assistant","resourceId":"asst_imp2"}`,
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sum, err := ingest.Import(ctx, e.store, e.store, strings.NewReader(strings.Join(lines, "\n")+"\n"), ingest.ImportOptions{})
		if err != nil {
			t.Fatalf("import aborted: %v", err)
		}
		if sum.TotalImported() != 2 || sum.Rejected != 2 {
			js, _ := json.Marshal(sum)
			t.Errorf("import: %s", js)
		}
	})
}

// Attack 10: the runtime role cannot rewrite history, whatever the server's
// code does.
func TestAttackRuntimeRoleCannotRewriteHistory(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	store, _ := openSeeded(t, dsn, db.Options{})
	ctx := context.Background()
	// The attack, as the server ran before: its role owns the tables and
	// sets the triggers aside at will (rolled back here).
	tx, err := store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "ALTER TABLE event_type_history DISABLE TRIGGER ALL"); err != nil {
		t.Fatalf("the owner role cannot disable the triggers: %v", err)
	}
	if res, err := tx.ExecContext(ctx, "UPDATE event_type_history SET source = 'SYSTEM'"); err != nil {
		t.Fatalf("the owner role cannot rewrite history once the triggers are off: %v", err)
	} else if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("nothing rewritten")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	runtimeURL, err := db.GrantRuntimeRole(ctx, store.DB(), dsn, "auditgraph_rt_test", "rt-secret")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := db.Open(runtimeURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rs := db.NewStore(rt)
	// What the server does works.
	if _, err := rs.EventTypeByID(ctx, 2); err != nil {
		t.Fatalf("runtime role reads the directory: %v", err)
	}
	if n, err := rt.NewSelect().TableExpr("event_type_history").Count(ctx); err != nil || n == 0 {
		t.Fatalf("runtime role reads history: %d %v", n, err)
	}
	if err := rs.UpsertTeam(ctx, &model.Team{ID: 800, OrganizationID: ptrTo(seed.AcmeID), Slug: "rt", Name: "Runtime"}); err != nil {
		t.Fatalf("runtime role writes the directory: %v", err)
	}
	for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs"} {
		for _, stmt := range []string{
			"ALTER TABLE " + table + " DISABLE TRIGGER ALL",
			"ALTER TABLE " + table + " ADD COLUMN x int",
			"UPDATE " + table + " SET created_at = created_at",
			"DELETE FROM " + table,
			"TRUNCATE " + table,
			"DROP TABLE " + table,
			"CREATE TRIGGER t BEFORE INSERT ON " + table + " FOR EACH ROW EXECUTE FUNCTION refuse_history_change()",
		} {
			if _, err := rt.ExecContext(ctx, stmt); err == nil {
				t.Errorf("runtime role ran %q", stmt)
			}
		}
	}
	if _, err := rt.ExecContext(ctx, `CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`); err == nil {
		t.Error("runtime role replaced refuse_history_change()")
	}
	if _, err := rt.ExecContext(ctx, `CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'`); err == nil {
		t.Error("runtime role created a function")
	}
	owner, super, err := db.RoleRights(ctx, rt)
	if err != nil || owner || super {
		t.Errorf("runtime role: owner %v superuser %v (%v)", owner, super, err)
	}
	owner, _, err = db.RoleRights(ctx, store.DB())
	if err != nil || !owner {
		t.Errorf("migrating role is not reported as owner: %v %v", owner, err)
	}
}

// Attack 7: the playground embeds a key only for a server that listens on
// loopback alone.
func TestAttackPlaygroundServesKey(t *testing.T) {
	for addr, want := range map[string]bool{
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "192.168.1.5:8080": false,
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true,
	} {
		if got := server.LoopbackOnly(addr); got != want {
			t.Errorf("LoopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
	cfg := testConfig()
	cfg.PlaygroundAPIKey = "cal_secretdemokey0000000000000000"
	e := sqliteEnv(t, cfg, nil)
	// httptest listens on 127.0.0.1, but the configuration did not say the
	// server is loopback only: no key.
	resp, err := http.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	resp.Body.Close()
	if strings.Contains(body, cfg.PlaygroundAPIKey) {
		t.Errorf("the playground serves the key without PlaygroundLoopbackOnly")
	}
}
