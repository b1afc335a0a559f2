package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/server"
)

// TestLiveFanoutProfile is a profiling harness, not a check: with
// LIVE_FANOUT_SUBSCRIBERS set it opens that many WebSocket subscribers in
// process, writes LIVE_FANOUT_ENTRIES entries and waits until every
// subscriber received them all, so that `go test -cpuprofile/-memprofile`
// shows where a delivery's cost goes. It prints the deliveries per second.
func TestLiveFanoutProfile(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LIVE_FANOUT_SUBSCRIBERS"))
	if n <= 0 {
		t.Skip("set LIVE_FANOUT_SUBSCRIBERS to run")
	}
	entries := 200
	if v, _ := strconv.Atoi(os.Getenv("LIVE_FANOUT_ENTRIES")); v > 0 {
		entries = v
	}
	e := newEnv(t, func(c *server.Config) {
		c.Live.MaxPerKey, c.Live.MaxTotal, c.Live.Buffer = n+10, n+10, entries+10
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	after := e.newestCursor("owner")
	clients := make([]*wsClient, n)
	for i := range clients {
		clients[i] = e.dialLive(ctx, e.keys["owner"])
		clients[i].subscribe("1", subscribeEventTypes, map[string]any{"id": fmt.Sprint(liveEventTypeID), "after": after})
	}
	time.Sleep(time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	counts := make([]int, n)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for counts[i] < entries {
				_, b, err := c.conn.Read(ctx)
				if err != nil {
					return
				}
				if bytes.Contains(b, []byte(`"type":"next"`)) {
					counts[i]++
				}
			}
		}()
	}
	e.writeEntries(entries)
	wg.Wait()
	took := time.Since(start)
	total := 0
	for _, c := range counts {
		total += c
	}
	t.Logf("%d subscribers × %d entries: %d deliveries in %s (%.0f/s)", n, entries, total, took.Round(time.Millisecond), float64(total)/took.Seconds())
	if total != n*entries {
		t.Fatalf("delivered %d of %d", total, n*entries)
	}
}
