package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(seed.Template)
	os.Exit(pgtest.Main(m))
}

// writeEnv is a server on a seeded database of one dialect, with keys for
// every access case of the write side.
type writeEnv struct {
	t     *testing.T
	store *db.Store
	url   string
	keys  map[string]string
}

func eachDialect(t *testing.T, fn func(t *testing.T, e *writeEnv)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newWriteEnv(t, filepath.Join(t.TempDir(), "w.db"), true))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newWriteEnv(t, pgtest.NewDatabase(t), false))
	})
}

func newWriteEnv(t *testing.T, url string, seedIt bool) *writeEnv {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	if seedIt {
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := seed.Run(ctx, store); err != nil {
			t.Fatal(err)
		}
	}
	acme, globex := seed.AcmeID, seed.GlobexID
	keys := map[string]string{}
	for name, k := range map[string]model.APIKey{
		"writer":       {UserID: seed.OwnerUserID, OrganizationID: &acme, Scopes: []string{model.ScopeWrite}},
		"reader":       {UserID: seed.OwnerUserID},
		"readScoped":   {UserID: seed.OwnerUserID, OrganizationID: &acme, Scopes: []string{model.ScopeRead}},
		"globexWriter": {UserID: seed.OutsiderUserID, OrganizationID: &globex, Scopes: []string{model.ScopeWrite}},
		"unboundWrite": {UserID: seed.OwnerUserID, Scopes: []string{model.ScopeWrite}},
	} {
		secret := model.NewKeySecret()
		k.Hash, k.Hint, k.Name = model.HashKey(secret), model.KeyHint(secret), name
		if err := store.CreateAPIKey(ctx, &k); err != nil {
			t.Fatal(err)
		}
		keys[name] = secret
	}
	cfg := server.Defaults()
	cfg.RateLimit = 0
	srv, err := wire.Server(cfg, store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &writeEnv{t: t, store: store, url: ts.URL, keys: keys}
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// gql posts an operation to /graphql with the named key ("" for none).
func (e *writeEnv) gql(key, query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[key])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("response %s: %v", raw, err)
	}
	return out
}

// ok posts and fails on any error, decoding data into dst.
func (e *writeEnv) ok(key, query string, vars map[string]any, dst any) {
	e.t.Helper()
	r := e.gql(key, query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, dst); err != nil {
		e.t.Fatal(err)
	}
}

func (e *writeEnv) count(table string) int {
	e.t.Helper()
	n, err := e.store.DB().NewSelect().TableExpr(table).Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return int(n)
}

const syncMutation = `mutation($org: ID!, $input: DirectoryInput!) {
  syncDirectory(organizationId: $org, input: $input) { teams users memberships eventTypes attributes attributeOptions customRoles }
}`

// directory is the fixture the round trips write into: a member and an event
// type of Acme with no history yet. base offsets the ids so that the API and
// the import path each get their own.
func directory(base int) map[string]any {
	return map[string]any{
		"users": []map[string]any{{"id": base, "email": fmt.Sprintf("new%d@acme.example", base), "name": "New Member"}},
		"memberships": []map[string]any{{"id": base, "userId": base, "role": "MEMBER"},
			{"id": base + 1, "userId": base, "teamId": seed.EngineeringTeamID, "role": "MEMBER"}},
		"eventTypes": []map[string]any{{"id": base, "title": "Fresh", "slug": fmt.Sprintf("fresh-%d", base), "teamId": seed.EngineeringTeamID}},
		"attributes": []map[string]any{{"id": "attr_team", "slug": "team", "name": "Team", "type": "SINGLE_SELECT",
			"options": []map[string]any{{"id": "opt_red", "slug": "red", "value": "Red"}, {"id": "opt_blue", "slug": "blue", "value": "Blue"}}}},
	}
}

// The entries below are written once through the mutations and once through
// import: their JSON is both the GraphQL input and the NDJSON record.

