package reliability

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
	coderws "github.com/coder/websocket"
)

// Abuse of the live subscriptions and the export: refused with coded
// errors, bounded, and changing nothing stored.

// wsSession opens a graphql-transport-ws connection with initPayload and
// returns a function sending one subscription and reading its first answer
// (with wait false, it only sends).
func wsSession(t *testing.T, e *env, initPayload string) func(id, query string, vars map[string]any, wait bool) (string, []map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, _, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http")+"/graphql", &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	write := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, coderws.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() msg {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m msg
			json.Unmarshal(b, &m)
			if m.Type != "ping" && m.Type != "pong" && m.Type != "complete" {
				return m
			}
		}
	}
	write(map[string]any{"type": "connection_init", "payload": json.RawMessage(initPayload)})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v", m)
	}
	return func(id, query string, vars map[string]any, wait bool) (string, []map[string]any) {
		write(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
		if !wait {
			return "", nil
		}
		m := read()
		var r struct {
			Errors []map[string]any `json:"errors"`
		}
		if m.Type == "error" {
			json.Unmarshal(m.Payload, &r.Errors)
		} else {
			json.Unmarshal(m.Payload, &r)
		}
		var codes []map[string]any
		for _, e := range r.Errors {
			ext, _ := e["extensions"].(map[string]any)
			codes = append(codes, ext)
		}
		return m.Type, codes
	}
}

const liveQuery = `subscription($id: ID!) { eventTypeHistory(eventTypeId: $id) { cursor } }`

func firstCode(exts []map[string]any) string {
	if len(exts) == 0 {
		return ""
	}
	c, _ := exts[0]["code"].(string)
	return c
}

func TestLiveAbuse(t *testing.T) {
	cfg := testConfig()
	cfg.Live.MaxPerKey = 2
	e := sqliteEnv(t, cfg, nil)
	before := countRows(t, e.store)
	vars := map[string]any{"id": teamEventType}

	// No credentials, a bad key in the connection parameters, a key of
	// another organization: refused like a query.
	for _, c := range []struct{ init, code string }{
		{`{}`, model.CodeUnauthenticated},
		{`{"Authorization":"Bearer cal_00000000000000000000000000000000"}`, model.CodeUnauthenticated},
		{`{"Authorization":"Basic abc"}`, model.CodeUnauthenticated},
		{`{"X-API-Key":"` + e.keys["outsider"] + `"}`, model.CodeForbidden},
	} {
		sub := wsSession(t, e, c.init)
		if _, exts := sub("1", liveQuery, vars, true); firstCode(exts) != c.code {
			t.Errorf("init %s: got %v, want %s", c.init, exts, c.code)
		}
	}

	// Subscriptions per key are capped.
	sub := wsSession(t, e, `{"Authorization":"Bearer `+e.keys["owner"]+`"}`)
	// An accepted subscription answers nothing until an entry comes; the
	// third of the key is refused at once.
	sub("a", liveQuery, vars, false)
	sub("b", liveQuery, vars, false)
	time.Sleep(500 * time.Millisecond)
	if _, exts := sub("c", liveQuery, vars, true); firstCode(exts) != model.CodeRateLimited {
		t.Errorf("third subscription of one key: %v, want RATE_LIMITED", exts)
	}

	// A subscription in a plain POST (or GET) would hold the request for
	// one event: refused.
	r := mustPost(t, e, e.keys["owner"], liveQuery, vars)
	if r.Status != http.StatusBadRequest {
		t.Errorf("subscription over POST: status %d: %s", r.Status, r.Raw)
	}
	wantCode(t, r, model.CodeInvalid)

	if after := countRows(t, e.store); after["event_type_history"] != before["event_type_history"] {
		t.Fatalf("rows changed: %v -> %v", before, after)
	}
}

func TestLiveOperationsCountAgainstTheRateLimit(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 0.01, 1
	e := sqliteEnv(t, cfg, nil)
	// The upgrade (no key in its headers) counts against the client's
	// address; the operations against the key of the connection
	// parameters: the first takes the key's one token, the next is over.
	sub := wsSession(t, e, `{"Authorization":"Bearer `+e.keys["outsider"]+`"}`)
	if _, exts := sub("1", liveQuery, map[string]any{"id": teamEventType}, true); firstCode(exts) != model.CodeForbidden {
		t.Fatalf("first operation: %v", exts)
	}
	if _, exts := sub("2", liveQuery, map[string]any{"id": teamEventType}, true); firstCode(exts) != model.CodeRateLimited {
		t.Fatalf("operation over the rate: %v, want RATE_LIMITED", exts)
	}
}

func TestExportAbuse(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	before := countRows(t, e.store)
	get := func(key, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	for _, c := range []struct {
		key, path string
		status    int
		code      string
	}{
		// Another tenant's histories.
		{e.keys["outsider"], "/export/event-types?eventTypeId=" + teamEventType, 403, model.CodeForbidden},
		{e.keys["outsider"], "/export/member-change-logs?organizationId=1&userId=3", 403, model.CodeForbidden},
		// A cursor of another history, a filter of the wrong shape, ids that are not ids.
		{e.keys["owner"], "/export/event-types?eventTypeId=" + teamEventType + "&after=" + model.EncodeCursor(model.CursorMemberChangeLogs, "log_00000000000000000000000000000000"), 400, model.CodeInvalid},
		{e.keys["owner"], "/export/event-types?eventTypeId=" + teamEventType + `&filter={"actions":"x"}`, 400, "GRAPHQL_VALIDATION_FAILED"},
		{e.keys["owner"], "/export/event-types?eventTypeId=%27%3B--", 400, model.CodeInvalid},
		{e.keys["owner"], "/export/event-types?eventTypeId=" + teamEventType + "&format=xlsx", 400, model.CodeInvalid},
		{"", "/export/event-types?eventTypeId=" + teamEventType, 401, model.CodeUnauthenticated},
	} {
		status, body := get(c.key, c.path)
		if status != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", c.path, status, body, c.status, c.code)
		}
	}
	if after := countRows(t, e.store); after["event_type_history"] != before["event_type_history"] {
		t.Fatalf("rows changed: %v -> %v", before, after)
	}
}
