// Command soak runs auditgraph on PostgreSQL under a mixed load and reports
// how it held up: reads of the three histories through GraphQL and REST, plus
// ingest through the GraphQL record mutations, at a fixed concurrency for a
// set duration, with the vegeta load generator.
//
// It starts a throwaway PostgreSQL server (as the tests do) unless
// DATABASE_URL names one, creates a fresh database there, migrates and seeds
// it with the demo data, builds and starts the real server binary, and at the
// end prints requests, errors by status, latency percentiles, goroutines and
// RSS of the server at start, after warm-up and at the end, and the entries
// written against the entries read back through the API.
//
//	go run ./cmd/soak -duration 5m
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	duration := flag.Duration("duration", 5*time.Minute, "how long the load runs")
	concurrency := flag.Int("concurrency", 32, "requests in flight at once")
	warmup := flag.Duration("warmup", 0, "time after which the warm figures are taken (default: a tenth of the duration, at most 30s)")
	ingestShare := flag.Int("ingest-every", 10, "one request in this many is an ingest mutation")
	bin := flag.String("bin", "", "server binary to run (default: build ./cmd/auditgraph)")
	abusive := flag.Int("abusive", envInt("SOAK_ABUSIVE", 0), "abusive clients sending the abuse issue's requests beside the normal load (env SOAK_ABUSIVE)")
	abusiveRate := flag.Float64("abusive-rate", 20, "requests per second of each abusive client")
	flag.Parse()
	if *warmup == 0 {
		*warmup = min(*duration/10, 30*time.Second)
	}
	if err := run(*duration, *warmup, *concurrency, *ingestShare, *bin, *abusive, *abusiveRate); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(duration, warmup time.Duration, concurrency, ingestEvery int, bin string, abusive int, abusiveRate float64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "auditgraph-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// The database.
	adminURL := os.Getenv("DATABASE_URL")
	startedPG := false
	if adminURL == "" {
		fmt.Println("starting a throwaway PostgreSQL server...")
		if adminURL = pgtest.ServerDSN(); adminURL == "" {
			return errors.New("no PostgreSQL: install it (initdb, postgres) or set DATABASE_URL")
		}
		startedPG = true
		defer pgtest.StopServer()
	}
	dbURL, dropDB, err := devproc.CreateDatabase(ctx, adminURL, fmt.Sprintf("soak_%d_%d", os.Getpid(), time.Now().Unix()))
	if err != nil {
		return err
	}
	defer func() {
		if err := dropDB(); err != nil {
			fmt.Fprintln(os.Stderr, "soak: dropping the database:", err)
		}
	}()
	dm, err := migrateAndSeed(ctx, dbURL)
	if err != nil {
		return err
	}
	keys := dm.keys

	// The server.
	srv, err := startServer(ctx, tmp, bin, dbURL)
	if err != nil {
		return err
	}
	defer srv.Stop()
	base := srv.Base
	ingestTarget := strconv.FormatInt(seed.TeamEventTypeID, 10)
	before, err := eventTypeTotal(base, keys["owner"], ingestTarget)
	if err != nil {
		return fmt.Errorf("reading the history before the load: %w", err)
	}
	start := sample(base, srv.Pid())

	// The load.
	fmt.Printf("load: %d concurrent requests for %s against %s (PostgreSQL %s)\n", concurrency, duration, base, redact(dbURL))
	ld := applyLoad(ctx, srv, dm, duration, warmup, concurrency, ingestEvery, abusive, abusiveRate)
	end := sample(base, srv.Pid())
	after, err := eventTypeTotal(base, keys["owner"], ingestTarget)
	if err != nil {
		return fmt.Errorf("reading the history back: %w", err)
	}

	return report(ld, start, end, before, after, warmup, concurrency, startedPG, srv.LogPath)
}

// startServer builds the binary (unless bin names one) and starts it on a
// free port, logging to a file under tmp; Stop ends it (SIGTERM, then kill
// after 20 s).
func startServer(ctx context.Context, tmp, bin, dbURL string) (*devproc.Server, error) {
	if bin == "" {
		fmt.Println("building ./cmd/auditgraph...")
		var err error
		if bin, err = devproc.BuildAuditgraph(ctx, tmp); err != nil {
			return nil, err
		}
	}
	return devproc.StartServer(ctx, bin, devproc.ServerOptions{
		Args: []string{"-database-url", dbURL, "-demo=false",
			// The normal clients share one key each at full speed: its budget is
			// out of the way; the anonymous and failed-authentication budgets,
			// which the abusive clients meet, keep their defaults.
			"-rate-limit", "1000000", "-rate-burst", "1000000", "-log-format", "json", "-db-max-conns", "20"},
		LogPath: filepath.Join(tmp, "server.log"), DiscardStdout: true,
	})
}

