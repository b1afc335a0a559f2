package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/server"
)

// payloads reads n "next" messages of a subscription, as sent.
func (c *wsClient) payloads(n int) []json.RawMessage {
	c.t.Helper()
	var out []json.RawMessage
	for len(out) < n {
		m := c.read()
		if m.Type != "next" {
			c.t.Fatalf("after %d entries: %+v", len(out), m)
		}
		out = append(out, m.Payload)
	}
	return out
}

// Subscriptions with the same document, variables and key share one
// rendering per entry; what they receive is byte for byte what a
// subscription rendering its own entries receives, and a different
// selection is never answered with another's bytes.
func TestLiveSharedRenderingEqualsOwnRendering(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vars := map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": e.newestCursor("owner")}

	server.SetLiveSharing(e.srv, false)
	own := e.dialLive(ctx, e.keys["owner"])
	own.subscribe("1", subscribeEventTypes, vars)
	// The warm-up entry's arrival shows the unshared subscription is open.
	e.writeEntries(1)
	warm := own.payloads(1)

	server.SetLiveSharing(e.srv, true)
	b := e.dialLive(ctx, e.keys["owner"])
	b.subscribe("1", subscribeEventTypes, vars)
	c := e.dialLive(ctx, e.keys["owner"])
	c.subscribe("1", subscribeEventTypes, vars)
	narrow := e.dialLive(ctx, e.keys["owner"])
	narrow.subscribe("1", `subscription($id: ID!, $after: String) { eventTypeHistory(eventTypeId: $id, after: $after) { cursor } }`, vars)
	// Each catches up the warm-up entry, then follows.
	for _, s := range []*wsClient{b, c, narrow} {
		s.payloads(1)
	}
	const n = 20
	e.writeEntries(n)
	want := append(warm, own.payloads(n)...)
	if len(want) != n+1 {
		t.Fatalf("own rendering: %d entries", len(want))
	}
	got := map[string][]json.RawMessage{"b": nil, "c": nil}
	// The first entry of b and c was read above; compare the followers
	// from a fresh subscription each, which catch up the same entries.
	for name := range got {
		s := e.dialLive(ctx, e.keys["owner"])
		s.subscribe("1", subscribeEventTypes, vars)
		got[name] = s.payloads(n + 1)
	}
	for _, s := range []*wsClient{b, c} {
		rest := s.payloads(n)
		for i, p := range rest {
			if !bytes.Equal(p, want[i+1]) {
				t.Fatalf("live entry %d: shared rendering\n%s\nown rendering\n%s", i, p, want[i+1])
			}
		}
	}
	for name, ps := range got {
		for i, p := range ps {
			if !bytes.Equal(p, want[i]) {
				t.Fatalf("%s, entry %d: shared rendering\n%s\nown rendering\n%s", name, i, p, want[i])
			}
		}
	}
	for i, p := range narrow.payloads(n) {
		if bytes.Contains(p, []byte(`"node"`)) || !bytes.Contains(p, []byte(`"cursor"`)) {
			t.Fatalf("the cursor-only subscription got, for entry %d: %s", i, p)
		}
	}
	// b and c: one of the two renders each of the 21 entries and the other
	// reuses it; the two late subscriptions reuse all 21 each.
	if hits := server.LiveSharedHits(e.srv); hits != 3*(n+1) {
		t.Fatalf("shared renderings sent: %d, want %d", hits, 3*(n+1))
	}
}
