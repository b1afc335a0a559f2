package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
)

// report is everything the markdown report shows.
type report struct {
	cfg          config
	pg           *postgres
	dataset      *datasetInfo
	started      time.Time
	commit       string // when the server binary was built
	loadBefore   string
	loadAfter    string
	http         []*httpCase
	floors       []*floorCase
	results      map[string][]measurement // by case name, in concurrency order
	stmtsByLimit map[int]float64
	ingest       []ingestResult
	integrity    *integrityResult
	notes        []string
}

func run(ctx context.Context, c config) error {
	rep := &report{cfg: c, started: time.Now(), loadBefore: loadavg(), results: map[string][]measurement{}}
	pg, err := openPostgres(ctx, c.scale, hotEntries(c.scale, c.depth))
	if err != nil {
		return err
	}
	defer pg.close()
	rep.pg = pg

	d, err := db.Open(pg.url, db.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	store := db.NewStore(d)

	tmp, err := os.MkdirTemp("", "auditgraph-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rep.commit = gitCommit()
	bin, err := devproc.BuildAuditgraph(ctx, tmp)
	if err != nil {
		return err
	}
	hot := hotEntries(c.scale, c.depth)
	if rep.dataset, err = ensureDataset(ctx, d, bin, pg.url, tmp, c.scale, hot); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	logf("dataset: %v", rep.dataset.Counts)
	fx, err := prepareFixture(ctx, d, store, c.depth)
	if err != nil {
		return err
	}

	srv, verifierKey, err := startSigningServer(ctx, bin, tmp, pg.url)
	if err != nil {
		return err
	}
	defer srv.Stop()

	benchPostmaster = postmasterPID(ctx, d)
	rep.http = httpCases(srv.Base, fx)
	if c.postgraphile {
		defer rep.addPostGraphile(ctx, pg.url, tmp).Stop()
	}
	if err := rep.probeAndRecordFloors(ctx, pg.url); err != nil {
		return err
	}
	if rep.stmtsByLimit, err = statementsByPageSize(srv, fx); err != nil {
		return err
	}

	pool, err := newFloorPool(ctx, pg.url)
	if err != nil {
		return err
	}
	defer pool.Close()

	if err := measureCases(ctx, c, rep, srv, pool); err != nil {
		return err
	}

	if c.integrity {
		ir := measureIntegrity(ctx, bin, srv, d, pg.url, verifierKey, fx.apiKey)
		rep.integrity = &ir
	}
	if c.ingest > 0 {
		rep.ingest = measureIngest(ctx, bin, srv, store, pg.url, tmp, c.importEntries, c.ingest)
	}
	rep.loadAfter = loadavg()
	return writeReport(c, rep)
}

// startSigningServer starts the server, signing integrity checkpoints
// with a key of this run, and returns it with the key's verifier key.
func startSigningServer(ctx context.Context, bin, dir, databaseURL string) (*serverProc, string, error) {
	keyFile := filepath.Join(dir, "integrity.key")
	signer, _, err := integrity.LoadOrCreateKey(keyFile)
	if err != nil {
		return nil, "", err
	}
	srv, err := startServer(ctx, bin, dir, databaseURL, []string{"AUDITGRAPH_INTEGRITY_KEY_FILE=" + keyFile})
	if err != nil {
		return nil, "", err
	}
	logf("server pid %d at %s", srv.Pid(), srv.Base)
	return srv, signer.VerifierKey(), nil
}

// addPostGraphile starts PostGraphile on the bench database and adds its
// cases after the GraphQL deep page; when it cannot, the report says why.
// The server returned (nil if none) is to be stopped after the run.
func (rep *report) addPostGraphile(ctx context.Context, databaseURL, dir string) *foreignServer {
	pgl, err := startPostGraphile(ctx, databaseURL, dir)
	var cases []*httpCase
	if err == nil {
		logf("PostGraphile pid %d at %s", pgl.Pid(), pgl.base)
		cases, err = postgraphileCases(pgl, rep.cfg.depth)
	}
	if err != nil {
		logf("PostGraphile: %v", err)
		rep.notes = append(rep.notes, fmt.Sprintf("PostGraphile not measured: %.500s", err))
	}
	rep.http = insertAfter(rep.http, gqlETDeep, cases)
	return pgl
}

// probeAndRecordFloors checks every case's request once (noting the
// skipped ones) and records the floors of the cases.
func (rep *report) probeAndRecordFloors(ctx context.Context, databaseURL string) error {
	for _, hc := range rep.http {
		if err := probe(hc); err != nil {
			return err
		}
		if hc.skipped != "" {
			logf("skipping %s: %s", hc.name, hc.skipped)
			rep.notes = append(rep.notes, fmt.Sprintf("%s: skipped, %s.", hc.name, hc.skipped))
		}
	}
	floors, notes, err := recordFloors(ctx, databaseURL, rep.http)
	if err != nil {
		return fmt.Errorf("record the floors: %w", err)
	}
	rep.floors = floors
	rep.notes = append(rep.notes, notes...)
	for _, fc := range rep.floors {
		logf("%-58s %d statements in %d stages", fc.name, len(fc.seq.statements), len(fc.seq.stages()))
	}
	return nil
}

// measureCases measures every case at every concurrency, each right after
// its floor, and records the figures in rep.
func measureCases(ctx context.Context, c config, rep *report, srv *serverProc, pool *pgxpool.Pool) error {
	// Each case runs right after its floor at the same concurrency, so that
	// the two figures a ratio compares are taken close together: the load
	// other work puts on the machine drifts over a run.
	floorByName := map[string]*floorCase{}
	for _, fc := range rep.floors {
		floorByName[fc.name] = fc
	}
	floorDone := map[string]int{} // concurrencies run, by floor
	runFloorAt := func(fc *floorCase, i int) error {
		if fc == nil {
			return nil
		}
		if floorDone[fc.name] > i {
			// A floor shared with a case already run: run it again, not
			// recorded, so that this case too starts after its floor and
			// not straight after the previous case's heaviest load (which
			// was seen to leave the next window of the server dearer).
			_, err := runFloor(ctx, pool, fc, c.concurrency[i], c.duration)
			return err
		}
		if i == 0 && c.warmup > 0 {
			if _, err := runFloor(ctx, pool, fc, 4, c.warmup); err != nil {
				return err
			}
		}
		n := c.concurrency[i]
		m, err := runFloor(ctx, pool, fc, n, c.duration)
		if err != nil {
			return err
		}
		logf("%-58s c=%-3d %8.1f req/s  p50 %-9s p99 %-9s errors %d", fc.name, n, m.Rate, m.P50.Round(time.Microsecond), m.P99.Round(time.Microsecond), m.Errors)
		rep.results[fc.name] = append(rep.results[fc.name], m)
		floorDone[fc.name] = i + 1
		return nil
	}
	for _, hc := range rep.http {
		if hc.skipped != "" {
			continue
		}
		for i, n := range c.concurrency {
			if err := runFloorAt(floorByName[hc.floor], i); err != nil {
				return err
			}
			if hc.name == gqlETFirst {
				if err := runFloorAt(floorByName[pageAloneName], i); err != nil {
					return err
				}
			}
			if i == 0 && c.warmup > 0 {
				if _, err := runHTTP(ctx, srv, hc, 4, c.warmup); err != nil {
					return err
				}
			}
			m, err := runHTTP(ctx, srv, hc, n, c.duration)
			if err != nil {
				return err
			}
			logf("%-58s c=%-3d %8.1f req/s  p50 %-9s p99 %-9s errors %d  %.1f stmts/req  %.0f MB",
				hc.name, n, m.Rate, m.P50.Round(time.Microsecond), m.P99.Round(time.Microsecond), m.Errors, m.StmtsPerReq, m.RSSMaxBytes/1e6)
			if m.FirstError != "" {
				logf("  first error: %.300s", m.FirstError)
			}
			rep.results[hc.name] = append(rep.results[hc.name], m)
		}
	}
	// Floors no case ran beside (none, unless a case was skipped).
	for _, fc := range rep.floors {
		for i := floorDone[fc.name]; i < len(c.concurrency); i++ {
			if err := runFloorAt(fc, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeReport prints the report and writes it under c.out (unless empty).
func writeReport(c config, rep *report) error {
	md := rep.markdown()
	fmt.Println(md)
	if c.out != "" {
		if err := os.MkdirAll(c.out, 0o755); err != nil {
			return err
		}
		label := c.label
		if label == "" {
			label = strconv.Itoa(c.scale)
		}
		path := fmt.Sprintf("%s/%s-%s.md", strings.TrimRight(c.out, "/"), rep.started.Format("2006-01-02"), label)
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			return err
		}
		logf("wrote %s", path)
	}
	return nil
}

// insertAfter inserts more after the case named name (at the end if none is).
func insertAfter(cases []*httpCase, name string, more []*httpCase) []*httpCase {
	for i, hc := range cases {
		if hc.name == name {
			return append(cases[:i+1], append(more, cases[i+1:]...)...)
		}
	}
	return append(cases, more...)
}

// statementsByPageSize sends the event type history first page at several
// page sizes and returns the server's SQL statements per request for each.
func statementsByPageSize(srv *serverProc, fx *fixture) (map[int]float64, error) {
	out := map[int]float64{}
	for _, limit := range []int{1, 10, 25, 50} {
		hc := &httpCase{name: fmt.Sprintf("page size %d", limit), graphql: true,
			target: gqlTarget(srv.Base, fx.apiKey, eventTypeHistoryQuery, map[string]any{"id": strconv.FormatInt(hotEventTypeID, 10), "first": limit})}
		const n = 5
		before, err := srv.metrics()
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			if err := probe(hc); err != nil {
				return nil, err
			}
		}
		after, err := srv.metrics()
		if err != nil {
			return nil, err
		}
		out[limit] = (after.Statements - before.Statements) / (after.Requests - before.Requests)
	}
	return out, nil
}

// ingestResult is the write rate of one path.
type ingestResult struct {
	Path    string
	Entries int
	Seconds float64
	// Reported is the rate the command reports itself, if it does.
	Reported float64
	Note     string
}

func (r ingestResult) rate() float64 {
	if r.Seconds == 0 {
		return 0
	}
	return float64(r.Entries) / r.Seconds
}

// measureIngest measures the write paths that exist in this build: the
// import command, the record mutation (batches of 100) and the store's
// append in batches of 100, the path the mutation goes through. Entries go
// to a cold event type of the hot organization (seed.SalesEventTypeID).
func measureIngest(ctx context.Context, bin string, srv *serverProc, store *db.Store, databaseURL, dir string, importEntries int, d time.Duration) []ingestResult {
	var out []ingestResult
	payload := ingestPayload(ctx, store)
	if exec.CommandContext(ctx, bin, "import", "-h").Run() != nil {
		out = append(out, ingestResult{Path: "auditgraph import", Note: "not measured: this build has no import command"})
	} else {
		out = append(out, importRun(ctx, bin, databaseURL, dir, payload, importEntries))
	}
	if !strings.Contains(fetch(srv.Base+"/schema.graphql"), "recordEventTypeChanges") {
		out = append(out, ingestResult{Path: "GraphQL recordEventTypeChanges (batches of 100)", Note: "not measured: this build has no record mutation"})
	} else {
		out = append(out, mutationRun(ctx, srv, store, payload, d))
	}
	out = append(out, storeAppend(ctx, store, payload, d))
	return out
}

const ingestEventTypeID = 5 // seed.SalesEventTypeID: an Acme team's event type, not the hot one

// ingestPayload is a stored "modified" payload of the hot event type: the
// demo's, so it renders.
func ingestPayload(ctx context.Context, store *db.Store) json.RawMessage {
	var p string
	if err := store.DB().NewSelect().TableExpr("event_type_history").ColumnExpr("payload").
		Where("event_type_id = ?", hotEventTypeID).Where("action = ?", model.EventTypeModified).
		Limit(1).Scan(ctx, &p); err == nil && json.Valid([]byte(p)) {
		return json.RawMessage(p)
	}
	return json.RawMessage(`{"version":1,"changedFields":["length"],"changes":[{"field":"length","label":"Duration","type":"value","previousValue":30,"newValue":45}]}`)
}

// importRun writes n event type changes as NDJSON and times `auditgraph
// import` on them (process start and validation included).
func importRun(ctx context.Context, bin, databaseURL, dir string, payload json.RawMessage, n int) ingestResult {
	r := ingestResult{Path: "auditgraph import (NDJSON, event type changes)"}
	path := dir + "/import.ndjson"
	f, err := os.Create(path)
	if err != nil {
		r.Note = err.Error()
		return r
	}
	run := time.Now().UnixNano()
	w := bufio.NewWriterSize(f, 1<<20)
	ts := time.Now().UTC().Add(-time.Hour)
	enc := json.NewEncoder(w)
	for i := 0; i < n; i++ {
		enc.Encode(map[string]any{
			"kind": "eventTypeChange", "organizationId": strconv.FormatInt(hotOrgID, 10),
			"idempotencyKey": fmt.Sprintf("bench-import-%d-%d", run, i),
			"timestamp":      ts.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
			"eventTypeId":    strconv.Itoa(ingestEventTypeID), "action": model.EventTypeModified, "source": "API_V2",
			"actor":   map[string]any{"type": model.ActorUser, "ref": "1", "name": "Alice Owner", "email": "alice@acme.example"},
			"payload": payload,
		})
	}
	if err := w.Flush(); err != nil {
		r.Note = err.Error()
		return r
	}
	f.Close()
	out, err := runImport(ctx, bin, databaseURL, path, nil)
	r.Seconds = out.Seconds
	if err != nil {
		r.Note = fmt.Sprintf("failed: %.300s", err)
		return r
	}
	r.Entries, r.Reported = int(out.Imported), out.Rate
	r.Note = fmt.Sprintf("wall time of the command, process start included; it reports %s", out.Summary)
	if r.Entries != n {
		r.Note += fmt.Sprintf("; %d of %d lines imported: %.300s", r.Entries, n, out.Output)
	}
	return r
}

// mutationRun sends recordEventTypeChanges with 100 entries per call (no
// idempotency keys: every call stores 100 new entries) from 4 workers for d.
func mutationRun(ctx context.Context, srv *serverProc, store *db.Store, payload json.RawMessage, d time.Duration) ingestResult {
	r := ingestResult{Path: "GraphQL recordEventTypeChanges (batches of 100, 4 concurrent callers)"}
	secret := model.NewKeySecret()
	org := hotOrgID
	now := time.Now().UTC()
	if err := store.CreateAPIKey(ctx, &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "bench writer",
		UserID: readerUserID, OrganizationID: &org, Scopes: []string{model.ScopeWrite}, CreatedAt: now, LastUsedAt: &now}); err != nil {
		r.Note = err.Error()
		return r
	}
	entries := make([]map[string]any, 100)
	for i := range entries {
		entries[i] = map[string]any{"eventTypeId": strconv.Itoa(ingestEventTypeID), "action": model.EventTypeModified, "source": "API_V2",
			"actor":   map[string]any{"type": model.ActorUser, "ref": "1", "name": "Alice Owner", "email": "alice@acme.example"},
			"payload": payload}
	}
	const mutation = `mutation Record($org: ID!, $entries: [EventTypeChangeEntryInput!]!) {
  recordEventTypeChanges(organizationId: $org, entries: $entries) { id created }
}`
	hc := &httpCase{name: "recordEventTypeChanges", graphql: true,
		target: gqlTarget(srv.Base, secret, mutation, map[string]any{"org": strconv.FormatInt(hotOrgID, 10), "entries": entries})}
	if err := probe(hc); err != nil {
		r.Note = "failed: " + err.Error()
		return r
	}
	m, err := runHTTP(ctx, srv, hc, 4, d)
	if err != nil {
		r.Note = "failed: " + err.Error()
		return r
	}
	ok := m.Requests - m.Errors
	r.Entries = int(ok) * 100
	r.Seconds = float64(ok) / m.Rate
	r.Note = fmt.Sprintf("p50 %s, p99 %s per call; %.1f SQL statements per call; server CPU %.2f s per 1,000 calls; errors %d",
		ms(m.P50), ms(m.P99), m.StmtsPerReq, m.CPUPer1000, m.Errors)
	if m.FirstError != "" {
		r.Note += "; first error: " + m.FirstError
	}
	return r
}

func fetch(u string) string {
	resp, err := http.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// storeAppend appends event type entries in batches of 100 for d through
// db.Store.AppendEventTypeHistory, one connection, no HTTP.
func storeAppend(ctx context.Context, store *db.Store, payload json.RawMessage, d time.Duration) ingestResult {
	r := ingestResult{Path: "db.Store.AppendEventTypeHistory (batches of 100, one caller)"}
	name, email := "Alice Owner", "alice@acme.example"
	begin := time.Now()
	for time.Since(begin) < d && ctx.Err() == nil {
		batch := make([]model.EventTypeEntry, 100)
		now := time.Now().UTC()
		for i := range batch {
			id, _ := uuid.NewV7()
			key := "bench:" + id.String()
			batch[i] = model.EventTypeEntry{ID: id.String(), EventTypeID: ingestEventTypeID, Action: model.EventTypeModified,
				Type: "RECORD_MODIFIED", Timestamp: now, Source: "API_V2",
				Actor:   model.ActorSnapshot{Type: model.ActorUser, Ref: ptr("1"), Name: &name, Email: &email},
				Payload: string(payload), IdempotencyKey: &key}
		}
		if _, err := store.AppendEventTypeHistory(ctx, batch); err != nil {
			r.Note = "failed: " + err.Error()
			break
		}
		r.Entries += len(batch)
	}
	r.Seconds = time.Since(begin).Seconds()
	return r
}

func ptr[T any](v T) *T { return &v }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