// soakLoad is what the load measured.
type soakLoad struct {
	total   vegeta.Metrics
	byKind  map[string]*vegeta.Metrics
	gqlErrs map[string]int
	written atomic.Int64
	failedW int
	// warm is sampled after the warm-up, nil if the load ended before.
	warm *figures
	// abusive clients ran beside the load (0: none), with their tally.
	abusive int
	abused  *abuseFigures
}

// applyLoad runs the mixed load for duration at concurrency, with abusive
// clients beside it, and tallies the answers by kind, the GraphQL error
// codes in 200 answers and the entries the ingest calls wrote.
func applyLoad(ctx context.Context, srv *devproc.Server, dm *demo, duration, warmup time.Duration, concurrency, ingestEvery, abusive int, abusiveRate float64) *soakLoad {
	tg := newTargeter(srv.Base, dm, ingestEvery)
	attacker := vegeta.NewAttacker(vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true))
	ld := &soakLoad{abusive: abusive, byKind: map[string]*vegeta.Metrics{}, gqlErrs: map[string]int{}}
	var mu sync.Mutex
	warmTimer := time.AfterFunc(warmup, func() {
		f := sample(srv.Base, srv.Pid())
		mu.Lock()
		ld.warm = &f
		mu.Unlock()
	})
	defer warmTimer.Stop()
	abuseCtx, stopAbuse := context.WithTimeout(ctx, duration)
	defer stopAbuse()
	ld.abused = abuse(abuseCtx, srv.Base, dm.keys, abusive, abusiveRate)
	if abusive > 0 {
		fmt.Printf("abuse: %d clients at %g requests/s each\n", abusive, abusiveRate)
	}
	results := attacker.Attack(tg.next, vegeta.Rate{Freq: 0}, duration, "soak")
	go func() {
		<-ctx.Done()
		attacker.Stop()
	}()
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	for done := false; !done; {
		select {
		case r, ok := <-results:
			if !ok {
				done = true
				break
			}
			kind := kindOf(r.URL)
			m := ld.byKind[kind]
			if m == nil {
				m = &vegeta.Metrics{}
				ld.byKind[kind] = m
			}
			m.Add(r)
			ld.total.Add(r)
			if r.Code == http.StatusOK && (strings.HasPrefix(kind, "graphql:") || kind == "ingest") {
				for _, code := range errorCodes(r.Body) {
					ld.gqlErrs[kind+" "+code]++
				}
			}
			if kind == "ingest" {
				n, ok := created(r)
				if ok {
					ld.written.Add(int64(n))
				} else {
					ld.failedW++
				}
			}
		case <-progress.C:
			fmt.Printf("  ... %d requests so far\n", ld.total.Requests)
		}
	}
	stopAbuse()
	ld.total.Close()
	for _, m := range ld.byKind {
		m.Close()
	}
	return ld
}

