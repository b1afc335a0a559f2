package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// rawPost sends a GraphQL operation and returns status, headers and body.
func rawPost(t *testing.T, e *env, key, token, query string, vars map[string]any) (int, http.Header, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if token != "" {
		req.Header.Set(server.ConsistencyHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("not JSON (%d): %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

const recordMutation = `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id created }
}`

func recordVars(key string) map[string]any {
	return map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "entries": []any{map[string]any{
		"idempotencyKey": key, "eventTypeId": strconv.FormatInt(seed.TeamEventTypeID, 10),
		"action": model.EventTypeModified, "source": "API_V2", "actor": map[string]any{"type": model.ActorSystem},
		"before": map[string]any{"title": "a"}, "after": map[string]any{"title": "b"},
	}}}
}

// Every mutation answer carries the consistency token in its header and in
// extensions, the same value, a WAL position that does not go back; reads
// carry none.
func TestMutationAnswersCarryConsistencyToken(t *testing.T) {
	e := newEnv(t, nil)
	var last db.LSN
	for i := range 3 {
		status, h, out := rawPost(t, e, e.keys["writer"], "", recordMutation, recordVars("tok-"+strconv.Itoa(i)))
		if status != 200 || out["errors"] != nil {
			t.Fatalf("mutation: %d %v", status, out)
		}
		token := h.Get(server.ConsistencyHeader)
		ext, _ := out["extensions"].(map[string]any)
		if token == "" || ext["consistencyToken"] != token {
			t.Fatalf("header token %q, extensions %v", token, ext)
		}
		lsn, err := db.ParseLSN(token)
		if err != nil || lsn < last {
			t.Fatalf("token %q (%v) goes back from %s", token, err, last)
		}
		last = lsn
	}
	status, h, out := rawPost(t, e, e.keys["owner"], last.String(),
		`query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 1) { edges { node { id } } } }`,
		map[string]any{"id": strconv.FormatInt(seed.TeamEventTypeID, 10)})
	if status != 200 || out["errors"] != nil {
		t.Fatalf("read with a token: %d %v", status, out)
	}
	if h.Get(server.ConsistencyHeader) != "" || out["extensions"] != nil {
		t.Errorf("a read answered a token: %q %v", h.Get(server.ConsistencyHeader), out["extensions"])
	}
}

// A malformed token is refused before anything runs, in each interface's
// own error format, and writes nothing.
func TestMalformedConsistencyTokenRefused(t *testing.T) {
	e := newEnv(t, nil)
	before := e.rowCounts()
	for _, bad := range []string{"nope", "1/", "0/G", strings.Repeat("F", 40) + "/0", "1/2/3"} {
		status, _, out := rawPost(t, e, e.keys["writer"], bad, recordMutation, recordVars("bad-token"))
		errs, _ := out["errors"].([]any)
		if status != http.StatusBadRequest || len(errs) != 1 || out["data"] != nil {
			t.Fatalf("token %q: %d %v, want 400 with one error", bad, status, out)
		}
		ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
		if ext["code"] != model.CodeInvalid || ext["field"] != server.ConsistencyHeader {
			t.Errorf("token %q: extensions %v, want code %s and field %s", bad, ext, model.CodeInvalid, server.ConsistencyHeader)
		}
	}
	if after := e.rowCounts(); after["event_type_history"] != before["event_type_history"] {
		t.Errorf("a refused request wrote: %v -> %v", before, after)
	}
	// The REST shim, the export and the integrity endpoints answer in
	// their own formats.
	paths := []string{
		"/v2/event-types/" + strconv.FormatInt(seed.TeamEventTypeID, 10) + "/history?limit=1",
		"/export/event-types?eventTypeId=" + strconv.FormatInt(seed.TeamEventTypeID, 10),
		"/integrity/streams/org/1",
	}
	for _, tc := range []struct{ path, token, want, envelope string }{
		{paths[0], "nope", "400", `"status":"error"`}, {paths[0], "0/1", "200", ""},
		{paths[1], "nope", "400", `"code":"BAD_USER_INPUT"`}, {paths[1], "0/1", "200", ""},
		{paths[2], "nope", "400", `"status":"error"`}, {paths[2], "0/1", "200", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+e.keys["owner"])
		req.Header.Set("cal-api-version", "2024-06-14")
		req.Header.Set(server.ConsistencyHeader, tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strconv.Itoa(resp.StatusCode) != tc.want {
			t.Errorf("%s with token %q: %d %s, want %s", tc.path, tc.token, resp.StatusCode, raw, tc.want)
		}
		if tc.envelope != "" && !strings.Contains(string(raw), tc.envelope) {
			t.Errorf("%s: refusal %s lacks %s", tc.path, raw, tc.envelope)
		}
	}
}
