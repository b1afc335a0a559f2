package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
	coderws "github.com/coder/websocket"
)

// Live subscriptions, end to end: a real server on PostgreSQL, entries
// written through the store (whose appends announce them on the live
// channel), clients on graphql-transport-ws and server-sent events.

const liveEventTypeID = 2

const subscribeEventTypes = `subscription($id: ID!, $after: String) {
  eventTypeHistory(eventTypeId: $id, after: $after) { cursor node { id timestamp action } }
}`

// wsClient is a minimal graphql-transport-ws client.
type wsClient struct {
	t    *testing.T
	conn *coderws.Conn
	ctx  context.Context
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (e *env) dialLive(ctx context.Context, key string) *wsClient {
	e.t.Helper()
	url := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/graphql"
	conn, _, err := coderws.Dial(ctx, url, &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		e.t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	c := &wsClient{t: e.t, conn: conn, ctx: ctx}
	c.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(fmt.Sprintf(`{"Authorization":"Bearer %s"}`, key))})
	if m := c.read(); m.Type != "connection_ack" {
		e.t.Fatalf("want connection_ack, got %+v", m)
	}
	return c
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(c.ctx, coderws.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		_, b, err := c.conn.Read(c.ctx)
		if err != nil {
			c.t.Fatal(err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatal(err)
		}
		if m.Type == "ping" || m.Type == "pong" {
			continue
		}
		return m
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: payload})
}

// liveEdge is one delivered entry.
type liveEdge struct {
	Cursor string
	ID     string
	TS     time.Time
}

type liveEvent struct {
	edge   *liveEdge
	errors []gqlError
	done   bool
}

// next reads the next event of subscription id.
func (c *wsClient) next() liveEvent {
	c.t.Helper()
	m := c.read()
	switch m.Type {
	case "complete":
		return liveEvent{done: true}
	case "error":
		var errs []gqlError
		json.Unmarshal(m.Payload, &errs)
		return liveEvent{errors: errs, done: true}
	case "next":
		return decodeLive(c.t, m.Payload)
	}
	c.t.Fatalf("unexpected message %+v", m)
	return liveEvent{}
}

