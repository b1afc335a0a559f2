package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// replicated is a seeded database on a primary with streaming standbys.
type replicated struct {
	cluster *pgtest.Cluster
	keys    map[string]string
}

func newReplicated(t testing.TB, opt pgtest.ClusterOptions) *replicated {
	t.Helper()
	began := time.Now()
	c := pgtest.NewCluster(t, opt, db.MigrateURL)
	built := time.Since(began)
	d, err := db.Open(c.Primary.URL(pgtest.Database), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	store := db.NewStore(d)
	res, err := seed.Run(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	// The standbys catch up with the seed before any test reads them.
	seeded, _, err := store.ConsistencyToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sb := range c.Standbys {
		waitReplayed(t, sb.URL(pgtest.Database), seeded)
	}
	t.Logf("cluster built in %v, seeded and replayed in %v", built.Round(time.Millisecond), (time.Since(began) - built).Round(time.Millisecond))
	return &replicated{cluster: c, keys: res.Keys}
}

// execSQL runs one statement on url.
func execSQL(ctx context.Context, url, q string) error {
	d, err := db.Open(url, db.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = d.ExecContext(ctx, q)
	return err
}

// waitReplayed waits until the standby at url has replayed up to lsn.
func waitReplayed(t testing.TB, url string, lsn db.LSN) {
	t.Helper()
	d, err := db.Open(url, db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		var text string
		if err := d.QueryRowContext(context.Background(), "SELECT pg_last_wal_replay_lsn()::text").Scan(&text); err != nil {
			t.Fatal(err)
		}
		if got, err := db.ParseLSN(text); err == nil && got >= lsn {
			return
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the standby has replayed to %s after 30s, not to %s", text, lsn)
		}
	}
}

// instance is one server process's worth of state: its own pools, its own
// replica set and HTTP server.
type instance struct {
	url      string
	store    *db.Store
	replicas *db.ReplicaSet
}

func (rc *replicated) instance(t testing.TB, primaryURL string, ro db.ReplicaOptions) *instance {
	t.Helper()
	d, err := db.Open(primaryURL, db.Options{MaxOpenConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	inst := &instance{store: store}
	cfg := testConfig()
	if len(rc.cluster.Standbys) > 0 && ro.MaxLag > 0 {
		var urls []string
		for _, sb := range rc.cluster.Standbys {
			urls = append(urls, sb.URL(pgtest.Database))
		}
		rs, err := db.OpenReplicas(store, urls, db.Options{MaxOpenConns: 16}, ro, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rs.Close)
		inst.replicas = rs
	}
	s, err := wire.Server(cfg, store, inst.replicas, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	inst.url = hs.URL
	return inst
}

const recordOneMutation = `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id created }
}`

// answer is a GraphQL answer with the headers and extensions this file
// looks at.
type answer struct {
	status    int
	token     string
	extToken  string
	codes     []string
	data      json.RawMessage
	raw       string
	latency   time.Duration
	transport error
}

func (a *answer) ok() bool {
	return a.transport == nil && a.status == http.StatusOK && len(a.codes) == 0
}

func (a *answer) String() string {
	if a.transport != nil {
		return "no answer: " + a.transport.Error()
	}
	return fmt.Sprintf("%d %v %s", a.status, a.codes, a.raw)
}

// gql posts one operation with key and, when token is set, the
// consistency header.
func gql(ctx context.Context, client *http.Client, url, key, token, query string, vars map[string]any) *answer {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return &answer{transport: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if token != "" {
		req.Header.Set(server.ConsistencyHeader, token)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return &answer{transport: err, latency: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := &answer{status: resp.StatusCode, token: resp.Header.Get(server.ConsistencyHeader), raw: string(raw), latency: time.Since(start), transport: err}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
		Extensions map[string]any `json:"extensions"`
	}
	if json.Unmarshal(raw, &out) != nil {
		a.codes = append(a.codes, "undecodable")
		return a
	}
	a.data = out.Data
	for _, e := range out.Errors {
		c, _ := e.Extensions["code"].(string)
		a.codes = append(a.codes, c)
	}
	a.extToken, _ = out.Extensions["consistencyToken"].(string)
	return a
}

// Acme's team event types, which the demo writer may write and its owner
// read. A test's concurrent writers each write to their own, so that an
// entry is the newest of its history until its writer writes again: a
// writer stalled between validation and commit cannot see its entry pushed
// out of a page by others'.
var acmeEventTypes = []string{teamEventType, strconv.FormatInt(seed.ManagedParentID, 10), strconv.FormatInt(seed.SalesEventTypeID, 10)}

// recordOne records one change of event type et under idempotency key
// idem and returns the answer and the stored entry's id.
func recordOne(ctx context.Context, client *http.Client, url, key, et, idem string) (*answer, string) {
	entry := map[string]any{
		"idempotencyKey": idem,
		"eventTypeId":    et,
		"action":         model.EventTypeModified,
		"source":         "API_V2",
		"actor":          map[string]any{"type": model.ActorSystem},
		"before":         map[string]any{"title": "a"},
		"after":          map[string]any{"title": idem},
	}
	a := gql(ctx, client, url, key, "", recordOneMutation,
		map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "entries": []any{entry}})
	if !a.ok() {
		return a, ""
	}
	var data struct {
		Recorded []struct{ ID string } `json:"recordEventTypeChanges"`
	}
	if json.Unmarshal(a.data, &data) != nil || len(data.Recorded) != 1 {
		a.codes = append(a.codes, "unexpected answer")
		return a, ""
	}
	return a, data.Recorded[0].ID
}

const newestQuery = `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 50) { edges { node { id } } } }`

// newest reads the newest 50 entries of event type et's history.
func newest(ctx context.Context, client *http.Client, url, key, et, token string) (*answer, []string) {
	a := gql(ctx, client, url, key, token, newestQuery, map[string]any{"id": et})
	if !a.ok() {
		return a, nil
	}
	var data struct {
		H struct {
			Edges []struct {
				Node struct{ ID string }
			}
		} `json:"eventTypeHistory"`
	}
	if err := json.Unmarshal(a.data, &data); err != nil {
		a.codes = append(a.codes, "unexpected answer")
		return a, nil
	}
	ids := make([]string, len(data.H.Edges))
	for i, e := range data.H.Edges {
		ids[i] = e.Node.ID
	}
	return a, ids
}

// waits collects the consistency waits of a replica set.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) add(d time.Duration) { w.mu.Lock(); w.d = append(w.d, d); w.mu.Unlock() }

func (w *waits) percentiles() (n int, p50, p99 time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(w.d)
	slices.Sort(s)
	return len(s), s[len(s)/2], s[min(len(s)-1, len(s)*99/100)]
}

// TestReadYourWritesAcrossInstances writes through one instance and reads,
// with the write's consistency token, through the other, 1,000 times. The
// replica replays 10ms behind the primary, so a read without the token
// sees a history without the write; with it, never.
func TestReadYourWritesAcrossInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a replicated cluster")
	}
	rc := newReplicated(t, pgtest.ClusterOptions{Standbys: 1, ApplyDelay: 10 * time.Millisecond})
	ro := db.ReplicaOptions{MaxLag: 5 * time.Second, MaxWait: 2 * time.Second, CheckInterval: 200 * time.Millisecond}
	primaryURL := rc.cluster.Primary.URL(pgtest.Database)
	a, b := rc.instance(t, primaryURL, ro), rc.instance(t, primaryURL, ro)
	instances := []*instance{a, b}
	var w waits
	a.replicas.ObserveWaits(w.add)
	b.replicas.ObserveWaits(w.add)
	key, reader := rc.keys["writer"], rc.keys["owner"]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The control: without the token a read right after the write misses
	// it, so the replica really is behind and the test can fail.
	staleWithout := 0
	for i := range 20 {
		wa, id := recordOne(ctx, client, a.url, key, teamEventType, fmt.Sprintf("ryw-control-%d", i))
		if !wa.ok() {
			t.Fatalf("write: %s", wa)
		}
		ra, ids := newest(ctx, client, b.url, reader, teamEventType, "")
		if !ra.ok() {
			t.Fatalf("read: %s", ra)
		}
		if !slices.Contains(ids, id) {
			staleWithout++
		}
	}
	if staleWithout == 0 {
		t.Fatal("every read without a token already saw the write: the replica is not behind, the test proves nothing")
	}

	const tries = 1000
	var next, stale, failed, noToken atomic.Int64
	var wg sync.WaitGroup
	for _, et := range acmeEventTypes {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= tries {
					return
				}
				// The test's own round robin: write on one, read on the other.
				writer, readOn := instances[i%2], instances[(i+1)%2]
				wa, id := recordOne(ctx, client, writer.url, key, et, fmt.Sprintf("ryw-%d", i))
				if !wa.ok() {
					failed.Add(1)
					t.Errorf("write %d: %s", i, wa)
					continue
				}
				if wa.token == "" || wa.token != wa.extToken {
					noToken.Add(1)
					t.Errorf("write %d: header token %q, extensions token %q", i, wa.token, wa.extToken)
					continue
				}
				ra, ids := newest(ctx, client, readOn.url, reader, et, wa.token)
				if !ra.ok() {
					failed.Add(1)
					t.Errorf("read %d: %s", i, ra)
					continue
				}
				if !slices.Contains(ids, id) {
					stale.Add(1)
				}
			}
		})
	}
	wg.Wait()
	n, p50, p99 := w.percentiles()
	var waited waits
	for _, d := range w.d {
		if d > 0 {
			waited.add(d)
		}
	}
	wn, wp50, wp99 := waited.percentiles()
	var replicaReads int64
	fallbacks := map[string]int64{}
	for _, in := range instances {
		r, f := in.replicas.Reads()
		replicaReads += r
		for k, v := range f {
			fallbacks[k] += v
		}
	}
	t.Logf("%d writes read back on the other instance with their token: %d stale, %d failed; without a token %d of 20 stale",
		tries, stale.Load(), failed.Load(), staleWithout)
	t.Logf("consistency wait over %d read statements with a token: p50 %v, p99 %v; over the %d that waited: p50 %v, p99 %v; replica reads %d, primary fallbacks %v",
		n, p50, p99, wn, wp50.Round(time.Microsecond), wp99.Round(time.Microsecond), replicaReads, fallbacks)
	if stale.Load() != 0 {
		t.Errorf("%d of %d reads with a token missed their write", stale.Load(), tries)
	}
	if replicaReads == 0 {
		t.Error("no read was served by the replica")
	}

	// A hostile or foreign token, past anything the primary wrote, is
	// served by the primary at once instead of holding the read for
	// -replica-max-wait (2s here) per statement.
	_, before := a.replicas.Reads()
	ra, ids := newest(ctx, client, a.url, reader, teamEventType, "FFFFFFFF/FFFFFFFF")
	if !ra.ok() || len(ids) == 0 {
		t.Fatalf("read with a token from nowhere: %s", ra)
	}
	_, after := a.replicas.Reads()
	if after[db.FallbackTokenAhead] <= before[db.FallbackTokenAhead] || after[db.FallbackWaitTimeout] != before[db.FallbackWaitTimeout] {
		t.Errorf("a token past the primary: fallbacks %v -> %v, want token_ahead and no wait", before, after)
	}
	if ra.latency > ro.MaxWait {
		t.Errorf("a read with a token past the primary took %v, more than the %v wait it must skip", ra.latency, ro.MaxWait)
	}
	checkReplicaMetrics(t, a)
}

// TestReplicaStoppedUnderLoad stops the only replica while writes and reads
// (with and without tokens) run, and starts it again: every request is
// answered without error (reads fall back to the primary), no read with a
// token misses its write, and the replica comes back into the rotation by
// itself. Then it pauses replay until it lags beyond the bound: it leaves
// the rotation for its lag, and comes back once it has caught up.
func TestReplicaStoppedUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a replicated cluster")
	}
	rc := newReplicated(t, pgtest.ClusterOptions{Standbys: 1})
	inst := rc.instance(t, rc.cluster.Primary.URL(pgtest.Database),
		db.ReplicaOptions{MaxLag: time.Second, MaxWait: 200 * time.Millisecond, CheckInterval: 100 * time.Millisecond})
	key, reader := rc.keys["writer"], rc.keys["owner"]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	stop := make(chan struct{})
	var writes, reads, stale, failures atomic.Int64
	var failMu sync.Mutex
	var failSamples []string
	fail := func(what string, a *answer) {
		failures.Add(1)
		failMu.Lock()
		if len(failSamples) < 5 {
			failSamples = append(failSamples, what+": "+a.String())
		}
		failMu.Unlock()
	}
	var wg sync.WaitGroup
	for w, et := range acmeEventTypes {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wa, id := recordOne(ctx, client, inst.url, key, et, fmt.Sprintf("stop-%d-%d", w, i))
				if !wa.ok() {
					fail("write", wa)
					continue
				}
				writes.Add(1)
				ra, ids := newest(ctx, client, inst.url, reader, et, wa.token)
				if !ra.ok() {
					fail("read with token", ra)
					continue
				}
				reads.Add(1)
				if !slices.Contains(ids, id) {
					stale.Add(1)
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if ra, _ := newest(ctx, client, inst.url, reader, teamEventType, ""); !ra.ok() {
					fail("read", ra)
				} else {
					reads.Add(1)
				}
			}
		})
	}
	sb := rc.cluster.Standbys[0]
	replicaReads := func() int64 { n, _ := inst.replicas.Reads(); return n }
	loadBegan := time.Now()
	phase := func(what string) { t.Logf("%6.2fs %s", time.Since(loadBegan).Seconds(), what) }
	time.Sleep(700 * time.Millisecond)
	before := replicaReads()
	phase("stopping the replica")
	if err := sb.Stop(); err != nil {
		t.Fatal(err)
	}
	phase("replica stopped")
	time.Sleep(time.Second)
	if st := inst.replicas.Status()[0]; st.InRotation {
		t.Errorf("the stopped replica is still in the rotation: %+v", st)
	}
	down := replicaReads()
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	phase("replica started")
	// Back by itself: within a few checks of the replica answering again.
	for start := time.Now(); !inst.replicas.Status()[0].InRotation; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the restarted replica is not back in the rotation after 20s: %+v", inst.replicas.Status()[0])
		}
	}
	back := replicaReads()
	phase("replica back in the rotation")
	time.Sleep(700 * time.Millisecond)
	after := replicaReads()

	// Lagging: the replica stops replaying while the writes go on. Once it
	// is more than -replica-max-lag (1s) behind it leaves the rotation, and
	// it comes back when replay resumes and it has caught up.
	if err := execSQL(ctx, sb.URL(pgtest.Database), "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	phase("replay paused")
	var lagged db.ReplicaStatus
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if lagged = inst.replicas.Status()[0]; !lagged.InRotation {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("a replica not replaying for 20s is still in the rotation: %+v", lagged)
		}
	}
	if !strings.Contains(lagged.Reason, "lags") || lagged.Lag <= time.Second || lagged.LagBytes <= 0 {
		t.Errorf("the paused replica left the rotation as %+v, want for its lag (over 1s, bytes behind)", lagged)
	}
	phase("replica out of the rotation for its lag")
	if err := execSQL(ctx, sb.URL(pgtest.Database), "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); !inst.replicas.Status()[0].InRotation; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the resumed replica is not back in the rotation after 20s: %+v", inst.replicas.Status()[0])
		}
	}
	phase("replica back after resuming")
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	phase("load stopped")
	t.Logf("paused replica left the rotation: %s (lag %v, %d bytes), and came back after resuming", lagged.Reason, lagged.Lag.Round(time.Millisecond), lagged.LagBytes)
	_, fallbacks := inst.replicas.Reads()
	t.Logf("%d writes, %d reads, %d failures, %d stale reads with a token; replica reads before the stop %d, while stopped %d, after the restart %d; fallbacks %v",
		writes.Load(), reads.Load(), failures.Load(), stale.Load(), before, down-before, after-back, fallbacks)
	if failures.Load() != 0 {
		t.Errorf("%d requests failed while the replica was stopped and started, e.g. %s", failures.Load(), strings.Join(failSamples, "; "))
	}
	if stale.Load() != 0 {
		t.Errorf("%d reads with a token missed their write", stale.Load())
	}
	if before == 0 || after == back {
		t.Errorf("the replica served %d reads before the stop and %d after its return, want some each time", before, after-back)
	}
	if writes.Load() == 0 || reads.Load() == 0 {
		t.Error("no load ran")
	}
}