func attributeEntries(user int) []map[string]any {
	actor := map[string]any{"type": "USER", "ref": "2", "name": "Bob Admin", "email": "bob@acme.example"}
	w := func(f float64) *float64 { return &f }
	return []map[string]any{
		{"timestamp": "2026-03-01T10:00:00.123Z", "userId": fmt.Sprint(user), "source": "WEBAPP", "actor": actor,
			"attributeId": "attr_dept", "current": map[string]any{"optionId": "opt_sales", "weight": w(10)}},
		{"timestamp": "2026-03-01T11:00:00Z", "userId": fmt.Sprint(user), "source": "DSYNC", "actor": map[string]any{"type": "APP", "ref": "okta", "name": "Okta"},
			"sourceContext": map[string]any{"job": "nightly"},
			"changes": []map[string]any{
				{"attributeId": "attr_dept", "previous": map[string]any{"optionId": "opt_sales", "weight": w(10)}, "current": map[string]any{"optionId": "opt_sales", "weight": w(20)}},
				{"attributeId": "attr_location", "current": map[string]any{"optionId": "opt_location", "value": "Lisbon"}},
			}},
		{"timestamp": "2026-03-01T12:00:00Z", "userId": fmt.Sprint(user), "source": "API_V2", "actor": map[string]any{"type": "SYSTEM"},
			"attributeId": "attr_location", "previous": map[string]any{"optionId": "opt_location", "value": "Lisbon"},
			"current": map[string]any{"optionId": "opt_location", "value": "Berlin"}},
		{"timestamp": "2026-03-01T13:00:00Z", "userId": fmt.Sprint(user), "source": "SYSTEM", "actor": map[string]any{"type": "SYSTEM"},
			"attributeId": "attr_dept", "previous": map[string]any{"optionId": "opt_sales", "weight": w(20)}},
	}
}

func eventTypeEntries(eventType int) []map[string]any {
	actor := map[string]any{"type": "USER", "ref": "1", "name": "Alice Owner", "email": "alice@acme.example"}
	v1 := map[string]any{"title": "Fresh", "length": 30, "hidden": false, "description": nil,
		"locations":     []any{map[string]any{"type": "integrations:daily"}},
		"bookingFields": []any{map[string]any{"id": "name", "label": "Your name", "required": true}}}
	v2 := map[string]any{"title": "Fresh <v2>", "length": 45, "hidden": false, "description": "Agenda",
		"locations": []any{map[string]any{"type": "integrations:daily"}, map[string]any{"type": "inPerson", "address": "1 Main St"}},
		"bookingFields": []any{map[string]any{"id": "name", "label": "Your name", "required": false},
			map[string]any{"id": "notes", "label": "Notes", "required": false}}}
	return []map[string]any{
		{"timestamp": "2026-03-02T09:00:00Z", "eventTypeId": fmt.Sprint(eventType), "action": "EVENT_TYPE_CREATED", "source": "WEBAPP", "actor": actor, "after": v1},
		{"timestamp": "2026-03-02T10:00:00Z", "eventTypeId": fmt.Sprint(eventType), "action": "EVENT_TYPE_MODIFIED", "source": "API_V2", "actor": actor,
			"impersonatedBy": map[string]any{"name": "Support Agent", "email": "agent@cal.example"}, "before": v1, "after": v2},
		{"timestamp": "2026-03-02T11:00:00Z", "eventTypeId": fmt.Sprint(eventType), "action": "EVENT_TYPE_MODIFIED", "source": "WEBHOOK",
			"actor": map[string]any{"type": "APP", "name": "Zapier"},
			"payload": map[string]any{"version": 1, "changedFields": []string{"price"}, "changes": []any{
				map[string]any{"field": "price", "label": "Price", "type": "value", "previousValue": 0, "newValue": 15}}}},
		{"timestamp": "2026-03-02T12:00:00Z", "eventTypeId": fmt.Sprint(eventType), "action": "EVENT_TYPE_DELETED", "source": "SYSTEM",
			"actor": map[string]any{"type": "SYSTEM"}, "before": v2},
	}
}

func changeLogEntries(user int) []map[string]any {
	var out []map[string]any
	for i, a := range []string{"CREATED", "UPDATED", "DELETED", "ADDED", "REMOVED", "RESTORED", "ENTITY_ATTACHED", "ENTITY_DETACHED"} {
		e := map[string]any{"timestamp": fmt.Sprintf("2026-03-03T%02d:00:00Z", 8+i), "actorId": fmt.Sprint(user), "action": a,
			"resourceType": "ASSISTANT", "resourceId": "asst_x", "resourceName": "Scheduler",
			"changes": []any{map[string]any{"field": "enabled", "old_value": true, "new_value": false}}}
		if i%2 == 1 {
			e["resourceType"], e["resourceId"], e["resourceName"] = "ORGANIZATION_USER", fmt.Sprint(user), "New Member"
			e["changes"] = []any{map[string]any{"field": "role", "old_value": "member", "new_value": nil}}
		}
		out = append(out, e)
	}
	return out
}

