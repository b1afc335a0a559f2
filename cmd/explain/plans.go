package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	// count reads are not page reads: they visit every matching entry by
	// nature, so their plans are shown but do not fail the run.
	count bool
	call  func(ctx context.Context) error
}

// pageReads lists the reads: for each history the first page, a page deep in
// it read forward and backward, and filtered change log pages.
func pageReads(ctx context.Context, d *db.DB, store *db.Store, depth int) ([]read, error) {
	member, err := store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	const limit = model.DefaultPageSize
	var etDeep, aaDeep, clDeep string
	queries := []struct {
		dst *string
		sql string
		arg []any
	}{
		{&etDeep, `SELECT id::text FROM event_type_history WHERE event_type_id = ?
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`, []any{eventTypeID, depth}},
		{&aaDeep, `SELECT id::text FROM attribute_assignment_history WHERE organization_id = ? AND user_id = ?
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`, []any{orgID, userID, depth}},
		{&clDeep, `SELECT id FROM member_change_logs WHERE organization_id = ?
			AND (actor_user_id = ? OR (resource_type = ? AND resource_id = ?))
			ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`,
			[]any{orgID, userID, model.ResourceOrganizationUser, member.PublicID, depth}},
	}
	for _, q := range queries {
		if err := d.NewRaw(q.sql, q.arg...).Scan(ctx, q.dst); err != nil {
			return nil, fmt.Errorf("find the entry %d deep: %w", depth, err)
		}
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

	first := model.PageArgs{Limit: limit}
	deep := func(cursor string) model.PageArgs { return model.PageArgs{Limit: limit, Cursor: cursor} }
	deepBack := func(cursor string) model.PageArgs {
		return model.PageArgs{Limit: limit, Cursor: cursor, Backward: true}
	}
	ignore := func(_ any, err error) error { return err }
	dp := fmt.Sprintf("%d deep", depth)
	return []read{
		{title: "event type history: first page", call: func(ctx context.Context) error {
			return ignore(store.EventTypeHistory(ctx, et, first))
		}},
		{title: "event type history: page " + dp + ", forward", call: func(ctx context.Context) error {
			return ignore(store.EventTypeHistory(ctx, et, deep(etDeep)))
		}},
		{title: "event type history: page " + dp + ", backward", call: func(ctx context.Context) error {
			return ignore(store.EventTypeHistory(ctx, et, deepBack(etDeep)))
		}},
		{title: "event type history: date range + action, first page", call: func(ctx context.Context) error {
			return ignore(store.EventTypeHistory(ctx, etFiltered, first))
		}},
		{title: "attribute history: first page", call: func(ctx context.Context) error {
			return ignore(store.AttributeHistory(ctx, aa, first))
		}},
		{title: "attribute history: page " + dp + ", forward", call: func(ctx context.Context) error {
			return ignore(store.AttributeHistory(ctx, aa, deep(aaDeep)))
		}},
		{title: "attribute history: page " + dp + ", backward", call: func(ctx context.Context) error {
			return ignore(store.AttributeHistory(ctx, aa, deepBack(aaDeep)))
		}},
		{title: "member change logs: first page", call: func(ctx context.Context) error {
			return ignore(store.MemberChangeLogs(ctx, cl, first))
		}},
		{title: "member change logs: page " + dp + ", forward", call: func(ctx context.Context) error {
			return ignore(store.MemberChangeLogs(ctx, cl, deep(clDeep)))
		}},
		{title: "member change logs: page " + dp + ", backward", call: func(ctx context.Context) error {
			return ignore(store.MemberChangeLogs(ctx, cl, deepBack(clDeep)))
		}},
		{title: "member change logs: date range + action, first page", call: func(ctx context.Context) error {
			return ignore(store.MemberChangeLogs(ctx, clFiltered, first))
		}},
		{title: "member change logs: count", count: true, call: func(ctx context.Context) error {
			return ignore(store.CountMemberChangeLogs(ctx, cl))
		}},
		{title: "member change logs: count, date range + action", count: true, call: func(ctx context.Context) error {
			return ignore(store.CountMemberChangeLogs(ctx, clFiltered))
		}},
	}, nil
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

// result is the verdict on one statement's plan.
type result struct {
	read      read
	statement int // 1-based, among the read's SELECTs
	sql       string
	plan      planNode
	indexes   []string
}

func explainAll(ctx context.Context, d *db.DB, reads []read) ([]result, error) {
	rec := &recorder{}
	d.AddQueryHook(rec)
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
			plan, err := explainJSON(ctx, d, q)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rd.title, err)
			}
			fmt.Printf("\n=== %s — statement %d ===\n%s\n\n%s\n", rd.title, n, q, text)
			results = append(results, result{read: rd, statement: n, sql: q, plan: plan})
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: the store ran no SELECT", rd.title)
		}
	}
	return results, nil
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

// planNode is the part of EXPLAIN (FORMAT JSON) the checks look at.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	RelationName  string     `json:"Relation Name"`
	IndexName     string     `json:"Index Name"`
	ScanDirection string     `json:"Scan Direction"`
	Plans         []planNode `json:"Plans"`
}

func explainJSON(ctx context.Context, d *db.DB, q string) (planNode, error) {
	var raw string
	if err := d.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&raw); err != nil {
		return planNode{}, err
	}
	var out []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || len(out) != 1 {
		return planNode{}, fmt.Errorf("unexpected EXPLAIN output: %v", err)
	}
	return out[0].Plan, nil
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

// report prints the check of every plan and whether all page reads pass.
func report(results []result) bool {
	fmt.Printf("\n=== Checks ===\n")
	ok := true
	for _, r := range results {
		v := check(r.plan)
		status := "ok  "
		switch {
		case r.read.count:
			status = "info"
		case !v.indexInOrder || v.sort || v.seqScan:
			status, ok = "FAIL", false
		}
		note := ""
		if r.read.count {
			note = " (a count visits every matching entry: shown, not judged)"
		}
		fmt.Printf("%s %s [statement %d]: index scan in order: %s, sort node: %s, seq scan: %s — %s%s\n",
			status, r.read.title, r.statement, yesNo(v.indexInOrder), presence(v.sort), presence(v.seqScan),
			strings.Join(v.scans, "; "), note)
	}
	if ok {
		fmt.Printf("\nEvery page read is an index scan in order, without a sort or a sequential scan.\n")
	} else {
		fmt.Printf("\nSome page reads sort or scan sequentially (FAIL above).\n")
	}
	return ok
}
