package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// read is one store call whose SQL is explained.
type read struct {
	title string
	table string // the history it reads
	// count reads are not page reads: they visit every matching entry by
	// nature and need no order, so only a sequential scan fails them.
	count bool
	call  func(ctx context.Context) error
}

// pageReads lists the reads: for each history the first page, a page deep in
// it read forward and backward, and filtered change log pages; for the change
// logs also the skip/take (offset) pages of the /v1 contract and the counts.
func pageReads(ctx context.Context, d *db.DB, store *db.Store, depth int, only map[string]bool) ([]read, error) {
	member, err := store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	deepIDs, err := deepEntries(ctx, d, member.PublicID, depth, only)
	if err != nil {
		return nil, err
	}
	et := model.EventTypeHistoryFilter{EventTypeID: eventTypeID}
	aa := model.AttributeHistoryFilter{OrganizationID: orgID, UserID: userID}
	cl := model.MemberChangeLogFilter{OrganizationID: orgID, UserID: userID, UserPublicID: member.PublicID}
	from := time.Now().UTC().Add(-span * 3 / 4)
	to := from.Add(90 * 24 * time.Hour)
	clFiltered := cl
	clFiltered.TimeRange = model.TimeRange{From: &from, To: &to}
	clFiltered.Action = "updated"
	etFiltered := et
	etFiltered.TimeRange = clFiltered.TimeRange
	etFiltered.Actions = []string{model.EventTypeModified}

	etPage := func(f model.EventTypeHistoryFilter) pageFunc {
		return func(ctx context.Context, a model.PageArgs) error { return ignore(store.EventTypeHistory(ctx, f, a)) }
	}
	aaPage := func(ctx context.Context, a model.PageArgs) error { return ignore(store.AttributeHistory(ctx, aa, a)) }
	clPage := func(f model.MemberChangeLogFilter) pageFunc {
		return func(ctx context.Context, a model.PageArgs) error { return ignore(store.MemberChangeLogs(ctx, f, a)) }
	}
	const tET, tAA, tCL = "event_type_history", "attribute_assignment_history", "member_change_logs"
	var reads []read
	reads = append(reads, keysetReads("event type history", tET, depth, deepIDs[tET], etPage(et))...)
	reads = append(reads, pageRead("event type history: date range + action, first page", tET, etPage(etFiltered), first))
	reads = append(reads, keysetReads("attribute history", tAA, depth, deepIDs[tAA], aaPage)...)
	reads = append(reads, keysetReads("member change logs", tCL, depth, deepIDs[tCL], clPage(cl))...)
	reads = append(reads,
		pageRead("member change logs: date range + action, first page", tCL, clPage(clFiltered), first),
		// The /v1 skip/take contract: the page after skipping depth entries.
		pageRead("member change logs: skip "+fmt.Sprint(depth)+" (offset page)", tCL, clPage(cl), model.PageArgs{Limit: limit, Offset: depth}),
		pageRead("member change logs: date range + action, skip "+fmt.Sprint(depth/10)+" (offset page)", tCL, clPage(clFiltered),
			model.PageArgs{Limit: limit, Offset: depth / 10}),
		read{title: "member change logs: count", table: tCL, count: true, call: func(ctx context.Context) error {
			return ignore(store.CountMemberChangeLogs(ctx, cl))
		}},
		read{title: "member change logs: count, date range + action", table: tCL, count: true, call: func(ctx context.Context) error {
			return ignore(store.CountMemberChangeLogs(ctx, clFiltered))
		}},
	)
	return slices.DeleteFunc(reads, func(r read) bool { return !only[r.table] }), nil
}

// limit is the page size of every page read.
const limit = model.DefaultPageSize

// first is the arguments of a first page.
var first = model.PageArgs{Limit: limit}

// pageFunc reads one page of a history with the given arguments.
type pageFunc func(ctx context.Context, args model.PageArgs) error

func ignore(_ any, err error) error { return err }

// pageRead is the read of one page of table.
func pageRead(title, table string, page pageFunc, args model.PageArgs) read {
	return read{title: title, table: table, call: func(ctx context.Context) error { return page(ctx, args) }}
}

