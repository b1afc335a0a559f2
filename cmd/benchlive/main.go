// Command live is `make bench-live`: the live subscriptions and the export,
// measured against a real server process on PostgreSQL (DATABASE_URL, or a
// private server from the local binaries).
//
// Live: -subscribers WebSocket clients subscribe to one event type's
// history (each with the cursor of the newest entry, as after reading a
// page), then entries are written at -rate per second for -duration,
// through the store, one append per entry, by a few writers. Each client
// checks that it received every entry once and in order; the delivery
// latency is measured from the moment the writer's append returned (the
// commit) to the client's receipt. The server's RSS and goroutines are read
// from its process and its /metrics.
//
// Export: -export entries are bulk-loaded into another event type's
// history, which is then downloaded through GET /export/event-types as
// NDJSON and CSV, with the server's RSS sampled meanwhile.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
	coderws "github.com/coder/websocket"
)

func main() {
	subscribers := flag.Int("subscribers", 1000, "concurrent subscribers")
	rate := flag.Int("rate", 500, "entries written per second")
	duration := flag.Duration("duration", 30*time.Second, "how long entries are written")
	writers := flag.Int("writers", 4, "concurrent writers")
	exportN := flag.Int("export", 1_000_000, "entries of the exported history (0: no export run)")
	report := flag.String("report", "", "also write the report (markdown) to this file")
	flag.Parse()
	ctx := context.Background()
	out := &strings.Builder{}
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		fmt.Printf(format+"\n", args...)
	}

	dsn, cleanup, err := database(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "auditgraph-live-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(dsn, db.Options{MaxOpenConns: 16})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		log.Fatal(err)
	}
	key := res.Keys["owner"]

	bin, err := devproc.BuildAuditgraph(ctx, dir)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := start(bin, dir, dsn, *subscribers)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	say("# Live subscriptions and export\n")
	say("Machine: %d CPUs (shared), %s. Load average before: %s.", runtime.NumCPU(), runtime.Version(), loadavg())
	say("Command: `go run ./cmd/benchlive -subscribers %d -rate %d -duration %s -export %d`\n", *subscribers, *rate, *duration, *exportN)
	if *subscribers > 0 {
		live(ctx, say, store, srv, key, *subscribers, *rate, *writers, *duration)
	}
	if *exportN > 0 {
		exportRun(ctx, say, store, srv, key, *exportN)
	}
	say("\nLoad average after: %s.", loadavg())
	if *report != "" {
		if err := os.WriteFile(*report, []byte(out.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// database creates a scratch database on DATABASE_URL's server or a
// private one; cleanup drops it.
func database(ctx context.Context) (string, func(), error) {
	admin := os.Getenv("DATABASE_URL")
	private := admin == ""
	if private {
		if admin = pgtest.ServerDSN(); admin == "" {
			return "", nil, fmt.Errorf("no PostgreSQL: set DATABASE_URL or install the server binaries")
		}
	}
	dsn, drop, err := devproc.CreateDatabase(ctx, admin, fmt.Sprintf("auditgraph_live_%d", os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	return dsn, func() {
		drop() //nolint:errcheck // a scratch database; the private server goes too
		if private && pgtest.Restartable() {
			pgtest.StopServer()
		}
	}, nil
}

// proc is the server under test.
type proc struct{ *devproc.Server }

func start(bin, dir, dsn string, subscribers int) (*proc, error) {
	srv, err := devproc.StartServer(context.Background(), bin, devproc.ServerOptions{
		Env: []string{"DATABASE_URL=" + dsn, "AUDITGRAPH_RATE_LIMIT=0", "AUDITGRAPH_DEMO=false",
			"AUDITGRAPH_LIVE_MAX_PER_KEY=" + strconv.Itoa(subscribers+10),
			"AUDITGRAPH_LIVE_MAX_SUBSCRIPTIONS=" + strconv.Itoa(subscribers+10)},
		LogPath: filepath.Join(dir, "server.log"),
	})
	if err != nil {
		return nil, err
	}
	return &proc{srv}, nil
}

// rssMB is the server's resident memory.
func (p *proc) rssMB() float64 { return devproc.RSSBytes(p.Pid()) / (1 << 20) }

// goroutines is the server's go_goroutines metric.
func (p *proc) goroutines() int {
	m, err := devproc.Metrics(p.Base)
	if err != nil {
		return -1
	}
	return int(m["go_goroutines"])
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

const subscription = `subscription($id: ID!, $after: String) { eventTypeHistory(eventTypeId: $id, after: $after) { cursor node { id timestamp } } }`

type subscriber struct {
	received       atomic.Int64
	ended          atomic.Bool
	dups, disorder int
	errs           []string
	lat            []time.Duration
	// what follow's goroutine alone reads: the ids delivered, the last one
	seen   map[string]bool
	lastTS time.Time
	lastID string
}

// next counts one delivery (received at now; committed has the time each
// entry's append returned): a duplicate, out of order, and its latency.
// False when it is an error, which ends the subscription.
func (s *subscriber) next(payload json.RawMessage, now time.Time, committed *sync.Map) bool {
	var r struct {
		Data struct {
			EventTypeHistory *struct {
				Node struct {
					ID        string
					Timestamp time.Time
				}
			}
		}
		Errors []struct{ Extensions map[string]any }
	}
	json.Unmarshal(payload, &r)
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		s.errs = append(s.errs, code)
		return false
	}
	e := r.Data.EventTypeHistory
	if e == nil {
		return true
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[e.Node.ID] {
		s.dups++
		return true
	}
	s.seen[e.Node.ID] = true
	if e.Node.Timestamp.Before(s.lastTS) || (e.Node.Timestamp.Equal(s.lastTS) && e.Node.ID < s.lastID) {
		s.disorder++
	}
	s.lastTS, s.lastID = e.Node.Timestamp, e.Node.ID
	s.received.Add(1)
	if c, ok := committed.Load(e.Node.ID); ok {
		s.lat = append(s.lat, now.Sub(c.(time.Time)))
	} else {
		s.lat = append(s.lat, 0)
	}
	return true
}

func live(ctx context.Context, say func(string, ...any), store *db.Store, srv *proc, key string, n, rate, writers int, duration time.Duration) {
	const eventType = 2
	page, err := store.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: eventType}, model.PageArgs{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		log.Fatal("no entry to start after", err)
	}
	after := model.EncodeCursor(model.CursorEventTypeHistory, page.Items[0].ID)
	mod, err := store.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: eventType, Actions: []string{model.EventTypeModified}}, model.PageArgs{Limit: 1})
	if err != nil || len(mod.Items) == 0 {
		log.Fatal("no entry to copy", err)
	}
	lr := &liveRun{srv: srv, store: store}
	lr.rss0, lr.g0 = srv.rssMB(), srv.goroutines()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	lr.subscribe(ctx, &wg, key, eventType, after, n)
	lr.write(ctx, mod.Items[0], rate, writers, duration)
	lr.awaitDeliveries(30 * time.Second)
	cancel()
	wg.Wait()
	lr.report(say, n, rate, duration)
}

// liveRun is one run of the live measurement: subscribers following one
// event type's history while writers append to it.
type liveRun struct {
	srv       *proc
	store     *db.Store
	subs      []*subscriber
	committed sync.Map // id -> time the append returned
	connected time.Duration
	// written entries in wrote, and failed appends
	written int64
	wrote   time.Duration
	wfail   atomic.Int64
	// the server's memory and goroutines idle, subscribed and at their peak
	rss0, rss1, peakRSS float64
	g0, g1, peakG       int
}

// subscribe connects n subscribers (in waves, so as not to stampede the
// listener), each following the history from after until ctx ends, and
// waits until they are all subscribed.
func (lr *liveRun) subscribe(ctx context.Context, wg *sync.WaitGroup, key string, eventType int, after string, n int) {
	lr.subs = make([]*subscriber, n)
	var ready sync.WaitGroup
	connectStart := time.Now()
	for i := range n {
		lr.subs[i] = &subscriber{}
		wg.Add(1)
		ready.Add(1)
		go func(s *subscriber) {
			defer wg.Done()
			follow(ctx, lr.srv.Addr, key, eventType, after, s, &lr.committed, &ready)
		}(lr.subs[i])
		if i%50 == 49 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	ready.Wait()
	lr.connected = time.Since(connectStart)
	time.Sleep(2 * time.Second)
	lr.rss1, lr.g1 = lr.srv.rssMB(), lr.srv.goroutines()
}

// write appends copies of tpl, one entry per append, paced to rate over
// writers for duration, sampling the server's memory every second.
func (lr *liveRun) write(ctx context.Context, tpl model.EventTypeEntry, rate, writers int, duration time.Duration) {
	writeStart := time.Now()
	var expected atomic.Int64
	var wwg sync.WaitGroup
	interval := time.Duration(float64(time.Second) * float64(writers) / float64(rate))
	for range writers {
		wwg.Go(func() {
			next := time.Now()
			for time.Since(writeStart) < duration {
				e := tpl
				e.ID, e.IdempotencyKey = model.NewEntryID(), nil
				e.Timestamp = time.Now().UTC().Truncate(time.Millisecond)
				if _, err := lr.store.AppendEventTypeHistory(ctx, []model.EventTypeEntry{e}); err != nil {
					lr.wfail.Add(1)
				} else {
					lr.committed.Store(e.ID, time.Now())
					expected.Add(1)
				}
				next = next.Add(interval)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
			}
		})
	}
	sample := time.NewTicker(time.Second)
	for time.Since(writeStart) < duration {
		<-sample.C
		lr.peakRSS, lr.peakG = max(lr.peakRSS, lr.srv.rssMB()), max(lr.peakG, lr.srv.goroutines())
	}
	sample.Stop()
	wwg.Wait()
	lr.written = expected.Load()
	lr.wrote = time.Since(writeStart)
}

// awaitDeliveries lets deliveries finish: until every subscriber still
// subscribed has every entry written, or timeout.
func (lr *liveRun) awaitDeliveries(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		done := true
		for _, s := range lr.subs {
			if s.received.Load() < lr.written && !s.ended.Load() {
				done = false
				break
			}
		}
		if done {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// report writes the live section of the report.
func (lr *liveRun) report(say func(string, ...any), n, rate int, duration time.Duration) {
	var all []time.Duration
	var received, dups, disorder, ended int
	errCodes := map[string]int{}
	for _, s := range lr.subs {
		received += int(s.received.Load())
		dups += s.dups
		disorder += s.disorder
		all = append(all, s.lat...)
		if len(s.errs) > 0 {
			ended++
			errCodes[s.errs[0]]++
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	written, wrote := lr.written, lr.wrote
	say("## Live: %d subscribers, %d entries/s for %s\n", n, rate, duration)
	say("| measure | value |\n| --- | --- |")
	say("| subscribers connected | %d in %s |", n, lr.connected.Round(time.Millisecond))
	say("| entries written | %d in %s (%.0f/s; %d appends failed) |", written, wrote.Round(time.Millisecond), float64(written)/wrote.Seconds(), lr.wfail.Load())
	say("| deliveries | %d of %d expected (%.2f%%) |", received, int(written)*n, 100*float64(received)/float64(max(1, int(written)*n)))
	say("| delivered twice / out of order | %d / %d |", dups, disorder)
	say("| subscriptions ended with an error | %d %v |", ended, errCodes)
	say("| delivery latency from commit, p50 / p99 / max | %s / %s / %s |", pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	say("| server RSS: idle / subscribed / peak while writing | %.0f / %.0f / %.0f MB |", lr.rss0, lr.rss1, lr.peakRSS)
	say("| server goroutines: idle / subscribed / peak | %d / %d / %d |", lr.g0, lr.g1, lr.peakG)
	say("")
	say("The latency includes the settle time (250 ms by default), for which the server holds every new entry so that concurrent writers' entries go out in keyset order.")
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func follow(ctx context.Context, base, key string, eventType int, after string, s *subscriber, committed *sync.Map, ready *sync.WaitGroup) {
	once := sync.Once{}
	signal := func() { once.Do(ready.Done) }
	defer signal()
	defer s.ended.Store(true)
	conn, _, err := coderws.Dial(ctx, "ws://"+base+"/graphql", &coderws.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		s.errs = append(s.errs, "dial: "+err.Error())
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	send := func(m wsMsg) error {
		b, _ := json.Marshal(m)
		return conn.Write(ctx, coderws.MessageText, b)
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
	send(wsMsg{Type: "connection_init", Payload: init})
	payload, _ := json.Marshal(map[string]any{"query": subscription, "variables": map[string]any{"id": strconv.Itoa(eventType), "after": after}})
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		var m wsMsg
		json.Unmarshal(b, &m)
		switch m.Type {
		case "connection_ack":
			send(wsMsg{ID: "1", Type: "subscribe", Payload: payload})
			signal()
		case "ping":
			send(wsMsg{Type: "pong"})
		case "next":
			if !s.next(m.Payload, now, committed) {
				return
			}
		case "error", "complete":
			s.errs = append(s.errs, m.Type)
			return
		}
	}
}

func exportRun(ctx context.Context, say func(string, ...any), store *db.Store, srv *proc, key string, n int) {
	const eventType = seed.SalesEventTypeID
	mod, err := store.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 2, Actions: []string{model.EventTypeModified}}, model.PageArgs{Limit: 1})
	if err != nil || len(mod.Items) == 0 {
		log.Fatal("no entry to copy", err)
	}
	tpl := mod.Items[0]
	tpl.EventTypeID = eventType
	loadStart := time.Now()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 20000
	for done := 0; done < n; done += batch {
		b := make([]model.EventTypeEntry, min(batch, n-done))
		for i := range b {
			b[i] = tpl
			b[i].ID = model.NewEntryID()
			b[i].Timestamp = t0.Add(time.Duration(done+i) * time.Second)
			k := "bench:" + b[i].ID
			b[i].IdempotencyKey = &k
		}
		if _, err := store.CopyEventTypeHistory(ctx, b); err != nil {
			log.Fatal(err)
		}
	}
	store.DB().ExecContext(ctx, "VACUUM ANALYZE event_type_history")
	say("\n## Export of a %d-entry history\n", n)
	say("Loaded in %s.\n", time.Since(loadStart).Round(time.Second))
	say("| format | entries | bytes | time | entries/s | server RSS before / peak |\n| --- | --- | --- | --- | --- | --- |")
	for _, format := range []string{"ndjson", "csv"} {
		rss0 := srv.rssMB()
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if r := uint64(srv.rssMB()); r > peak.Load() {
						peak.Store(r)
					}
				}
			}
		}()
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/export/event-types?eventTypeId=%d&format=%s", srv.Addr, eventType, format), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		cr := &lineCounter{}
		nbytes, err := io.Copy(cr, resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		close(stop)
		if err != nil || resp.StatusCode != 200 {
			log.Fatalf("export %s: %d %v", format, resp.StatusCode, err)
		}
		entries := cr.lines
		if format == "csv" {
			entries-- // the header
		}
		say("| %s | %d | %d MB | %s | %.0f | %.0f / %d MB |", format, entries, nbytes>>20, took.Round(time.Millisecond), float64(entries)/took.Seconds(), rss0, peak.Load())
	}
}

type lineCounter struct{ lines int }

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.lines++
		}
	}
	return len(p), nil
}