const (
	recordAttributes = `mutation($org: ID!, $entries: [AttributeChangeEntryInput!]!) {
  recordAttributeChanges(organizationId: $org, entries: $entries) { id idempotencyKey created timestamp } }`
	recordEventTypes = `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id idempotencyKey created timestamp } }`
	recordChangeLogs = `mutation($org: ID!, $entries: [MemberChangeLogEntryInput!]!) {
  recordMemberChangeLogs(organizationId: $org, entries: $entries) { id idempotencyKey created timestamp } }`

	readHistories = `query($org: ID!, $user: ID!, $et: ID!) {
  attributeAssignmentHistory(orgId: $org, userId: $user, first: 50) { totalCount edges { node {
    timestamp source actor { type displayName displayEmail } sourceContext hasError
    changes { type attribute { id slug name type } previous { optionId optionSlug value weight } current { optionId optionSlug value weight } } } } }
  eventTypeHistory(eventTypeId: $et, first: 50) { totalCount edges { node {
    action type timestamp source actor { type displayName } impersonatedBy { displayName displayEmail }
    actionDisplayTitle hasError displayJson
    displayFields { label fieldValue { __typename
      ... on RawValue { value } ... on RawValues { values } ... on ValueChange { previous next } ... on Diff { previous next } } } } } }
  memberChangeLogs(organizationId: $org, userId: $user, first: 50) { totalCount edges { node {
    action timestamp resourceType resourceId resourceName actor { email } changes { field oldValue newValue } } } }
}`
)