// report prints the soak's figures and fails it on any 5xx answer, lost
// entry, failed ingest call or abusive request answered without a code.
func report(ld *soakLoad, start, end figures, before, after int, warmup time.Duration, concurrency int, startedPG bool, logPath string) error {
	total, warm := &ld.total, ld.warm
	fmt.Printf("\n== soak report ==\n")
	fmt.Printf("duration            %s (warm-up %s), concurrency %d\n", total.Duration.Round(time.Millisecond), warmup, concurrency)
	fmt.Printf("requests            %d (%.1f/s), success ratio %.4f\n", total.Requests, total.Rate, total.Success)
	fmt.Printf("status codes       ")
	for _, code := range sortedKeys(total.StatusCodes) {
		fmt.Printf(" %s:%d", code, total.StatusCodes[code])
	}
	fmt.Println()
	fives := 0
	for code, n := range total.StatusCodes {
		if strings.HasPrefix(code, "5") || code == "0" {
			fives += n
		}
	}
	fmt.Printf("5xx or no answer    %d\n", fives)
	if len(ld.gqlErrs) > 0 {
		fmt.Printf("GraphQL errors in 200 answers:\n")
		for _, k := range sortedKeys(ld.gqlErrs) {
			fmt.Printf("  %-50s %d\n", k, ld.gqlErrs[k])
		}
	} else {
		fmt.Printf("GraphQL errors      none\n")
	}
	if len(total.Errors) > 0 {
		fmt.Printf("transport errors    %v\n", firstN(total.Errors, 5))
	}
	fmt.Printf("latency             %s\n", latencies(total))
	fmt.Printf("by request kind:\n")
	for _, k := range sortedKeys(ld.byKind) {
		m := ld.byKind[k]
		fmt.Printf("  %-30s %7d req  %s\n", k, m.Requests, latencies(m))
	}
	fmt.Printf("server goroutines   start %d, after warm-up %s, end %d\n", start.goroutines, warm.goroutinesText(), end.goroutines)
	fmt.Printf("server RSS          start %s, after warm-up %s, end %s\n", mib(start.rss), warm.rssText(), mib(end.rss))
	fmt.Printf("server Go heap      start %s, after warm-up %s, end %s (in use)\n", mib(start.heap), warm.heapText(), mib(end.heap))
	fmt.Printf("entries written     %d (ingest calls failed: %d)\n", ld.written.Load(), ld.failedW)
	readBack := after - before
	fmt.Printf("entries read back   %d (eventTypeHistory totalCount %d -> %d)\n", readBack, before, after)
	lost := ld.written.Load() - int64(readBack)
	fmt.Printf("lost entries        %d\n", lost)
	if startedPG {
		fmt.Printf("database            throwaway PostgreSQL (pgtest)\n")
	}
	abuseFailures := 0
	if ld.abusive > 0 {
		var text string
		text, abuseFailures = ld.abused.report()
		fmt.Print(text)
	}
	if fives > 0 || lost != 0 || ld.failedW > 0 || abuseFailures > 0 {
		return fmt.Errorf("the soak failed: %d 5xx, %d lost entries, %d failed ingest calls, %d abusive requests not refused with a code (server log: kept below)\n%s",
			fives, lost, ld.failedW, abuseFailures, devproc.Tail(logPath, 4000))
	}
	return nil
}

// targeter hands out the mixed load, round robin.
type targeter struct {
	base        string
	keys        map[string]string
	ingestEvery int
	n           atomic.Uint64
	reads       []vegeta.Target
}

func newTargeter(base string, dm *demo, ingestEvery int) *targeter {
	keys := dm.keys
	owner := http.Header{"Authorization": {"Bearer " + keys["owner"]}, "Content-Type": {"application/json"}}
	gql := func(name, query string, vars map[string]any) vegeta.Target {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return vegeta.Target{Method: http.MethodPost, URL: base + "/graphql?op=" + name, Body: body, Header: owner}
	}
	et := strconv.FormatInt(seed.TeamEventTypeID, 10)
	org, user := strconv.FormatInt(seed.AcmeID, 10), strconv.FormatInt(seed.MemberUserID, 10)
	cal := owner.Clone()
	cal.Set("cal-api-version", "2024-06-14")
	return &targeter{base: base, keys: keys, ingestEvery: max(ingestEvery, 2), reads: []vegeta.Target{
		gql("eventTypeHistory", `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 25) {
			totalCount edges { cursor node { id action timestamp actor { displayName } actionDisplayTitle displayFields { label fieldValue { __typename } } } }
			pageInfo { hasNextPage endCursor } } }`, map[string]any{"id": et}),
		gql("attributeAssignmentHistory", `query($o: ID!, $u: ID!) { attributeAssignmentHistory(orgId: $o, userId: $u, first: 25) {
			totalCount edges { node { id timestamp actor { displayName } changes { __typename } } } pageInfo { endCursor } } }`,
			map[string]any{"o": org, "u": user}),
		gql("memberChangeLogs", `query($o: ID!, $u: ID!) { memberChangeLogs(organizationId: $o, userId: $u, first: 50) {
			totalCount edges { node { id action timestamp resourceType resourceId } } pageInfo { endCursor } } }`,
			map[string]any{"o": org, "u": user}),
		{Method: http.MethodGet, URL: base + "/v2/event-types/" + et + "/history?limit=25", Header: cal},
		{Method: http.MethodGet, URL: base + "/v2/organizations/" + org + "/attributes/assignments/" + user + "/history?limit=25", Header: cal},
		{Method: http.MethodPost, URL: base + "/v1/organizations/" + dm.orgPublicID + "/users/" + dm.userPublicID + "/change-logs", Header: owner, Body: []byte(`{"take":50}`)},
	}}
}

const recordMutation = `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id created }
}`

// entriesPerIngest is the batch size of one ingest call.
const entriesPerIngest = 5

