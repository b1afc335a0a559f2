package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// The authorization matrix: every read and write surface (each GraphQL
// history field and mutation, each REST endpoint) against every kind of
// caller, with the expected outcome in that interface's format. A refused
// answer must carry no part of any history entry, and a refused write must
// store nothing.

// Abstract outcomes of the table; matrixWant renders them per interface.
const (
	allow  = "allow"
	unauth = "unauth"
	forbid = "forbid"
)

// callerNames lists the matrix's columns in order.
var callerNames = []string{
	"none", "malformed", "unknown", "expired", "revoked",
	"member", "frank", "admin", "owner", "auditor", "outsider",
	"etRead", "auditRead", "writer", "adminWriter", "globexWriter", "prefixless",
}

// callerNotes says who each column is, for the printed table.
var callerNotes = map[string]string{
	"none":         "no credentials",
	"malformed":    "Authorization: Basic abc",
	"unknown":      "a key never issued",
	"expired":      "owner key expired an hour ago",
	"revoked":      "owner key revoked",
	"member":       "Carol, plain Acme member, owner of personal event type 1",
	"frank":        "Frank, Acme member, custom role without readAuditLogs, assigned managed child 4",
	"admin":        "Bob, Acme ADMIN",
	"owner":        "Alice, Acme OWNER, unscoped key",
	"auditor":      "Dave, Acme member, custom role with readAuditLogs",
	"outsider":     "Erin, OWNER of Globex (another organization)",
	"etRead":       "Alice's key scoped EVENT_TYPE_READ",
	"auditRead":    "Alice's key scoped audit:read",
	"writer":       "Alice's key scoped audit:write bound to Acme",
	"adminWriter":  "Bob's key (Acme ADMIN) scoped audit:write bound to Acme",
	"globexWriter": "Erin's key scoped audit:write bound to Globex",
	"prefixless":   "Alice's unscoped key whose secret lacks cal_ (refused by /v2 only)",
}

// badCredential reports whether the caller presents no usable key.
func badCredential(caller string) bool {
	switch caller {
	case "none", "malformed", "unknown", "expired", "revoked":
		return true
	}
	return false
}

type surfaceKind int

const (
	kindGraphQL surfaceKind = iota
	kindV2
	kindV1
)

// matrixSurface is one row: how to call it and who it allows.
type matrixSurface struct {
	name  string
	kind  surfaceKind
	write bool
	// field is the GraphQL root field whose data an allowed call returns.
	field string
	// history names the target history (see collectHistories) an allowed
	// read returns entries of.
	history string
	allowed []string
	// refused is the GraphQL code of a refusal (FORBIDDEN when empty): a
	// directory record the caller may not see is NOT_FOUND.
	refused string
	// override gives callers whose outcome is neither allowed nor the
	// surface's refusal (a write key refused for what it sends).
	override map[string]string
	// request builds the call; cell is unique per (surface, caller), so
	// that every write attempt has its own payload.
	request func(cell int) (method, path string, headers map[string]string, body string)
}

