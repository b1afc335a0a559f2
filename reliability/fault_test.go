package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
)

// outcome is one request made by the traffic during the fault test.
type outcome struct {
	kind     string // "graphql", "rest" or "readyz"
	started  time.Time
	took     time.Duration
	status   int
	codes    []string
	err      error
	hasData  bool
	bodyHint string
}

func (o outcome) ok() bool {
	return o.err == nil && o.status == http.StatusOK && len(o.codes) == 0 && (o.kind != "graphql" || o.hasData)
}

// TestDatabaseFault stops PostgreSQL under steady traffic and starts it again:
// while it is down every request fails fast with SERVICE_UNAVAILABLE (and
// /readyz with 503), the handler keeps answering, and once it is back the
// traffic recovers without restarting anything. A batch appended while the
// database goes away is stored whole or not at all.
func TestDatabaseFault(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts PostgreSQL")
	}
	if !pgtest.Restartable() {
		t.Skip("the PostgreSQL server is not one this process started (TEST_DATABASE_URL); it cannot be stopped")
	}
	const deadline = 2 * time.Second
	cfg := testConfig()
	cfg.RequestTimeout = deadline
	e := postgresEnv(t, cfg, db.Options{MaxOpenConns: 8, StatementTimeout: time.Second}, nil)
	// Whatever happens, leave the server running for the other tests.
	t.Cleanup(pgtest.StartServer)

	// Every request is bounded: deadline + 2s is "hung".
	client := &http.Client{Timeout: deadline + 2*time.Second}
	var (
		mu       sync.Mutex
		outcomes []outcome
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	graphqlOnce := func() outcome {
		o := outcome{kind: "graphql", started: time.Now()}
		r, err := post(context.Background(), client, e.url, e.keys["owner"], eventTypeHistoryQuery,
			map[string]any{"id": teamEventType, "first": 5})
		o.took = time.Since(o.started)
		if err != nil {
			o.err = err
			return o
		}
		o.status, o.codes = r.Status, r.codes()
		o.hasData = strings.Contains(string(r.Data), `"edges"`)
		o.bodyHint = string(r.Raw[:min(300, len(r.Raw))])
		return o
	}
	readyzOnce := func() outcome {
		o := outcome{kind: "readyz", started: time.Now()}
		resp, err := client.Get(e.url + "/readyz")
		o.took = time.Since(o.started)
		if err != nil {
			o.err = err
			return o
		}
		resp.Body.Close()
		o.status = resp.StatusCode
		return o
	}
	restOnce := func() outcome {
		o := outcome{kind: "rest", started: time.Now()}
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/event-types/"+teamEventType+"/history?limit=5", nil)
		req.Header.Set("Authorization", "Bearer "+e.keys["owner"])
		req.Header.Set("cal-api-version", "2024-06-14")
		resp, err := client.Do(req)
		o.took = time.Since(o.started)
		if err != nil {
			o.err = err
			return o
		}
		body := readAll(t, resp)
		resp.Body.Close()
		o.status, o.bodyHint = resp.StatusCode, body[:min(300, len(body))]
		return o
	}
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch i {
				case 0:
					record(readyzOnce())
				case 1:
					record(restOnce())
				default:
					record(graphqlOnce())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}(i)
	}
	between := func(from, to time.Time) []outcome {
		mu.Lock()
		defer mu.Unlock()
		var out []outcome
		for _, o := range outcomes {
			if !o.started.Before(from) && o.started.Before(to) {
				out = append(out, o)
			}
		}
		return out
	}

	// Healthy traffic first.
	t0 := time.Now()
	time.Sleep(time.Second)
	before := between(t0, time.Now())
	if len(before) == 0 {
		t.Fatal("no traffic before the fault")
	}
	for _, o := range before {
		if !o.ok() {
			t.Fatalf("before the fault: %s failed: status %d codes %v err %v body %s", o.kind, o.status, o.codes, o.err, o.bodyHint)
		}
	}

	// Batches of appends run while the database goes away; each is recorded
	// as reported stored or failed.
	const batchSize = 50
	var (
		batches  atomic.Int64
		storedMu sync.Mutex
		reported = map[int]bool{}
		// mutationCodes are the error codes the mutation answered.
		mutationCodes []string
	)
	stopWrites := make(chan struct{})
	var writes sync.WaitGroup
	writes.Add(1)
	go func() {
		defer writes.Done()
		for b := 0; ; b++ {
			select {
			case <-stopWrites:
				return
			default:
			}
			if b%2 == 1 {
				// Every other batch goes through the GraphQL mutation.
				ok, codes := recordThroughGraphQL(e, client, b, batchSize)
				storedMu.Lock()
				reported[b] = ok
				mutationCodes = append(mutationCodes, codes...)
				storedMu.Unlock()
				batches.Add(1)
				if !ok {
					time.Sleep(50 * time.Millisecond)
				}
				continue
			}
			entries := make([]model.EventTypeEntry, batchSize)
			ts := time.Now().UTC()
			for i := range entries {
				k := fmt.Sprintf("fault:%d:%d", b, i)
				entries[i] = model.EventTypeEntry{
					ID: uuid.Must(uuid.NewV7()).String(), EventTypeID: seed.TeamEventTypeID,
					Action: model.EventTypeModified, Type: "UPDATE", Timestamp: ts.Add(time.Duration(i) * time.Microsecond),
					Source: "API_V2", Actor: model.ActorSnapshot{Type: model.ActorSystem},
					Payload:        `{"version":1,"changedFields":["title"],"changes":[{"field":"title","type":"value","before":"a","after":"b"}]}`,
					IdempotencyKey: &k,
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := e.store.AppendEventTypeHistory(ctx, entries)
			cancel()
			storedMu.Lock()
			reported[b] = err == nil
			storedMu.Unlock()
			batches.Add(1)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
	time.Sleep(150 * time.Millisecond)

	pgtest.StopServer()
	stopped := time.Now()
	t.Log("PostgreSQL stopped")
	// Requests in flight at the moment of the stop may fail any way; judge
	// those started once the server is gone.
	time.Sleep(deadline + 500*time.Millisecond)
	downFrom := time.Now()
	time.Sleep(2 * time.Second)
	down := between(downFrom, time.Now())
	close(stopWrites)
	writes.Wait()

	var gqlDown, readyDown, restDown int
	for _, o := range down {
		if o.err != nil {
			t.Errorf("while down: %s did not answer within %s: %v", o.kind, client.Timeout, o.err)
			continue
		}
		if o.took > deadline+time.Second {
			t.Errorf("while down: %s took %s, more than the %s deadline", o.kind, o.took, deadline)
		}
		switch o.kind {
		case "rest":
			restDown++
			if o.status != http.StatusServiceUnavailable {
				t.Errorf("while down: REST answered %d, want 503: %s", o.status, o.bodyHint)
			}
		case "readyz":
			readyDown++
			if o.status != http.StatusServiceUnavailable {
				t.Errorf("while down: /readyz answered %d, want 503", o.status)
			}
		case "graphql":
			gqlDown++
			if o.status != http.StatusOK || len(o.codes) == 0 || slices.ContainsFunc(o.codes, func(c string) bool { return c != model.CodeUnavailable }) {
				t.Errorf("while down: GraphQL answered %d with codes %v, want only %s: %s", o.status, o.codes, model.CodeUnavailable, o.bodyHint)
			}
		}
	}
	if gqlDown == 0 || readyDown == 0 || restDown == 0 {
		t.Fatalf("no traffic while the database was down (graphql %d, rest %d, readyz %d)", gqlDown, restDown, readyDown)
	}
	for _, o := range between(stopped, downFrom) {
		if o.err != nil {
			t.Errorf("at the stop: %s did not answer within %s: %v", o.kind, client.Timeout, o.err)
		}
		if o.status >= 500 && o.status != http.StatusServiceUnavailable {
			t.Errorf("at the stop: %s answered %d", o.kind, o.status)
		}
	}

	pgtest.StartServer()
	restarted := time.Now()
	t.Logf("PostgreSQL started again after %s down; %d requests while down", restarted.Sub(stopped).Round(time.Millisecond), len(down))
	var recovered time.Time
	for poll := time.Now(); time.Since(poll) < 15*time.Second; time.Sleep(100 * time.Millisecond) {
		recent := between(time.Now().Add(-500*time.Millisecond), time.Now())
		n := 0
		for _, o := range recent {
			if o.ok() {
				n++
			}
		}
		if n > 0 && n == len(recent) {
			recovered = time.Now()
			break
		}
	}
	if recovered.IsZero() {
		close(stop)
		wg.Wait()
		t.Fatalf("traffic did not recover within 15s of the restart")
	}
	t.Logf("traffic recovered %s after the restart", recovered.Sub(restarted).Round(time.Millisecond))
	// From then on every request succeeds.
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	for _, o := range between(recovered, time.Now()) {
		if !o.ok() {
			t.Errorf("after recovery: %s failed: status %d codes %v err %v body %s", o.kind, o.status, o.codes, o.err, o.bodyHint)
		}
	}
	mu.Lock()
	for _, o := range outcomes {
		if o.err != nil {
			t.Errorf("%s started at +%s did not answer: %v", o.kind, o.started.Sub(t0).Round(time.Millisecond), o.err)
		}
	}
	mu.Unlock()

	// Every batch is all or nothing; a batch reported stored is all there.
	ctx := context.Background()
	var rows []struct {
		Key string `bun:"idempotency_key"`
	}
	if err := e.store.DB().NewSelect().TableExpr("event_type_history").Column("idempotency_key").
		Where("idempotency_key LIKE ?", "%fault:%").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	perBatch := map[int]int{}
	for _, r := range rows {
		var b, i int
		// The mutation stores keys in their organization's namespace ("1:fault:…").
		k := r.Key[strings.Index(r.Key, "fault:"):]
		if _, err := fmt.Sscanf(k, "fault:%d:%d", &b, &i); err != nil {
			t.Fatalf("unexpected key %q", r.Key)
		}
		perBatch[b]++
	}
	storedMu.Lock()
	defer storedMu.Unlock()
	var ok, failed int
	for b, stored := range reported {
		n := perBatch[b]
		if n != 0 && n != batchSize {
			t.Errorf("batch %d is partly stored: %d of %d entries", b, n, batchSize)
		}
		if stored {
			ok++
			if n != batchSize {
				t.Errorf("batch %d was reported stored but %d of %d entries are", b, n, batchSize)
			}
		} else {
			failed++
		}
	}
	for _, c := range mutationCodes {
		if c != model.CodeUnavailable && c != "status 200" {
			t.Errorf("the mutation interrupted by the fault answered %s, want %s", c, model.CodeUnavailable)
		}
	}
	t.Logf("append batches (store and GraphQL mutation alternately): %d stored, %d failed (all or nothing each)", ok, failed)
	if failed == 0 {
		t.Errorf("no append batch was interrupted by the fault (%d batches)", batches.Load())
	}
}

// recordThroughGraphQL records batch b of n event type changes with the demo
// writer's key; it reports whether the server said all were stored.
func recordThroughGraphQL(e *env, client *http.Client, b, n int) (bool, []string) {
	entries := make([]map[string]any, n)
	for i := range entries {
		entries[i] = map[string]any{
			"idempotencyKey": fmt.Sprintf("fault:%d:%d", b, i),
			"eventTypeId":    teamEventType,
			"action":         model.EventTypeModified,
			"source":         "API_V2",
			"actor":          map[string]any{"type": model.ActorSystem},
			"before":         map[string]any{"title": "a"},
			"after":          map[string]any{"title": fmt.Sprint("b", b, i)},
		}
	}
	r, err := post(context.Background(), client, e.url, e.keys["writer"],
		`mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) { recordEventTypeChanges(organizationId: $org, entries: $entries) { id created } }`,
		map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "entries": entries})
	if err != nil {
		return false, []string{"no answer: " + err.Error()}
	}
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		return false, append(r.codes(), "status "+strconv.Itoa(r.Status))
	}
	var data struct {
		Recorded []struct{ Created bool } `json:"recordEventTypeChanges"`
	}
	if json.Unmarshal(r.Data, &data) != nil || len(data.Recorded) != n {
		return false, []string{"unexpected answer: " + string(r.Raw)}
	}
	return true, nil
}