func (tg *targeter) next(t *vegeta.Target) error {
	i := tg.n.Add(1)
	if i%uint64(tg.ingestEvery) == 0 {
		entries := make([]map[string]any, entriesPerIngest)
		for j := range entries {
			entries[j] = map[string]any{
				"idempotencyKey": fmt.Sprintf("soak-%d-%d-%d", os.Getpid(), i, j),
				"eventTypeId":    strconv.FormatInt(seed.TeamEventTypeID, 10),
				"action":         "EVENT_TYPE_MODIFIED",
				"source":         "API_V2",
				"actor":          map[string]any{"type": "SYSTEM"},
				"before":         map[string]any{"title": "Soak " + strconv.FormatUint(i, 10)},
				"after":          map[string]any{"title": "Soak " + strconv.FormatUint(i+1, 10)},
			}
		}
		body, _ := json.Marshal(map[string]any{"query": recordMutation, "variables": map[string]any{
			"org": strconv.FormatInt(seed.AcmeID, 10), "entries": entries}})
		*t = vegeta.Target{Method: http.MethodPost, URL: tg.base + "/graphql?op=ingest", Body: body,
			Header: http.Header{"Authorization": {"Bearer " + tg.keys["writer"]}, "Content-Type": {"application/json"}}}
		return nil
	}
	*t = tg.reads[int(i)%len(tg.reads)]
	return nil
}

// envInt reads an integer setting from the environment.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func kindOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	if op := u.Query().Get("op"); op == "ingest" {
		return "ingest"
	} else if op != "" {
		return "graphql:" + op
	}
	switch {
	case strings.HasPrefix(u.Path, "/v2/event-types/"):
		return "rest:v2 event type history"
	case strings.HasPrefix(u.Path, "/v2/organizations/"):
		return "rest:v2 attribute history"
	case strings.HasPrefix(u.Path, "/v1/"):
		return "rest:v1 change logs"
	}
	return u.Path
}

// errorCodes lists the extensions.code of a GraphQL answer's errors.
func errorCodes(body []byte) []string {
	var r struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		if c == "" {
			c = "(no code)"
		}
		out = append(out, c)
	}
	return out
}

// created counts the entries an ingest call stored; ok is false when the
// call failed.
func created(r *vegeta.Result) (int, bool) {
	if r.Code != http.StatusOK {
		return 0, false
	}
	var resp struct {
		Data struct {
			Record []struct {
				Created bool `json:"created"`
			} `json:"recordEventTypeChanges"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(r.Body, &resp) != nil || len(resp.Errors) > 0 || len(resp.Data.Record) != entriesPerIngest {
		return 0, false
	}
	n := 0
	for _, e := range resp.Data.Record {
		if e.Created {
			n++
		}
	}
	return n, true
}

func eventTypeTotal(base, key, id string) (int, error) {
	body, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 1) { totalCount } }`,
		"variables": map[string]any{"id": id}})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Data *struct {
			H struct {
				TotalCount int `json:"totalCount"`
			} `json:"eventTypeHistory"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil || out.Data == nil {
		return 0, fmt.Errorf("unexpected answer %d: %s", resp.StatusCode, raw)
	}
	return out.Data.H.TotalCount, nil
}

// figures are the server's goroutines and resident memory at one moment.
type figures struct {
	goroutines int
	rss        int64
	heap       int64 // Go heap in use
}

func (f *figures) goroutinesText() string {
	if f == nil {
		return "-"
	}
	return strconv.Itoa(f.goroutines)
}

func (f *figures) rssText() string {
	if f == nil {
		return "-"
	}
	return mib(f.rss)
}

func (f *figures) heapText() string {
	if f == nil {
		return "-"
	}
	return mib(f.heap)
}

func sample(base string, pid int) figures {
	var f figures
	if m, err := devproc.Metrics(base); err == nil {
		f.goroutines = int(m["go_goroutines"])
		f.heap = int64(m["go_memstats_heap_inuse_bytes"])
	}
	f.rss = int64(devproc.RSSBytes(pid))
	return f
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func latencies(m *vegeta.Metrics) string {
	l := m.Latencies
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return fmt.Sprintf("p50 %s  p90 %s  p95 %s  p99 %s  max %s", r(l.P50), r(l.P90), r(l.P95), r(l.P99), r(l.Max))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// demo is what the load needs of the seeded data.
type demo struct {
	keys                      map[string]string
	orgPublicID, userPublicID string // Acme and its member with the long histories
}

func migrateAndSeed(ctx context.Context, dbURL string) (*demo, error) {
	d, err := db.Open(dbURL, db.Options{})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	org, err := store.OrganizationByID(ctx, seed.AcmeID)
	if err != nil {
		return nil, err
	}
	user, err := store.UserByID(ctx, seed.MemberUserID)
	if err != nil {
		return nil, err
	}
	return &demo{keys: res.Keys, orgPublicID: org.PublicID, userPublicID: user.PublicID}, nil
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(database)"
}