func decodeLive(t *testing.T, payload []byte) liveEvent {
	t.Helper()
	var resp struct {
		Data map[string]*struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID        string    `json:"id"`
				Timestamp time.Time `json:"timestamp"`
			} `json:"node"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("%v: %s", err, payload)
	}
	ev := liveEvent{errors: resp.Errors}
	for _, v := range resp.Data {
		if v != nil {
			ev.edge = &liveEdge{Cursor: v.Cursor, ID: v.Node.ID, TS: v.Node.Timestamp}
		}
	}
	return ev
}

// newestCursor is the cursor of the event type's newest entry: what a client
// holds after reading the first page.
func (e *env) newestCursor(role string) string {
	e.t.Helper()
	r := e.query(role, `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 1) { pageInfo { startCursor } } }`,
		map[string]any{"id": fmt.Sprint(liveEventTypeID)})
	var d struct {
		EventTypeHistory struct{ PageInfo struct{ StartCursor string } }
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || d.EventTypeHistory.PageInfo.StartCursor == "" {
		e.t.Fatalf("first page: %s", r.Body)
	}
	return d.EventTypeHistory.PageInfo.StartCursor
}

// writeEntries appends n event type entries, one append per entry, and
// returns their ids.
func (e *env) writeEntries(n int) []string {
	e.t.Helper()
	ctx := context.Background()
	var page model.Page[model.EventTypeEntry]
	var err error
	// Connections of the pool may have died with a restarted server: retry.
	for range 5 {
		if page, err = e.store.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: liveEventTypeID, Actions: []string{model.EventTypeModified}}, model.PageArgs{Limit: 1}); err == nil {
			break
		}
	}
	if err != nil || len(page.Items) == 0 {
		e.t.Fatalf("no entry to copy: %v", err)
	}
	tpl := page.Items[0]
	ids := make([]string, 0, n)
	for range n {
		en := tpl
		en.ID = model.NewEntryID()
		// A retry after a dead pooled connection is stored once, as a
		// client's retry with the same idempotency key would be.
		key := "live-test-" + en.ID
		en.IdempotencyKey = &key
		en.Timestamp = time.Now().UTC().Truncate(time.Millisecond)
		for attempt := 0; ; attempt++ {
			_, err := e.store.AppendEventTypeHistory(ctx, []model.EventTypeEntry{en})
			if err == nil {
				break
			}
			if attempt == 4 {
				e.t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		ids = append(ids, en.ID)
	}
	return ids
}

// collect reads n entries, failing on any error.
func collect(t *testing.T, next func() liveEvent, n int) []liveEdge {
	t.Helper()
	var out []liveEdge
	for len(out) < n {
		ev := next()
		if len(ev.errors) > 0 || ev.done || ev.edge == nil {
			t.Logf("delivered: %v", out)
			t.Fatalf("after %d entries: %+v", len(out), ev)
		}
		out = append(out, *ev.edge)
	}
	return out
}

func assertOnceInOrder(t *testing.T, got []liveEdge, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, g := range got {
		if seen[g.ID] {
			t.Fatalf("entry %s delivered twice", g.ID)
		}
		seen[g.ID] = true
		if i > 0 {
			p := got[i-1]
			if g.TS.Before(p.TS) || (g.TS.Equal(p.TS) && g.ID < p.ID) {
				t.Fatalf("entry %d (%s %s) delivered after a newer one (%s %s)", i, g.TS, g.ID, p.TS, p.ID)
			}
		}
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("entry %s never delivered (%d of %d delivered)", id, len(got), len(want))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("delivered %d entries, want %d", len(got), len(want))
	}
}

func TestLiveBurstOfConcurrentWritersArrivesOnceInOrder(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Live.Settle = time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": e.newestCursor("owner")})

	const writers, each = 4, 40
	var mu sync.Mutex
	var want []string
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := e.writeEntries(each)
			mu.Lock()
			want = append(want, ids...)
			mu.Unlock()
		}()
	}
	got := collect(t, c.next, writers*each)
	wg.Wait()
	assertOnceInOrder(t, got, want)
}

func TestLiveResumeAfterDroppedConnectionLosesNothing(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := e.newestCursor("owner")
	first := e.writeEntries(5)
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": start})
	got := collect(t, c.next, 3)
	// The connection drops after three entries; more are written meanwhile.
	c.conn.CloseNow()
	second := e.writeEntries(4)
	c = e.dialLive(ctx, e.keys["owner"])
	c.subscribe("2", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": got[2].Cursor})
	third := e.writeEntries(3)
	got = append(got, collect(t, c.next, 2+4+3)...)
	assertOnceInOrder(t, got, slices.Concat(first, second, third))
}

func TestLiveRevokedKeyEndsWithCodedError(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": e.newestCursor("owner")})
	ids := e.writeEntries(1)
	if got := collect(t, c.next, 1); got[0].ID != ids[0] {
		t.Fatalf("got %s, want %s", got[0].ID, ids[0])
	}
	if err := e.store.RevokeAPIKey(ctx, e.keyIDs["owner"], time.Now()); err != nil {
		t.Fatal(err)
	}
	ev := c.next()
	if ev.edge != nil || len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeUnauthenticated {
		t.Fatalf("want a null edge with UNAUTHENTICATED, got %+v", ev)
	}
	if ev := c.next(); !ev.done {
		t.Fatalf("want complete, got %+v", ev)
	}
	// The connection, opened with the key, cannot subscribe again.
	c.subscribe("2", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID)})
	if ev := c.next(); len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeUnauthenticated {
		t.Fatalf("a new subscription of the revoked key: want UNAUTHENTICATED, got %+v", ev)
	}
}

func TestLiveRefusesReadersWithoutAccess(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.dialLive(ctx, e.keys["outsider"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID)})
	ev := c.next()
	if len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeForbidden {
		t.Fatalf("want FORBIDDEN, got %+v", ev)
	}
	// A cursor of another history is refused like on the connection.
	c2 := e.dialLive(ctx, e.keys["owner"])
	c2.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": model.EncodeCursor(model.CursorMemberChangeLogs, "log_00000000000000000000000000000000")})
	ev = c2.next()
	if len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeInvalid {
		t.Fatalf("want BAD_USER_INPUT, got %+v", ev)
	}
}

// sseNext reads server-sent events: each "next" event's data.
func sseNext(t *testing.T, r *bufio.Reader) liveEvent {
	t.Helper()
	var event string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			if event == "complete" {
				return liveEvent{done: true}
			}
		case strings.HasPrefix(line, "data: ") && event == "next":
			return decodeLive(t, []byte(strings.TrimPrefix(line, "data: ")))
		}
	}
}

func TestLiveOverServerSentEvents(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := e.newestCursor("owner")
	before := e.writeEntries(2)
	body, _ := json.Marshal(map[string]any{"query": subscribeEventTypes, "variables": map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": start}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.ts.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+e.keys["owner"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	next := func() liveEvent { return sseNext(t, r) }
	got := collect(t, next, 2)
	after := e.writeEntries(2)
	got = append(got, collect(t, next, 2)...)
	assertOnceInOrder(t, got, slices.Concat(before, after))
}

func TestLivePostgresRestartResumesWithoutLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts PostgreSQL")
	}
	if !pgtest.Restartable() {
		t.Skip("the PostgreSQL server is not one this process started (TEST_DATABASE_URL)")
	}
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := e.newestCursor("owner")
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": start})
	first := e.writeEntries(3)
	got := collect(t, c.next, 3)

	pgtest.StopServer()
	ev := c.next()
	if ev.edge != nil || len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeUnavailable {
		t.Fatalf("want SERVICE_UNAVAILABLE, got %+v", ev)
	}
	if cur, _ := ev.errors[0].Extensions["cursor"].(string); cur != got[2].Cursor {
		t.Fatalf("the error's cursor %q is not the last delivered %q", cur, got[2].Cursor)
	}
	pgtest.StartServer()
	second := e.writeEntries(3)

	// The client resubscribes with its cursor until the server listens again.
	var rest []liveEdge
	for attempt := 0; len(rest) == 0; attempt++ {
		if attempt > 50 {
			t.Fatal("could not resubscribe")
		}
		c = e.dialLive(ctx, e.keys["owner"])
		c.subscribe("2", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": got[2].Cursor})
		ev := c.next()
		if len(ev.errors) > 0 {
			c.conn.CloseNow()
			time.Sleep(200 * time.Millisecond)
			continue
		}
		rest = append(rest, *ev.edge)
	}
	third := e.writeEntries(2)
	rest = append(rest, collect(t, c.next, 3+2-1)...)
	assertOnceInOrder(t, append(got, rest...), slices.Concat(first, second, third))
}

// On SQLite the store's own bus replaces NOTIFY: a server sees its
// process's writes live.
func TestLiveOnSQLite(t *testing.T) {
	d, err := db.Open(filepath.Join(t.TempDir(), "live.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wire.Server(server.Defaults(), store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := &env{t: t, db: d, store: store, srv: srv, keys: map[string]string{"owner": res.Keys["owner"]}}
	e.ts = newTestServer(t, srv)
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": e.newestCursor("owner")})
	want := e.writeEntries(5)
	assertOnceInOrder(t, collect(t, c.next, 5), want)
}

func TestLiveMembershipChangeEndsWithForbidden(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.dialLive(ctx, e.keys["admin"])
	c.subscribe("1", `subscription { memberChangeLogs(organizationId: "1", userId: "3") { cursor } }`, nil)
	time.Sleep(300 * time.Millisecond) // subscribed
	ms, err := e.store.MembershipsOfUser(ctx, seed.AdminUserID)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for _, m := range ms {
		if m.OrganizationID != nil && *m.OrganizationID == seed.AcmeID {
			m.Role = model.RoleMember
			if err := e.store.UpsertMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
			changed = true
		}
	}
	if !changed {
		t.Fatal("the admin has no Acme membership")
	}
	ev := c.next()
	if ev.edge != nil || len(ev.errors) == 0 || ev.errors[0].Extensions["code"] != model.CodeForbidden {
		t.Fatalf("want a null edge with FORBIDDEN, got %+v", ev)
	}
}