// matrixWant renders an abstract outcome in the interface's format.
func matrixWant(s matrixSurface, caller string) string {
	if o, ok := s.override[caller]; ok {
		return o
	}
	if caller == "prefixless" {
		// /v2, as Cal.com, refuses a Bearer token without the cal_
		// prefix; elsewhere the key is the owner's.
		if s.kind == kindV2 {
			return "401 UnauthorizedException"
		}
		caller = "owner"
	}
	outcome := forbid
	switch {
	case badCredential(caller):
		outcome = unauth
	case contains(s.allowed, caller):
		outcome = allow
	}
	switch s.kind {
	case kindGraphQL:
		refused := s.refused
		if refused == "" {
			refused = model.CodeForbidden
		}
		return map[string]string{allow: "data", unauth: model.CodeUnauthenticated, forbid: refused}[outcome]
	case kindV2:
		return map[string]string{allow: "200", unauth: "401 UnauthorizedException", forbid: "403 ForbiddenException"}[outcome]
	default:
		// /v1's document has its own codes for an expired key and for a
		// caller with no membership in the organization (all the /v1 surfaces
		// here are Acme's, where only Erin's keys have none).
		switch {
		case outcome == unauth && caller == "expired":
			return "401 API_KEY_EXPIRED"
		case outcome == unauth && caller != "none":
			return "401 INVALID_API_KEY"
		case outcome == forbid && (caller == "outsider" || caller == "globexWriter"):
			return "403 ORGANIZATION_ACCESS_DENIED"
		}
		return map[string]string{allow: "200", unauth: "401 AUTHENTICATION_REQUIRED", forbid: "403 INSUFFICIENT_PERMISSIONS"}[outcome]
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

const (
	matrixAttrQuery = `query($o: ID!, $u: ID!, $first: Int, $after: String) {
  attributeAssignmentHistory(orgId: $o, userId: $u, first: $first, after: $after) {
    edges { node { id actor { displayName displayEmail } } }
    pageInfo { hasNextPage endCursor }
  }
}`
	matrixEventTypeQuery = `query($id: ID!, $first: Int, $after: String) {
  eventTypeHistory(eventTypeId: $id, first: $first, after: $after) {
    edges { node { id actor { displayName displayEmail } impersonatedBy { displayName displayEmail } actionDisplayTitle } }
    pageInfo { hasNextPage endCursor }
  }
}`
	matrixChangeLogsQuery = `query($o: ID!, $u: ID!, $first: Int, $after: String) {
  memberChangeLogs(organizationId: $o, userId: $u, first: $first, after: $after) {
    edges { node { id actor { name email } resourceName } }
    pageInfo { hasNextPage endCursor }
  }
}`
	matrixSyncMutation = `mutation($org: ID!, $input: DirectoryInput!) {
  syncDirectory(organizationId: $org, input: $input) { users memberships }
}`
	matrixRecordAttributes = `mutation($org: ID!, $entries: [AttributeChangeEntryInput!]!) {
  recordAttributeChanges(organizationId: $org, entries: $entries) { id created }
}`
	matrixRecordEventTypes = `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id created }
}`
	matrixRecordChangeLogs = `mutation($org: ID!, $entries: [MemberChangeLogEntryInput!]!) {
  recordMemberChangeLogs(organizationId: $org, entries: $entries) { id created }
}`
)

// gqlBody is a GraphQL request body.
func gqlBody(query string, vars map[string]any) string {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func gqlRequest(query string, vars map[string]any) func(int) (string, string, map[string]string, string) {
	return func(int) (string, string, map[string]string, string) {
		return http.MethodPost, "/graphql", nil, gqlBody(query, vars)
	}
}

const (
	acmePublicID  = "org_acme7f3k2q9x1b5m8n4v"
	carolPublicID = "usr_demo0000000000000003"
)

// everyone maps every caller with a usable key to outcome.
func everyone(outcome string) map[string]string {
	m := map[string]string{}
	for _, c := range callerNames {
		m[c] = outcome
	}
	return m
}

// tenantMarkers are what each organization's directory shows: a body
// answered to one tenant's caller must show none of the other's.
var tenantMarkers = map[string][]string{
	"acme":   {"Acme Corp", "@acme.example", `"name":"Engineering"`, "Engineering sync", "usr_demo0000000000000003"},
	"globex": {"Globex", "@globex.example", `"name":"Support"`, "Support call", "usr_demo0000000000000016"},
}

// callerTenant is the organization whose directory a caller may see.
func callerTenant(caller string) string {
	switch caller {
	case "outsider", "globexWriter":
		return "globex"
	case "none", "malformed", "unknown", "expired", "revoked":
		return ""
	}
	return "acme"
}

func matrixSurfaces() []matrixSurface {
	acmeMembers := []string{"member", "frank", "admin", "owner", "auditor", "etRead", "auditRead"}
	acmeReaders := []string{"owner", "admin", "auditor", "auditRead"}
	eventTypeAdmins := []string{"owner", "admin", "etRead"}
	changeLogReaders := []string{"owner", "admin", "auditRead"}
	writers := []string{"writer", "adminWriter"}
	org := fmt.Sprint(seed.AcmeID)
	carol := fmt.Sprint(seed.MemberUserID)
	mutation := func(query string, vars func(cell int) map[string]any) func(int) (string, string, map[string]string, string) {
		return func(cell int) (string, string, map[string]string, string) {
			return http.MethodPost, "/graphql", nil, gqlBody(query, vars(cell))
		}
	}
	return []matrixSurface{
		{name: "gql attributeAssignmentHistory(acme, carol)", field: "attributeAssignmentHistory", history: "attr", allowed: acmeReaders,
			request: gqlRequest(matrixAttrQuery, map[string]any{"o": org, "u": carol, "first": 5})},
		{name: "gql eventTypeHistory(1 personal)", field: "eventTypeHistory", history: "et1", allowed: []string{"member"},
			request: gqlRequest(matrixEventTypeQuery, map[string]any{"id": "1", "first": 5})},
		{name: "gql eventTypeHistory(2 team)", field: "eventTypeHistory", history: "et2", allowed: eventTypeAdmins,
			request: gqlRequest(matrixEventTypeQuery, map[string]any{"id": "2", "first": 5})},
		{name: "gql eventTypeHistory(4 managed child)", field: "eventTypeHistory", history: "et4", allowed: eventTypeAdmins,
			request: gqlRequest(matrixEventTypeQuery, map[string]any{"id": "4", "first": 5})},
		{name: "gql memberChangeLogs(acme, carol)", field: "memberChangeLogs", history: "logs", allowed: changeLogReaders,
			request: gqlRequest(matrixChangeLogsQuery, map[string]any{"o": acmePublicID, "u": carol, "first": 5})},
		{name: "gql syncDirectory(acme)", field: "syncDirectory", write: true, allowed: writers,
			request: mutation(matrixSyncMutation, func(cell int) map[string]any {
				id := 5000 + cell
				return map[string]any{"org": org, "input": map[string]any{
					"users":       []any{map[string]any{"id": id, "email": fmt.Sprintf("matrix%d@acme.example", id), "name": "Matrix Member"}},
					"memberships": []any{map[string]any{"id": id, "userId": id, "role": "MEMBER"}},
				}}
			})},
		{name: "gql recordAttributeChanges(acme)", field: "recordAttributeChanges", write: true, allowed: writers,
			request: mutation(matrixRecordAttributes, func(cell int) map[string]any {
				return map[string]any{"org": org, "entries": []any{map[string]any{
					"idempotencyKey": fmt.Sprintf("matrix-attr-%d", cell), "userId": carol, "source": "WEBAPP",
					"actor":       map[string]any{"type": "SYSTEM"},
					"attributeId": "attr_location", "current": map[string]any{"optionId": "opt_location", "value": fmt.Sprintf("City %d", cell)},
				}}}
			})},
		{name: "gql recordEventTypeChanges(acme)", field: "recordEventTypeChanges", write: true, allowed: writers,
			request: mutation(matrixRecordEventTypes, func(cell int) map[string]any {
				return map[string]any{"org": org, "entries": []any{map[string]any{
					"idempotencyKey": fmt.Sprintf("matrix-et-%d", cell), "eventTypeId": "2", "action": "EVENT_TYPE_MODIFIED",
					"source": "WEBAPP", "actor": map[string]any{"type": "SYSTEM"},
					"before": map[string]any{"title": "Engineering sync", "length": 30},
					"after":  map[string]any{"title": "Engineering sync", "length": 30 + cell},
				}}}
			})},
		{name: "gql recordMemberChangeLogs(acme)", field: "recordMemberChangeLogs", write: true, allowed: writers,
			request: mutation(matrixRecordChangeLogs, func(cell int) map[string]any {
				return map[string]any{"org": org, "entries": []any{map[string]any{
					"idempotencyKey": fmt.Sprintf("matrix-log-%d", cell), "actorId": carol, "action": "UPDATED",
					"resourceType": "ASSISTANT", "resourceId": "asst_matrix", "resourceName": "Matrix scheduler",
					"changes": []any{map[string]any{"field": "enabled", "old_value": true, "new_value": false}},
				}}}
			})},
		// The directory: visible to the members of what it belongs to,
		// through a key that reads; NOT_FOUND to anyone else, as missing.
		{name: "gql organization(acme) teams members", field: "organization", refused: model.CodeNotFound, allowed: acmeMembers,
			request: gqlRequest(`query { organization(id: "1") { name teams { name } attributes { name } member(userId: "5") { user { email } } } }`, nil)},
		{name: "gql organization(globex)", field: "organization", refused: model.CodeNotFound, allowed: []string{"outsider"},
			request: gqlRequest(`query { organization(id: "2") { name teams { name } member(userId: "16") { role user { email } } } }`, nil)},
		{name: "gql organization(99999 missing)", field: "organization", refused: model.CodeNotFound,
			request: gqlRequest(`query { organization(id: "99999") { name } }`, nil)},
		{name: "gql eventType(2) team organization owner", field: "eventType", refused: model.CodeNotFound, allowed: acmeMembers,
			request: gqlRequest(`query { eventType(id: "2") { title owner { email } team { name organization { name } } parent { title } } }`, nil)},
		{name: "gql eventType(1 personal)", field: "eventType", refused: model.CodeNotFound, allowed: []string{"member"},
			request: gqlRequest(`query { eventType(id: "1") { title owner { email } } }`, nil)},
		{name: "gql eventType(6 globex)", field: "eventType", refused: model.CodeNotFound, allowed: []string{"outsider"},
			request: gqlRequest(`query { eventType(id: "6") { title team { name organization { name } } } }`, nil)},
		{name: "gql node(User 16 globex)", field: "node", refused: model.CodeNotFound, allowed: []string{"outsider"},
			request: gqlRequest(`query($id: ID!) { node(id: $id) { id ... on User { email memberships { role } } } }`, map[string]any{"id": b64("User:16")})},
		{name: "gql node(Membership carol)", field: "node", refused: model.CodeNotFound, allowed: acmeMembers,
			request: gqlRequest(`query($id: ID!) { node(id: $id) { id ... on Membership { role user { email } organization { name } } } }`, map[string]any{"id": b64("Membership:103")})},
		{name: "gql node(Attribute attr_dept)", field: "node", refused: model.CodeNotFound, allowed: acmeMembers,
			request: gqlRequest(`query($id: ID!) { node(id: $id) { id ... on Attribute { name options { value } } } }`, map[string]any{"id": b64("Attribute:attr_dept")})},
		// The existence rule and bad bytes on the history roots.
		{name: "gql eventTypeHistory(99999 missing)", field: "eventTypeHistory",
			request: gqlRequest(matrixEventTypeQuery, map[string]any{"id": "99999", "first": 5})},
		{name: "gql eventTypeHistory(NUL in the id)", field: "eventTypeHistory", override: everyone(model.CodeInvalid),
			request: gqlRequest(matrixEventTypeQuery, map[string]any{"id": "2\x00", "first": 5})},
		// The attacks on the write side, as rows.
		{name: "gql syncDirectory(globex) links Carol (attack 1)", field: "syncDirectory", write: true, override: map[string]string{"globexWriter": model.CodeInvalid},
			request: mutation(matrixSyncMutation, func(cell int) map[string]any {
				return map[string]any{"org": "2", "input": map[string]any{
					"memberships": []any{map[string]any{"id": 9000 + cell, "userId": seed.MemberUserID, "role": "MEMBER"}}}}
			})},
		{name: "gql syncDirectory(acme) under Globex's parent (attack 4)", field: "syncDirectory", write: true, override: map[string]string{"writer": model.CodeInvalid, "adminWriter": model.CodeInvalid},
			request: mutation(matrixSyncMutation, func(cell int) map[string]any {
				return map[string]any{"org": org, "input": map[string]any{
					"eventTypes": []any{map[string]any{"id": 7000 + cell, "title": "Spy", "slug": fmt.Sprintf("spy-%d", cell), "teamId": seed.EngineeringTeamID, "parentId": seed.GlobexEventTypeID}}}}
			})},
		{name: "gql syncDirectory(acme) owned by a Globex user (attack 4)", field: "syncDirectory", write: true, override: map[string]string{"writer": model.CodeInvalid, "adminWriter": model.CodeInvalid},
			request: mutation(matrixSyncMutation, func(cell int) map[string]any {
				return map[string]any{"org": org, "input": map[string]any{
					"eventTypes": []any{map[string]any{"id": 7500 + cell, "title": "Spy", "slug": fmt.Sprintf("spy-o-%d", cell), "ownerUserId": 16}}}}
			})},
		{name: "gql syncDirectory(acme) new OWNER (attack 6)", field: "syncDirectory", write: true, allowed: []string{"writer"},
			request: mutation(matrixSyncMutation, func(cell int) map[string]any {
				id := 8000 + cell
				return map[string]any{"org": org, "input": map[string]any{
					"users":       []any{map[string]any{"id": id, "email": fmt.Sprintf("owner%d@acme.example", id), "name": "Matrix Owner"}},
					"memberships": []any{map[string]any{"id": id, "userId": id, "role": "OWNER"}},
				}}
			})},
		{name: "GET /v2 attribute history(acme, carol)", kind: kindV2, history: "attr", allowed: acmeReaders,
			request: func(int) (string, string, map[string]string, string) {
				return http.MethodGet, fmt.Sprintf("/v2/organizations/%s/attributes/assignments/%s/history?limit=5", org, carol), nil, ""
			}},
		{name: "GET /v2 event type history(2 team)", kind: kindV2, history: "et2", allowed: eventTypeAdmins,
			request: func(int) (string, string, map[string]string, string) {
				return http.MethodGet, "/v2/event-types/2/history?limit=5", map[string]string{"cal-api-version": "2024-06-14"}, ""
			}},
		{name: "POST /v1 change logs(acme, carol)", kind: kindV1, history: "logs", allowed: changeLogReaders,
			request: func(int) (string, string, map[string]string, string) {
				return http.MethodPost, fmt.Sprintf("/v1/organizations/%s/users/%s/change-logs", acmePublicID, carolPublicID),
					map[string]string{"Content-Type": "application/json"}, `{"take":5}`
			}},
	}
}

// matrixKeys creates the keys of the matrix's callers beyond the demo's.
func matrixKeys(t *testing.T, store *db.Store, demo map[string]string) map[string]string {
	t.Helper()
	ctx := context.Background()
	acme, globex := seed.AcmeID, seed.GlobexID
	hourAgo := time.Now().Add(-time.Hour)
	mk := func(name string, k model.APIKey) (string, int64) {
		secret := model.NewKeySecret()
		k.Hash, k.Hint, k.Name = model.HashKey(secret), model.KeyHint(secret), "matrix "+name
		if err := store.CreateAPIKey(ctx, &k); err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		return secret, k.ID
	}
	keys := map[string]string{
		"owner": demo["owner"], "admin": demo["admin"], "member": demo["member"], "auditor": demo["auditor"],
		"outsider": demo["outsider"], "writer": demo["writer"],
		"unknown": model.NewKeySecret(),
	}
	keys["frank"], _ = mk("frank", model.APIKey{UserID: seed.NoRoleUserID})
	keys["expired"], _ = mk("expired", model.APIKey{UserID: seed.OwnerUserID, ExpiresAt: &hourAgo})
	var revokedID int64
	keys["revoked"], revokedID = mk("revoked", model.APIKey{UserID: seed.OwnerUserID})
	if err := store.RevokeAPIKey(ctx, revokedID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys["etRead"], _ = mk("etRead", model.APIKey{UserID: seed.OwnerUserID, Scopes: []string{model.ScopeEventTypeRead}})
	keys["auditRead"], _ = mk("auditRead", model.APIKey{UserID: seed.OwnerUserID, OrganizationID: &acme, Scopes: []string{model.ScopeRead}})
	keys["adminWriter"], _ = mk("adminWriter", model.APIKey{UserID: seed.AdminUserID, OrganizationID: &acme, Scopes: []string{model.ScopeWrite}})
	prefixless := strings.TrimPrefix(model.NewKeySecret(), model.KeyPrefix)
	if err := store.CreateAPIKey(ctx, &model.APIKey{Hash: model.HashKey(prefixless), Hint: model.KeyHint(prefixless), Name: "matrix prefixless", UserID: seed.OwnerUserID}); err != nil {
		t.Fatal(err)
	}
	keys["prefixless"] = prefixless
	keys["globexWriter"], _ = mk("globexWriter", model.APIKey{UserID: seed.OutsiderUserID, OrganizationID: &globex, Scopes: []string{model.ScopeWrite}})
	for _, c := range callerNames {
		if _, ok := keys[c]; !ok && c != "none" && c != "malformed" {
			t.Fatalf("no key for caller %s", c)
		}
	}
	return keys
}

// credentialHeaders are the headers caller sends to a surface: the /v1
// clients send X-API-Key, the others a bearer token.
func credentialHeaders(caller string, kind surfaceKind, keys map[string]string) map[string]string {
	switch caller {
	case "none":
		return nil
	case "malformed":
		return map[string]string{"Authorization": "Basic abc"}
	}
	if kind == kindV1 {
		return map[string]string{"X-API-Key": keys[caller]}
	}
	return map[string]string{"Authorization": "Bearer " + keys[caller]}
}

// matrixSend sends one request and returns the status and body.
func matrixSend(t *testing.T, base, method, path string, headers map[string]string, body string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost && path == "/graphql" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// historyParts is what a history shows of its entries: ids, actor and
// impersonator names and emails, titles and resource names.
type historyParts struct {
	ids   map[string]bool
	parts map[string]bool
}

// collectHistories pages through each target history with a caller allowed
// to read it and gathers every part of every entry.
func collectHistories(t *testing.T, base string, keys map[string]string) map[string]*historyParts {
	t.Helper()
	org, carol := fmt.Sprint(seed.AcmeID), fmt.Sprint(seed.MemberUserID)
	targets := map[string]struct {
		key, query, field string
		vars              map[string]any
	}{
		"attr": {"owner", matrixAttrQuery, "attributeAssignmentHistory", map[string]any{"o": org, "u": carol}},
		"et1":  {"member", matrixEventTypeQuery, "eventTypeHistory", map[string]any{"id": "1"}},
		"et2":  {"owner", matrixEventTypeQuery, "eventTypeHistory", map[string]any{"id": "2"}},
		"et4":  {"owner", matrixEventTypeQuery, "eventTypeHistory", map[string]any{"id": "4"}},
		"logs": {"owner", matrixChangeLogsQuery, "memberChangeLogs", map[string]any{"o": org, "u": carol}},
	}
	out := map[string]*historyParts{}
	for name, tg := range targets {
		hp := &historyParts{ids: map[string]bool{}, parts: map[string]bool{}}
		var after any
		for page := 0; ; page++ {
			if page > 1000 {
				t.Fatalf("%s: no end of pages", name)
			}
			vars := map[string]any{"first": 50, "after": after}
			for k, v := range tg.vars {
				vars[k] = v
			}
			_, raw := matrixSend(t, base, http.MethodPost, "/graphql",
				map[string]string{"Authorization": "Bearer " + keys[tg.key]}, gqlBody(tg.query, vars))
			var resp struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors []any                      `json:"errors"`
			}
			if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Errors) > 0 {
				t.Fatalf("collecting %s: %s", name, raw)
			}
			var conn struct {
				Edges []struct {
					Node map[string]any `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			}
			if err := json.Unmarshal(resp.Data[tg.field], &conn); err != nil {
				t.Fatal(err)
			}
			for _, e := range conn.Edges {
				hp.ids[e.Node["id"].(string)] = true
				addStrings(hp.parts, e.Node)
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = conn.PageInfo.EndCursor
		}
		if len(hp.ids) == 0 {
			t.Fatalf("target history %s is empty: the matrix would prove nothing", name)
		}
		out[name] = hp
	}
	return out
}

// addStrings adds every string of v (recursively) worth looking for in a
// body: short ones ("Go", "System") would match innocent text.
func addStrings(set map[string]bool, v any) {
	switch v := v.(type) {
	case string:
		if len(v) >= 6 {
			set[v] = true
		}
	case map[string]any:
		for _, c := range v {
			addStrings(set, c)
		}
	case []any:
		for _, c := range v {
			addStrings(set, c)
		}
	}
}

// matrixCounts counts the rows a refused write must not add.
func matrixCounts(t *testing.T, store *db.Store) map[string]int {
	t.Helper()
	out := countRows(t, store)
	for _, table := range []string{"users", "memberships"} {
		n, err := store.DB().NewSelect().TableExpr(table).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out[table] = int(n)
	}
	return out
}

// matrixOutcome reads the outcome of a response in its interface's format,
// checking the envelope on the way.
func matrixOutcome(s matrixSurface, status int, raw []byte) (string, error) {
	switch s.kind {
	case kindGraphQL:
		var r struct {
			Data   map[string]json.RawMessage `json:"data"`
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", fmt.Errorf("not JSON (%d): %v", status, err)
		}
		if len(r.Errors) > 0 {
			code, _ := r.Errors[0].Extensions["code"].(string)
			if code == "" {
				code = "no code"
			}
			return code, nil
		}
		if d := r.Data[s.field]; len(d) == 0 || string(d) == "null" {
			return "no data", nil
		}
		return "data", nil
	case kindV2:
		var r struct {
			Status string `json:"status"`
			Error  *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", fmt.Errorf("not JSON (%d): %v", status, err)
		}
		if status == http.StatusOK {
			if r.Status != "success" {
				return "", fmt.Errorf("200 without status success")
			}
			return "200", nil
		}
		if r.Status != "error" || r.Error == nil {
			return "", fmt.Errorf("%d not in the /v2 error envelope", status)
		}
		return fmt.Sprintf("%d %s", status, r.Error.Code), nil
	default:
		var r struct {
			Success *bool `json:"success"`
			Logs    []any `json:"logs"`
			Error   *struct {
				Code   string `json:"code"`
				Status int    `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", fmt.Errorf("not JSON (%d): %v", status, err)
		}
		if status == http.StatusOK {
			if r.Logs == nil {
				return "", fmt.Errorf("200 without logs")
			}
			return "200", nil
		}
		if r.Success == nil || *r.Success || r.Error == nil || r.Error.Status != status {
			return "", fmt.Errorf("%d not in the /v1 error envelope", status)
		}
		return fmt.Sprintf("%d %s", status, r.Error.Code), nil
	}
}

// returnedIDs digs the entry ids out of an allowed read's body.
func returnedIDs(s matrixSurface, raw []byte) []string {
	var v any
	json.Unmarshal(raw, &v)
	var ids []string
	var walk func(v any, inList bool)
	walk = func(v any, inList bool) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["id"].(string); ok && inList {
				ids = append(ids, id)
			}
			for k, c := range v {
				walk(c, k == "node" || k == "auditLogs" || k == "logs")
			}
		case []any:
			for _, c := range v {
				walk(c, inList)
			}
		}
	}
	walk(v, false)
	return ids
}

// leakMarkers are keys only a history answer has.
var leakMarkers = []string{`"edges"`, `"node"`, `"auditLogs"`, `"logs"`, `"cursor"`, `"recordAttributeChanges":[`,
	`"recordEventTypeChanges":[`, `"recordMemberChangeLogs":[`, `"syncDirectory":{`}

func TestAuthorizationMatrix(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { runMatrix(t, sqliteEnv(t, testConfig(), nil)) })
	t.Run("postgres", func(t *testing.T) { runMatrix(t, postgresEnv(t, testConfig(), db.Options{}, nil)) })
}

func runMatrix(t *testing.T, e *env) {
	keys := matrixKeys(t, e.store, e.keys)
	histories := collectHistories(t, e.url, keys)
	// Every part of every target history: a refused answer shows none.
	var allParts []string
	for _, h := range histories {
		for p := range h.parts {
			allParts = append(allParts, p)
		}
		for id := range h.ids {
			allParts = append(allParts, id)
		}
	}

	surfaces := matrixSurfaces()
	got := make([][]string, len(surfaces))
	readsBefore := countRows(t, e.store)
	// Reads first, then writes: the writes add entries the leak check does
	// not know, and must not change what the reads see.
	order := make([]int, 0, len(surfaces))
	for i, s := range surfaces {
		if !s.write {
			order = append(order, i)
		}
	}
	for i, s := range surfaces {
		if s.write {
			order = append(order, i)
		}
	}
	for _, si := range order {
		s := surfaces[si]
		got[si] = make([]string, len(callerNames))
		for ci, caller := range callerNames {
			cell := si*len(callerNames) + ci
			want := matrixWant(s, caller)
			method, path, headers, body := s.request(cell)
			h := map[string]string{}
			for k, v := range credentialHeaders(caller, s.kind, keys) {
				h[k] = v
			}
			for k, v := range headers {
				h[k] = v
			}
			var before map[string]int
			if s.write {
				before = matrixCounts(t, e.store)
			}
			status, raw := matrixSend(t, e.url, method, path, h, body)
			outcome, err := matrixOutcome(s, status, raw)
			if err != nil {
				outcome = "bad envelope"
				t.Errorf("%s × %s: %v: %s", s.name, caller, err, raw)
			}
			got[si][ci] = outcome
			if outcome != want {
				got[si][ci] = outcome + " (want " + want + ")"
				t.Errorf("%s × %s: got %s, want %s: %s", s.name, caller, outcome, want, raw)
			}
			allowed := want == "data" || want == "200"
			// Whatever the outcome, a body shows nothing of a tenant the
			// caller does not belong to, but what the request itself sent.
			for tenant, markers := range tenantMarkers {
				if tenant == callerTenant(caller) {
					continue
				}
				for _, m := range markers {
					if bytes.Contains(raw, []byte(m)) && !strings.Contains(path+body, m) {
						t.Errorf("%s × %s: answer shows %q of %s: %s", s.name, caller, m, tenant, raw)
					}
				}
			}
			if !allowed {
				for _, m := range leakMarkers {
					if m == `"node"` && s.field == "node" {
						continue // the field's own name, in the error's path
					}
					if bytes.Contains(raw, []byte(m)) {
						t.Errorf("%s × %s: refused answer carries %s: %s", s.name, caller, m, raw)
					}
				}
				for _, p := range allParts {
					if bytes.Contains(raw, []byte(p)) {
						t.Errorf("%s × %s: refused answer carries %q of a history entry: %s", s.name, caller, p, raw)
					}
				}
			}
			if s.write {
				after := matrixCounts(t, e.store)
				grew := 0
				for table, n := range before {
					if after[table] != n {
						grew++
						if !allowed {
							t.Errorf("%s × %s: refused write changed %s from %d to %d rows", s.name, caller, table, n, after[table])
						}
					}
				}
				if allowed && grew == 0 && outcome == want {
					t.Errorf("%s × %s: allowed write stored nothing: %s", s.name, caller, raw)
				}
			} else if allowed && outcome == want && s.history != "" {
				ids := returnedIDs(s, raw)
				if len(ids) == 0 {
					t.Errorf("%s × %s: allowed read returned no entries: %s", s.name, caller, raw)
				}
				for _, id := range ids {
					if !histories[s.history].ids[id] {
						t.Errorf("%s × %s: returned %s, not an entry of the target history", s.name, caller, id)
					}
				}
			}
		}
		if !s.write {
			if after := countRows(t, e.store); fmt.Sprint(after) != fmt.Sprint(readsBefore) {
				t.Errorf("%s: reads changed the histories: %v -> %v", s.name, readsBefore, after)
			}
		}
	}

	// The table, surfaces × callers, printed whether or not it passed.
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "surface \\ caller")
	for _, c := range callerNames {
		fmt.Fprint(tw, "\t", c)
	}
	fmt.Fprintln(tw)
	for si, s := range surfaces {
		fmt.Fprint(tw, s.name)
		for _, o := range got[si] {
			fmt.Fprint(tw, "\t", o)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	var notes strings.Builder
	for _, c := range callerNames {
		fmt.Fprintf(&notes, "  %-13s %s\n", c, callerNotes[c])
	}
	t.Logf("authorization matrix (%d surfaces × %d callers; entries checked for leaks: %d parts)\n%s\ncallers:\n%s",
		len(surfaces), len(callerNames), len(allParts), buf.String(), notes.String())
}