// keysetReads are the first page of a history and the page after the
// entry deepID (depth deep), read forward and backward.
func keysetReads(history, table string, depth int, deepID string, page pageFunc) []read {
	dp := fmt.Sprintf("%d deep", depth)
	return []read{
		pageRead(history+": first page", table, page, first),
		pageRead(history+": page "+dp+", forward", table, page, model.PageArgs{Limit: limit, Cursor: deepID}),
		pageRead(history+": page "+dp+", backward", table, page, model.PageArgs{Limit: limit, Cursor: deepID, Backward: true}),
	}
}

// deepEntries finds, in each history of only, the id of the entry depth
// deep (newest first), by table.
func deepEntries(ctx context.Context, d *db.DB, memberPublicID string, depth int, only map[string]bool) (map[string]string, error) {
	queries := []struct {
		table string
		sql   string
		arg   []any
	}{
		{"event_type_history", `SELECT id::text FROM event_type_history WHERE event_type_id = ?
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`, []any{eventTypeID, depth}},
		{"attribute_assignment_history", `SELECT id::text FROM attribute_assignment_history WHERE organization_id = ? AND user_id = ?
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`, []any{orgID, userID, depth}},
		{"member_change_logs", `SELECT id FROM member_change_logs WHERE organization_id = ?
			AND (actor_user_id = ? OR (resource_type = ? AND resource_id = ?))
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`,
			[]any{orgID, userID, model.ResourceOrganizationUser, memberPublicID, depth}},
	}
	out := map[string]string{}
	for _, q := range queries {
		if !only[q.table] {
			continue
		}
		var id string
		if err := d.NewRaw(q.sql, q.arg...).Scan(ctx, &id); err != nil {
			return nil, fmt.Errorf("find the entry %d deep: %w", depth, err)
		}
		out[q.table] = id
	}
	return out, nil
}

// recorder is a bun query hook keeping the final SQL of every query run
// while it is on.
type recorder struct {
	mu      sync.Mutex
	on      bool
	queries []string
}

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *recorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.queries = append(r.queries, ev.Query)
	}
}

func (r *recorder) record(ctx context.Context, fn func(context.Context) error) ([]string, error) {
	r.mu.Lock()
	r.on, r.queries = true, nil
	r.mu.Unlock()
	err := fn(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.queries, err
}

// result is the verdict on one statement's plan, with what it cost.
type result struct {
	read      read
	statement int // 1-based, among the read's SELECTs
	sql       string
	plan      planNode
	cost      cost
}

// cost is what running a statement took: the median and the fastest
// execution time of a few runs under EXPLAIN (ANALYZE, TIMING OFF), which
// spares the per-node clock reads that inflate plans of many rows (the first
// run warms the cache up and is left out), and the shared buffers the last
// run touched.
type cost struct {
	ms, minMS   float64
	hit, read   int64
	heapFetches int64 // of index-only scans: rows whose page was not all-visible
}

// analyzeRuns is how many times each statement is run for its timing.
const analyzeRuns = 7

func explainAll(ctx context.Context, d *db.DB, rec *recorder, reads []read) ([]result, error) {
	var results []result
	for _, rd := range reads {
		queries, err := rec.record(ctx, rd.call)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rd.title, err)
		}
		n := 0
		for _, q := range queries {
			if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "SELECT") {
				continue
			}
			n++
			text, err := explainText(ctx, d, q)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rd.title, err)
			}
			var (
				plan  planNode
				times []float64
			)
			for i := 0; i < analyzeRuns; i++ {
				var ms float64
				plan, ms, err = explainAnalyzed(ctx, d, q)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", rd.title, err)
				}
				times = append(times, ms)
			}
			c := cost{ms: median(times[1:]), minMS: slices.Min(times[1:]), hit: plan.SharedHit, read: plan.SharedRead}
			plan.walk(func(n planNode) { c.heapFetches += n.HeapFetches })
			fmt.Printf("\n=== %s — statement %d ===\n%s\n\n%s\n", rd.title, n, q, text)
			results = append(results, result{read: rd, statement: n, sql: q, plan: plan, cost: c})
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: the store ran no SELECT", rd.title)
		}
	}
	return results, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func explainText(ctx context.Context, d *db.DB, q string) (string, error) {
	rows, err := d.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// planNode is the part of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) the checks
// and the figures look at.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	RelationName  string     `json:"Relation Name"`
	IndexName     string     `json:"Index Name"`
	ScanDirection string     `json:"Scan Direction"`
	SharedHit     int64      `json:"Shared Hit Blocks"`
	SharedRead    int64      `json:"Shared Read Blocks"`
	HeapFetches   int64      `json:"Heap Fetches"`
	Plans         []planNode `json:"Plans"`
}

