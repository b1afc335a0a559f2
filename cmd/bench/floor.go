package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/server"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
)

// The floor of a case is the SQL the server issues for one request of it,
// run through pgx with the same concurrency and no HTTP, no GraphQL: what
// the database alone costs. The statements are recorded from the server
// itself, built in process over the bench database with a recording query
// hook, answering the case's very request.

// recorder keeps the statements run while it is on, with when each ran.
type recorder struct {
	mu      sync.Mutex
	on      bool
	queries []recorded
}

type recorded struct {
	query      string
	start, end time.Time
}

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *recorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	end := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.queries = append(r.queries, recorded{query: ev.Query, start: ev.StartTime, end: end})
	}
}

func (r *recorder) record(fn func() error) (*sequence, error) {
	r.mu.Lock()
	r.on, r.queries = true, nil
	r.mu.Unlock()
	err := fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return newSequence(r.queries), err
}

// sequence is the statements of one request in the order the server
// started them. Statements that ran at the same time in the server (GraphQL
// resolves some fields concurrently: a connection's totalCount beside its
// edges, for one) form a stage: withPrev[i] says statement i is in the
// stage of statement i-1. Within a stage the statements are sorted by text,
// so that two recordings of one request compare equal whichever started
// first.
type sequence struct {
	statements []string
	withPrev   []bool
}

func newSequence(rs []recorded) *sequence {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b recorded) int { return a.start.Compare(b.start) })
	seq := &sequence{}
	var stage []string
	flush := func() {
		slices.Sort(stage)
		for i, q := range stage {
			seq.statements = append(seq.statements, q)
			seq.withPrev = append(seq.withPrev, i > 0)
		}
		stage = stage[:0]
	}
	var stageEnd time.Time
	for _, r := range rs {
		if len(stage) > 0 && !r.start.Before(stageEnd) {
			flush()
		}
		if len(stage) == 0 || r.end.After(stageEnd) {
			stageEnd = r.end
		}
		stage = append(stage, r.query)
	}
	flush()
	return seq
}

func (s *sequence) key() string {
	var b strings.Builder
	for i, q := range s.statements {
		if s.withPrev[i] {
			b.WriteString("\x01")
		} else {
			b.WriteString("\x00")
		}
		b.WriteString(q)
	}
	return b.String()
}

// stages returns the statements grouped in stages.
func (s *sequence) stages() [][]string {
	var out [][]string
	for i, q := range s.statements {
		if i == 0 || !s.withPrev[i] {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], q)
	}
	return out
}

func (s *sequence) concurrent() bool { return slices.Contains(s.withPrev, true) }

// pageAloneName is the floor of the event type history page statement
// alone, beside the full floor of its first page.
const pageAloneName = "floor: event type history first page, page statement alone"