type recorded struct {
	ID             string  `json:"id"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Created        bool    `json:"created"`
	Timestamp      string  `json:"timestamp"`
}

// readBack reads the three histories of the fixture member and event type,
// with the user ids in resourceId replaced so two fixtures compare equal.
func (e *writeEnv) readBack(user, eventType int) map[string]any {
	e.t.Helper()
	var out map[string]any
	e.ok("reader", readHistories, map[string]any{"org": seed.AcmeID, "user": fmt.Sprint(user), "et": fmt.Sprint(eventType)}, &out)
	raw, _ := json.Marshal(out)
	var pub struct{ PublicID string }
	u, err := e.store.UserByID(context.Background(), int64(user))
	if err != nil {
		e.t.Fatal(err)
	}
	pub.PublicID = u.PublicID
	raw = bytes.ReplaceAll(raw, []byte(pub.PublicID), []byte("<member>"))
	raw = bytes.ReplaceAll(raw, []byte(fmt.Sprintf("new%d@", user)), []byte("<member>@"))
	var norm map[string]any
	json.Unmarshal(raw, &norm)
	return norm
}

func TestWriteRoundTrip(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		var synced map[string]map[string]int
		e.ok("writer", syncMutation, map[string]any{"org": seed.AcmeID, "input": directory(1000)}, &synced)
		want := map[string]int{"teams": 0, "users": 1, "memberships": 2, "eventTypes": 1, "attributes": 1, "attributeOptions": 2, "customRoles": 0}
		if !reflect.DeepEqual(synced["syncDirectory"], want) {
			t.Fatalf("sync counts %v, want %v", synced["syncDirectory"], want)
		}
		// Syncing twice changes nothing.
		before := e.count("memberships")
		e.ok("writer", syncMutation, map[string]any{"org": seed.AcmeID, "input": directory(1000)}, &synced)
		if after := e.count("memberships"); after != before {
			t.Fatalf("second sync: %d memberships, then %d", before, after)
		}

		for _, m := range []struct {
			query   string
			entries []map[string]any
		}{
			{recordAttributes, attributeEntries(1000)},
			{recordEventTypes, eventTypeEntries(1000)},
			{recordChangeLogs, changeLogEntries(1000)},
		} {
			var res map[string][]recorded
			e.ok("writer", m.query, map[string]any{"org": "org_acme7f3k2q9x1b5m8n4v", "entries": m.entries}, &res)
			for _, list := range res {
				if len(list) != len(m.entries) {
					t.Fatalf("%d recorded, want %d", len(list), len(m.entries))
				}
				for _, r := range list {
					if !r.Created || r.ID == "" {
						t.Fatalf("recorded %+v", r)
					}
				}
			}
		}
		api := e.readBack(1000, 1000)
		checkRendering(t, api)

		// The same records through import render the same.
		var nd bytes.Buffer
		dir := directory(2000)
		lines := []map[string]any{}
		for _, u := range dir["users"].([]map[string]any) {
			lines = append(lines, with(u, "kind", "user"))
		}
		for _, m := range dir["memberships"].([]map[string]any) {
			if m["teamId"] == nil {
				m["organizationId"] = seed.AcmeID
			}
			lines = append(lines, with(m, "kind", "membership"))
		}
		for _, et := range dir["eventTypes"].([]map[string]any) {
			lines = append(lines, with(et, "kind", "eventType"))
		}
		for _, x := range attributeEntries(2000) {
			lines = append(lines, with(with(x, "kind", "attributeChange"), "organizationId", seed.AcmeID))
		}
		for _, x := range eventTypeEntries(2000) {
			lines = append(lines, with(with(x, "kind", "eventTypeChange"), "organizationId", "org_acme7f3k2q9x1b5m8n4v"))
		}
		for _, x := range changeLogEntries(2000) {
			lines = append(lines, with(with(x, "kind", "memberChangeLog"), "organizationId", seed.AcmeID))
		}
		for _, l := range lines {
			b, _ := json.Marshal(l)
			nd.Write(b)
			nd.WriteByte('\n')
		}
		sum, err := ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd.Bytes()), ingest.ImportOptions{BatchSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rejected != 0 || sum.TotalImported() != 16 || sum.Duplicates != 0 || sum.Directory != 4 {
			t.Fatalf("import summary %+v", sum)
		}
		imported := e.readBack(2000, 2000)
		// The event type title differs by fixture only in its id; the rest
		// must be identical.
		if !reflect.DeepEqual(api, imported) {
			a, _ := json.MarshalIndent(api, "", " ")
			b, _ := json.MarshalIndent(imported, "", " ")
			t.Fatalf("import renders differently from the API:\napi: %s\nimport: %s", a, b)
		}

		// Re-importing the same file stores nothing.
		sum, err = ingest.Import(context.Background(), e.store, e.store, bytes.NewReader(nd.Bytes()), ingest.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.TotalImported() != 0 || sum.Duplicates != 16 || sum.Rejected != 0 {
			t.Fatalf("re-import summary %+v", sum)
		}
		if got := e.readBack(2000, 2000); !reflect.DeepEqual(got, imported) {
			t.Fatal("re-import changed the histories")
		}
	})
}

func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %d: not a long enough list: %v", k, v)
			}
			v = l[k]
		}
	}
	return v
}

// jsonText is v as compact JSON, with <, > and & as they are.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// checkRendering asserts what every action, change type and value kind
// written by the fixtures shows.
func checkRendering(t *testing.T, h map[string]any) {
	t.Helper()
	// Attribute history, newest first.
	attr := path(t, h, "attributeAssignmentHistory")
	if n := path(t, attr, "totalCount"); n != float64(4) {
		t.Fatalf("attribute totalCount %v", n)
	}
	node := func(i int) any { return path(t, attr, "edges", i, "node") }
	wantTypes := [][]string{{"UNASSIGNED"}, {"VALUE_CHANGED"}, {"WEIGHT_CHANGED", "ASSIGNED"}, {"ASSIGNED"}}
	for i, want := range wantTypes {
		changes := path(t, node(i), "changes").([]any)
		var got []string
		for _, c := range changes {
			got = append(got, path(t, c, "type").(string))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("attribute entry %d: change types %v, want %v", i, got, want)
		}
	}
	if got := jsonText(path(t, node(3), "changes", 0)); got != `{"attribute":{"id":"attr_dept","name":"Department","slug":"department","type":"SINGLE_SELECT"},"current":{"optionId":"opt_sales","optionSlug":"sales","value":"Sales","weight":10},"previous":null,"type":"ASSIGNED"}` {
		t.Fatalf("assigned change %s", got)
	}
	if got := jsonText(path(t, node(1), "changes", 0)); got != `{"attribute":{"id":"attr_location","name":"Location","slug":"location","type":"TEXT"},"current":{"optionId":"opt_location","optionSlug":"location","value":"Berlin","weight":null},"previous":{"optionId":"opt_location","optionSlug":"location","value":"Lisbon","weight":null},"type":"VALUE_CHANGED"}` {
		t.Fatalf("value change %s", got)
	}
	if got := jsonText(path(t, node(2), "sourceContext")); got != `{"job":"nightly"}` {
		t.Fatalf("sourceContext %s", got)
	}
	if got := jsonText(path(t, node(2), "actor")); got != `{"displayEmail":null,"displayName":"Okta","type":"APP"}` {
		t.Fatalf("actor %s", got)
	}
	if path(t, node(3), "timestamp") != "2026-03-01T10:00:00.123Z" {
		t.Fatalf("timestamp %v", path(t, node(3), "timestamp"))
	}

	// Event type history, newest first: deleted, modified (payload), modified (snapshots), created.
	et := path(t, h, "eventTypeHistory")
	en := func(i int) any { return path(t, et, "edges", i, "node") }
	for i, want := range []string{"EVENT_TYPE_DELETED", "EVENT_TYPE_MODIFIED", "EVENT_TYPE_MODIFIED", "EVENT_TYPE_CREATED"} {
		if path(t, en(i), "action") != want || path(t, en(i), "hasError") != false {
			t.Fatalf("event type entry %d: %s", i, jsonText(en(i)))
		}
	}
	if got := path(t, en(3), "actionDisplayTitle"); got != "Alice Owner created the event type" {
		t.Fatalf("title %v", got)
	}
	created := jsonText(path(t, en(3), "displayFields"))
	wantCreated := `[{"fieldValue":{"__typename":"RawValues","values":["{\"id\":\"name\",\"label\":\"Your name\",\"required\":true}"]},"label":"Booking questions"},` +
		`{"fieldValue":{"__typename":"RawValue","value":"null"},"label":"Description"},` +
		`{"fieldValue":{"__typename":"RawValue","value":"false"},"label":"Hidden"},` +
		`{"fieldValue":{"__typename":"RawValue","value":"30"},"label":"Duration"},` +
		`{"fieldValue":{"__typename":"RawValues","values":["{\"type\":\"integrations:daily\"}"]},"label":"Locations"},` +
		`{"fieldValue":{"__typename":"RawValue","value":"Fresh"},"label":"Title"}]`
	if created != wantCreated {
		t.Fatalf("created fields\n got %s\nwant %s", created, wantCreated)
	}
	modified := jsonText(path(t, en(2), "displayFields"))
	wantModified := `[{"fieldValue":{"__typename":"Diff","next":"[\n  {\n    \"id\": \"notes\",\n    \"label\": \"Notes\",\n    \"required\": false\n  },\n  {\n    \"id\": \"name\",\n    \"label\": \"Your name\",\n    \"required\": false\n  }\n]","previous":"[\n  {\n    \"id\": \"name\",\n    \"label\": \"Your name\",\n    \"required\": true\n  }\n]"},"label":"Booking questions"},` +
		`{"fieldValue":{"__typename":"ValueChange","next":"Agenda","previous":"null"},"label":"Description"},` +
		`{"fieldValue":{"__typename":"ValueChange","next":"45","previous":"30"},"label":"Duration"},` +
		`{"fieldValue":{"__typename":"Diff","next":"[\n  {\n    \"address\": \"1 Main St\",\n    \"type\": \"inPerson\"\n  }\n]","previous":"[]"},"label":"Locations"},` +
		`{"fieldValue":{"__typename":"ValueChange","next":"Fresh <v2>","previous":"Fresh"},"label":"Title"}]`
	if modified != wantModified {
		t.Fatalf("modified fields\n got %s\nwant %s", modified, wantModified)
	}
	if got := jsonText(path(t, en(2), "impersonatedBy")); got != `{"displayEmail":"agent@cal.example","displayName":"Support Agent"}` {
		t.Fatalf("impersonatedBy %s", got)
	}
	if got := jsonText(path(t, en(1), "displayFields")); got != `[{"fieldValue":{"__typename":"ValueChange","next":"15","previous":"0"},"label":"Price"}]` {
		t.Fatalf("payload entry %s", got)
	}
	if got := path(t, en(0), "actionDisplayTitle"); got != "Cal.com deleted the event type" {
		t.Fatalf("deleted title %v", got)
	}
	if got := jsonText(path(t, en(0), "displayFields", 5)); got != `{"fieldValue":{"__typename":"RawValue","value":"Fresh <v2>"},"label":"Title"}` {
		t.Fatalf("deleted field %s", got)
	}

	// Change logs, newest first: every action.
	cl := path(t, h, "memberChangeLogs")
	if n := path(t, cl, "totalCount"); n != float64(8) {
		t.Fatalf("change log totalCount %v", n)
	}
	var actions []string
	for i := 0; i < 8; i++ {
		actions = append(actions, path(t, cl, "edges", i, "node", "action").(string))
	}
	if strings.Join(actions, ",") != "ENTITY_DETACHED,ENTITY_ATTACHED,RESTORED,REMOVED,ADDED,DELETED,UPDATED,CREATED" {
		t.Fatalf("actions %v", actions)
	}
	if got := jsonText(path(t, cl, "edges", 0, "node")); got != `{"action":"ENTITY_DETACHED","actor":{"email":"<member>@acme.example"},"changes":[{"field":"role","newValue":null,"oldValue":"member"}],"resourceId":"<member>","resourceName":"New Member","resourceType":"ORGANIZATION_USER","timestamp":"2026-03-03T15:00:00.000Z"}` {
		t.Fatalf("change log %s", got)
	}
	if got := jsonText(path(t, cl, "edges", 1, "node", "changes")); got != `[{"field":"enabled","newValue":"false","oldValue":"true"}]` {
		t.Fatalf("change log changes %s", got)
	}
}

func TestWriteIdempotency(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		entries := changeLogEntries(int(seed.MemberUserID))[:3]
		for i := range entries {
			entries[i]["idempotencyKey"] = fmt.Sprintf("retry-%d", i)
		}
		vars := map[string]any{"org": seed.AcmeID, "entries": entries}
		before := e.count("member_change_logs")
		var first, second map[string][]recorded
		e.ok("writer", recordChangeLogs, vars, &first)
		e.ok("writer", recordChangeLogs, vars, &second)
		for i := range entries {
			a, b := first["recordMemberChangeLogs"][i], second["recordMemberChangeLogs"][i]
			if !a.Created || b.Created || a.ID != b.ID || a.Timestamp != b.Timestamp || *b.IdempotencyKey != fmt.Sprintf("retry-%d", i) {
				t.Fatalf("entry %d: first %+v, retry %+v", i, a, b)
			}
		}
		if got := e.count("member_change_logs"); got != before+3 {
			t.Fatalf("%d change logs after a retry, want %d", got, before+3)
		}

		// Sixteen producers sending the same batch at once store it once.
		batch := attributeEntries(int(seed.MemberUserID))
		for i := range batch {
			batch[i]["idempotencyKey"] = fmt.Sprintf("concurrent-%d", i)
		}
		before = e.count("attribute_assignment_history")
		var wg sync.WaitGroup
		ids := make([][]string, 16)
		errs := make([][]gqlError, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.gql("writer", recordAttributes, map[string]any{"org": seed.AcmeID, "entries": batch})
				errs[g] = r.Errors
				var res map[string][]recorded
				json.Unmarshal(r.Data, &res)
				for _, x := range res["recordAttributeChanges"] {
					ids[g] = append(ids[g], x.ID)
				}
			}()
		}
		wg.Wait()
		for g := range ids {
			if len(errs[g]) > 0 {
				t.Fatalf("goroutine %d: %+v", g, errs[g])
			}
			if !reflect.DeepEqual(ids[g], ids[0]) || len(ids[g]) != len(batch) {
				t.Fatalf("goroutine %d got ids %v, goroutine 0 %v", g, ids[g], ids[0])
			}
		}
		if got := e.count("attribute_assignment_history"); got != before+len(batch) {
			t.Fatalf("%d attribute entries after 16 concurrent sends, want %d", got, before+len(batch))
		}

		// Keys are per organization: Globex may use Acme's key.
		gl := changeLogEntries(int(seed.OutsiderUserID))[:1]
		gl[0]["idempotencyKey"] = "retry-0"
		gl[0]["resourceType"], gl[0]["resourceId"] = "ASSISTANT", "asst_y"
		var res map[string][]recorded
		e.ok("globexWriter", recordChangeLogs, map[string]any{"org": seed.GlobexID, "entries": gl}, &res)
		if r := res["recordMemberChangeLogs"][0]; !r.Created || r.ID == first["recordMemberChangeLogs"][0].ID {
			t.Fatalf("Globex's entry with Acme's key: %+v", r)
		}
	})
}

func TestWriteAtomicity(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		tables := []string{"attribute_assignment_history", "event_type_history", "member_change_logs"}
		counts := map[string]int{}
		for _, tb := range tables {
			counts[tb] = e.count(tb)
		}
		big := strings.Repeat("x", ingest.MaxJSONBytes)
		cases := []struct {
			name, query string
			entries     []map[string]any
			bad         int
			patch       map[string]any
			code, field string
		}{
			{"future timestamp", recordChangeLogs, changeLogEntries(int(seed.MemberUserID)), 3,
				map[string]any{"timestamp": "2999-01-01T00:00:00Z"}, "BAD_USER_INPUT", "entries[3].timestamp"},
			{"unknown user", recordChangeLogs, changeLogEntries(int(seed.MemberUserID)), 5,
				map[string]any{"actorId": "424242"}, "BAD_USER_INPUT", "entries[5].actorId"},
			{"not a member", recordAttributes, attributeEntries(int(seed.MemberUserID)), 2,
				map[string]any{"userId": fmt.Sprint(seed.OutsiderUserID)}, "BAD_USER_INPUT", "entries[2].userId"},
			{"unknown attribute", recordAttributes, attributeEntries(int(seed.MemberUserID)), 0,
				map[string]any{"attributeId": "attr_nope"}, "BAD_USER_INPUT", "entries[0].attributeId"},
			{"unknown event type", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 1,
				map[string]any{"eventTypeId": "999999"}, "BAD_USER_INPUT", "entries[1].eventTypeId"},
			// Answered as an unknown one: writes are no oracle of other tenants' ids.
			{"another organization's event type", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 2,
				map[string]any{"eventTypeId": fmt.Sprint(seed.GlobexEventTypeID)}, "BAD_USER_INPUT", "entries[2].eventTypeId"},
			{"modified without a difference", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 1,
				map[string]any{"after": map[string]any{"title": "Fresh", "length": 30, "hidden": false, "description": nil,
					"locations":     []any{map[string]any{"type": "integrations:daily"}},
					"bookingFields": []any{map[string]any{"id": "name", "label": "Your name", "required": true}}}}, "BAD_USER_INPUT", "entries[1].after"},
			{"oversized payload", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 3,
				map[string]any{"before": map[string]any{"title": big}}, "BAD_USER_INPUT", "entries[3].before"},
			{"oversized actor name", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 0,
				map[string]any{"actor": map[string]any{"type": "APP", "name": strings.Repeat("n", ingest.MaxTextBytes+1)}}, "BAD_USER_INPUT", "entries[0].actor.name"},
			{"oversized impersonator name", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 1,
				map[string]any{"impersonatedBy": map[string]any{"name": strings.Repeat("n", ingest.MaxTextBytes+1)}}, "BAD_USER_INPUT", "entries[1].impersonatedBy.name"},
			{"oversized impersonator avatar", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 1,
				map[string]any{"impersonatedBy": map[string]any{"name": "Agent", "avatar": strings.Repeat("a", ingest.MaxTextBytes+1)}}, "BAD_USER_INPUT", "entries[1].impersonatedBy.avatar"},
			{"bad payload", recordEventTypes, eventTypeEntries(int(seed.TeamEventTypeID)), 2,
				map[string]any{"payload": map[string]any{"changes": "no"}}, "BAD_USER_INPUT", "entries[2].payload"},
		}
		for _, c := range cases {
			c.entries[c.bad] = with(c.entries[c.bad], "", nil)
			delete(c.entries[c.bad], "")
			for k, v := range c.patch {
				c.entries[c.bad][k] = v
			}
			r := e.gql("writer", c.query, map[string]any{"org": seed.AcmeID, "entries": c.entries})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != c.code || r.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s: errors %+v, want %s on %s", c.name, r.Errors, c.code, c.field)
			}
		}
		r := e.gql("writer", recordChangeLogs, map[string]any{"org": seed.AcmeID, "entries": make([]map[string]any, ingest.MaxBatch+1)})
		if len(r.Errors) == 0 {
			t.Errorf("a batch of %d was accepted", ingest.MaxBatch+1)
		}
		for _, tb := range tables {
			if got := e.count(tb); got != counts[tb] {
				t.Errorf("%s: %d rows after rejected batches, want %d", tb, got, counts[tb])
			}
		}
	})
}

func TestWriteAuthorization(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *writeEnv) {
		before := e.count("member_change_logs")
		vars := map[string]any{"org": seed.AcmeID, "entries": changeLogEntries(int(seed.MemberUserID))[:1]}
		for key, code := range map[string]string{
			"":             "UNAUTHENTICATED",
			"reader":       "FORBIDDEN",
			"readScoped":   "FORBIDDEN",
			"globexWriter": "FORBIDDEN",
			"unboundWrite": "FORBIDDEN",
		} {
			r := e.gql(key, recordChangeLogs, vars)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != code {
				t.Errorf("key %q: errors %+v, want %s", key, r.Errors, code)
			}
			r = e.gql(key, syncMutation, map[string]any{"org": seed.AcmeID, "input": directory(3000)})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != code {
				t.Errorf("key %q sync: errors %+v, want %s", key, r.Errors, code)
			}
		}
		// A key may not write into an organization that does not exist either.
		r := e.gql("writer", recordChangeLogs, map[string]any{"org": 4242, "entries": changeLogEntries(int(seed.MemberUserID))[:1]})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Errorf("unknown organization: %+v", r.Errors)
		}
		if got := e.count("member_change_logs"); got != before {
			t.Errorf("%d change logs after refused writes, want %d", got, before)
		}
		if _, err := e.store.UserByID(context.Background(), 3000); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("refused sync wrote user 3000: %v", err)
		}

		// Directory records of another organization are refused, not overwritten.
		for name, input := range map[string]map[string]any{
			"team":                         {"teams": []map[string]any{{"id": seed.SupportTeamID, "slug": "mine", "name": "Mine"}}},
			"membership":                   {"memberships": []map[string]any{{"id": 100 + seed.OutsiderUserID, "userId": seed.OwnerUserID, "role": "OWNER"}}},
			"event type":                   {"eventTypes": []map[string]any{{"id": seed.GlobexEventTypeID, "title": "Mine", "slug": "mine", "teamId": seed.EngineeringTeamID}}},
			"team of another organization": {"memberships": []map[string]any{{"id": 4000, "userId": seed.OwnerUserID, "teamId": seed.SupportTeamID, "role": "OWNER"}}},
		} {
			r := e.gql("writer", syncMutation, map[string]any{"org": seed.AcmeID, "input": input})
			// Taking another tenant's record is FORBIDDEN; linking to one
			// is bad input (teamId names no team of this organization).
			want := "FORBIDDEN"
			if name == "team of another organization" {
				want = "BAD_USER_INPUT"
			}
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != want {
				t.Errorf("%s: errors %+v, want %s", name, r.Errors, want)
			}
		}
		ts, _ := e.store.TeamsByIDs(context.Background(), []int64{seed.SupportTeamID})
		if len(ts) != 1 || ts[0].Slug != "support" || *ts[0].OrganizationID != seed.GlobexID {
			t.Errorf("Globex's team after refused syncs: %+v", ts)
		}
	})
}

// A document that is not JSON is refused as such, whichever parse meets it
// first. Neither GraphQL nor import can send one (both decode the JSON
// around it), so the Validator is called directly.
func TestValidatorRefusesInvalidJSON(t *testing.T) {
	e := newWriteEnv(t, filepath.Join(t.TempDir(), "v.db"), true)
	ctx := context.Background()
	v := ingest.NewValidator(e.store)
	actor := ingest.Actor{Type: model.ActorUser}
	broken := json.RawMessage(`{"title": "Sync",`)
	etID := ingest.ID(strconv.FormatInt(seed.TeamEventTypeID, 10))
	cases := []struct {
		name, field string
		run         func() error
	}{
		{"payload", "payload", func() error {
			_, err := v.EventTypeEntry(ctx, seed.AcmeID, &ingest.EventTypeEntry{EventTypeID: etID,
				Action: model.EventTypeModified, Source: "API_V2", Actor: actor, Payload: broken})
			return err
		}},
		{"before", "before", func() error {
			_, err := v.EventTypeEntry(ctx, seed.AcmeID, &ingest.EventTypeEntry{EventTypeID: etID,
				Action: model.EventTypeModified, Source: "API_V2", Actor: actor, Before: broken, After: json.RawMessage(`{"title":"b"}`)})
			return err
		}},
		{"after", "after", func() error {
			_, err := v.EventTypeEntry(ctx, seed.AcmeID, &ingest.EventTypeEntry{EventTypeID: etID,
				Action: model.EventTypeCreated, Source: "API_V2", Actor: actor, After: broken})
			return err
		}},
		{"member changes", "changes", func() error {
			_, err := v.ChangeLogEntry(ctx, seed.AcmeID, &ingest.ChangeLogEntry{ActorID: ingest.ID(strconv.FormatInt(seed.OwnerUserID, 10)),
				Action: "updated", ResourceType: "rule", ResourceID: "rule_7", Changes: broken})
			return err
		}},
	}
	for _, c := range cases {
		err := c.run()
		var me *model.Error
		if !errors.As(err, &me) || me.Code != model.CodeInvalid || me.Field != c.field || !strings.Contains(me.Message, "not valid JSON") {
			t.Errorf("%s: got %v, want %s refused as not valid JSON", c.name, err, c.field)
		}
	}
}