// explainAnalyzed runs q under EXPLAIN ANALYZE without per-node timing and
// returns the plan it ran with and its execution time in milliseconds.
func explainAnalyzed(ctx context.Context, d *db.DB, q string) (planNode, float64, error) {
	var raw string
	if err := d.QueryRowContext(ctx, "EXPLAIN (ANALYZE, TIMING OFF, BUFFERS, FORMAT JSON) "+q).Scan(&raw); err != nil {
		return planNode{}, 0, err
	}
	var out []struct {
		Plan          planNode `json:"Plan"`
		ExecutionTime float64  `json:"Execution Time"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || len(out) != 1 {
		return planNode{}, 0, fmt.Errorf("unexpected EXPLAIN output: %v", err)
	}
	return out[0].Plan, out[0].ExecutionTime, nil
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

func isHistoryTable(name string) bool {
	for _, t := range historyTables {
		if t == name {
			return true
		}
	}
	return false
}

// verdict checks a plan: every access to a history table is an index scan
// (which returns rows in index order), and nothing is sorted or scanned
// sequentially.
type verdict struct {
	indexInOrder bool
	sort         bool
	seqScan      bool
	scans        []string
}

func check(p planNode) verdict {
	v := verdict{indexInOrder: true}
	historyScans := 0
	p.walk(func(n planNode) {
		switch n.NodeType {
		case "Sort", "Incremental Sort":
			v.sort = true
		}
		if !isHistoryTable(n.RelationName) {
			return
		}
		historyScans++
		desc := n.NodeType + " on " + n.RelationName
		if n.IndexName != "" {
			desc += " using " + n.IndexName
		}
		if n.ScanDirection != "" && n.ScanDirection != "Forward" {
			desc += " (" + strings.ToLower(n.ScanDirection) + ")"
		}
		v.scans = append(v.scans, desc)
		switch n.NodeType {
		case "Index Scan", "Index Only Scan":
		case "Seq Scan":
			v.seqScan = true
			v.indexInOrder = false
		default:
			v.indexInOrder = false
		}
	})
	if historyScans == 0 || v.sort {
		v.indexInOrder = false
	}
	return v
}

// passes judges a verdict. A page read must be index scans in order, without
// a sort or a sequential scan. A count visits every matching entry by nature
// and needs no order, but it must not scan a whole history table either: it
// is an index scan, index-only when the index covers its filters.
func passes(count bool, v verdict) bool {
	if count {
		return !v.seqScan
	}
	return v.indexInOrder && !v.sort && !v.seqScan
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func presence(b bool) string {
	if b {
		return "present"
	}
	return "none"
}

// report prints the check of every plan, what each statement cost, and
// whether all reads pass.
func report(results []result) bool {
	fmt.Printf("\n=== Checks ===\n")
	ok := true
	for _, r := range results {
		v := check(r.plan)
		status := "ok  "
		if !passes(r.read.count, v) {
			status, ok = "FAIL", false
		}
		note := ""
		if r.read.count {
			note = " (a count: judged on sequential scans only)"
		}
		fmt.Printf("%s %s [statement %d]: index scan in order: %s, sort node: %s, seq scan: %s — %s%s\n",
			status, r.read.title, r.statement, yesNo(v.indexInOrder), presence(v.sort), presence(v.seqScan),
			strings.Join(v.scans, "; "), note)
	}

	fmt.Printf("\n=== Cost (EXPLAIN (ANALYZE, TIMING OFF, BUFFERS): execution time of %d runs after a warm-up, shared buffers of one run) ===\n", analyzeRuns-1)
	fmt.Printf("%-70s %10s %10s %10s %8s %12s\n", "read [statement]", "median ms", "min ms", "buf hit", "buf read", "heap fetches")
	for _, r := range results {
		fmt.Printf("%-70s %10.3f %10.3f %10d %8d %12d\n", fmt.Sprintf("%s [%d]", r.read.title, r.statement),
			r.cost.ms, r.cost.minMS, r.cost.hit, r.cost.read, r.cost.heapFetches)
	}

	if ok {
		fmt.Printf("\nEvery page read is an index scan in order, without a sort or a sequential scan, and no count scans a history table sequentially.\n")
	} else {
		fmt.Printf("\nSome reads sort or scan sequentially (FAIL above).\n")
	}
	return ok
}