// recordFloors builds the server in process (the defaults, no rate limit)
// on its own connection pool with the recorder, sends each case's request
// (method, path and query, headers, body) through its handler, and records
// the statements of a request in steady state: the first request warms up
// (the API key's last-used time is written at most once a minute, caches
// fill), then requests are recorded until two in a row issue the same
// statements. Cases recording the same statements share one floor. It sets
// each case's floor and returns the floors, the event type page statement
// alone last.
func recordFloors(ctx context.Context, databaseURL string, cases []*httpCase) ([]*floorCase, []string, error) {
	d, err := db.Open(databaseURL, db.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	rec := &recorder{}
	cfg := server.Defaults()
	cfg.RateLimit = 0
	d.AddQueryHook(rec)
	srv, err := wire.Server(cfg, db.NewStore(d), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	h := srv.Handler()
	var (
		floors []*floorCase
		notes  []string
		byKey  = map[string]*floorCase{}
		byCase = map[string]*floorCase{}
	)
	for _, hc := range cases {
		if hc.skipped != "" || hc.foreign != nil {
			continue
		}
		seq, note, err := recordCase(ctx, h, rec, hc)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", hc.name, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
		key := seq.key()
		fc := byKey[key]
		if fc == nil {
			fc = &floorCase{name: "floor: " + hc.name, deep: hc.deep, seq: seq}
			byKey[key] = fc
			floors = append(floors, fc)
		}
		fc.of = append(fc.of, hc.name)
		hc.floor = fc.name
		byCase[hc.name] = fc
	}
	linkDeepFloors(cases, byCase)
	if fc := pageAloneFloor(cases, byCase); fc != nil {
		floors = append(floors, fc)
	}
	return floors, notes, nil
}

// sendInProcess serves the case's request with h, an error unless it
// succeeds.
func sendInProcess(ctx context.Context, h http.Handler, hc *httpCase) error {
	req := httptest.NewRequestWithContext(ctx, hc.target.Method, pathOf(hc.target.URL), bytes.NewReader(hc.target.Body))
	for k, v := range hc.target.Header {
		req.Header[k] = slices.Clone(v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	switch {
	case w.Code != http.StatusOK:
		return fmt.Errorf("in-process server: HTTP %d: %.300s", w.Code, w.Body.String())
	case hc.graphql && bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)):
		return fmt.Errorf("in-process server: %.500s", w.Body.String())
	}
	return nil
}

// recordCase records the statements the server issues for the case's
// request in steady state: after a warm-up request, until two requests in
// a row issue the same (at most 5 tries; the note says when they never
// did).
func recordCase(ctx context.Context, h http.Handler, rec *recorder, hc *httpCase) (*sequence, string, error) {
	if err := sendInProcess(ctx, h, hc); err != nil {
		return nil, "", err
	}
	var prev, seq *sequence
	stable := false
	for i := 0; i < 5 && !stable; i++ {
		var err error
		if seq, err = rec.record(func() error { return sendInProcess(ctx, h, hc) }); err != nil {
			return nil, "", err
		}
		stable = prev != nil && prev.key() == seq.key()
		prev = seq
	}
	if len(seq.statements) == 0 {
		return nil, "", errors.New("the in-process server issued no SQL statement")
	}
	if !stable {
		return seq, fmt.Sprintf("%s: the server's statements differed from one request to the next in 5 tries; the floor replays the last request's.", hc.name), nil
	}
	return seq, "", nil
}

// linkDeepFloors makes deep ÷ first of a floor compare it with the floor
// of its group's first page.
func linkDeepFloors(cases []*httpCase, byCase map[string]*floorCase) {
	for _, hc := range cases {
		if hc.deep && hc.skipped == "" && hc.foreign == nil {
			for _, first := range cases {
				if first.group == hc.group && !first.deep && first.skipped == "" && byCase[hc.name].first == "" {
					byCase[hc.name].first = byCase[first.name].name
				}
			}
		}
	}
}

// pageAloneFloor is the page statement alone: the statements of the
// GraphQL first page that read event_type_history (nil without them).
func pageAloneFloor(cases []*httpCase, byCase map[string]*floorCase) *floorCase {
	var out *floorCase
	for _, hc := range cases {
		if hc.name != gqlETFirst || byCase[hc.name] == nil {
			continue
		}
		var page []string
		for _, q := range byCase[hc.name].seq.statements {
			if strings.Contains(q, "event_type_history") {
				page = append(page, q)
			}
		}
		if len(page) > 0 {
			out = &floorCase{name: pageAloneName, seq: &sequence{statements: page, withPrev: make([]bool, len(page))}, pageOnly: true}
		}
	}
	return out
}

// newFloorPool opens the pgx pool of the floor: as many connections as
// the server's pool allows (its default, 20), no more, and the server's
// protocol: bun interpolates the arguments into the SQL text, and the
// server's driver sends that text with the simple protocol (see db.Open).
func newFloorPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 20
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgxpool.NewWithConfig(ctx, cfg)
}

// floorRequest runs the statements in order, each on a connection of the
// pool as the server's database/sql pool does, and the statements of a
// stage at the same time, each on its own connection, as the server ran
// them; a sequence holding a transaction runs in order on one connection.
func floorRequest(ctx context.Context, pool *pgxpool.Pool, seq *sequence) error {
	if inTx(seq.statements) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		for _, q := range seq.statements {
			if err := floorQuery(ctx, conn, q); err != nil {
				return err
			}
		}
		return nil
	}
	for _, stage := range seq.stages() {
		if len(stage) == 1 {
			if err := floorQuery(ctx, pool, stage[0]); err != nil {
				return err
			}
			continue
		}
		errs := make([]error, len(stage))
		var wg sync.WaitGroup
		for i, q := range stage {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = floorQuery(ctx, pool, q)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}

// floorQuery runs q and reads every row, decoding the values.
func floorQuery(ctx context.Context, db querier, q string) error {
	rows, err := db.Query(ctx, q)
	if err != nil {
		return err
	}
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

func inTx(statements []string) bool {
	for _, s := range statements {
		s = strings.ToUpper(strings.TrimSpace(s))
		if strings.HasPrefix(s, "BEGIN") || strings.HasPrefix(s, "START TRANSACTION") {
			return true
		}
	}
	return false
}
