package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// The scopes whose histories are read, and a few neighbours whose entries
// share the tables and indexes with them, so a plan cannot profit from one
// scope owning a whole table.
const (
	eventTypeID      = seed.TeamEventTypeID
	otherEventTypeID = seed.SalesEventTypeID
	orgID            = seed.AcmeID
	userID           = seed.MemberUserID
	otherUserID      = int64(8) // an Acme member
	otherActorID     = int64(9) // an Acme member
)

// span is how far back the generated entries reach.
const span = 365 * 24 * time.Hour

// fill bulk-inserts the entries in SQL: rows per read scope, a quarter of
// that for the neighbours. Timestamps spread evenly over the last year, two
// entries per instant, so the id tie-break is exercised. The rows copy the
// demo entries' payloads, which are realistic in size and shape.
func fill(ctx context.Context, d *db.DB, store *db.Store, rows int, only map[string]bool) (map[string]int, error) {
	inserts, err := fillInserts(ctx, d, store, rows)
	if err != nil {
		return nil, err
	}
	inserts = slices.DeleteFunc(inserts, func(in insert) bool { return !only[in.table] })
	if err := load(ctx, d, inserts); err != nil {
		return nil, err
	}
	if err := describeTables(ctx, d); err != nil {
		return nil, err
	}
	return countRows(ctx, d)
}

// insert is one statement of the fill: what it writes, into which table.
type insert struct {
	what  string
	table string
	sql   string
	args  []any
}

// fillInserts are the statements writing rows entries of each read scope,
// a quarter of that for its neighbours, and the other members' entries.
func fillInserts(ctx context.Context, d *db.DB, store *db.Store, rows int) ([]insert, error) {
	member, err := store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	var memberships struct {
		Member int64 `bun:"member"`
		Other  int64 `bun:"other"`
	}
	if err := d.NewRaw(`SELECT
		(SELECT id FROM memberships WHERE user_id = ? AND organization_id = ?) AS member,
		(SELECT id FROM memberships WHERE user_id = ? AND organization_id = ?) AS other`,
		userID, orgID, otherUserID, orgID).Scan(ctx, &memberships); err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	start := time.Now().UTC().Add(-span).Truncate(time.Second)
	step := func(n int) string { return fmt.Sprintf("%d milliseconds", span.Milliseconds()/int64(n/2+1)) }
	noise := rows / 4
	// The member is both the actor and the target of change logs, so they
	// own two scopes of that table; without more entries of other members
	// they would own most of it, and a count of their entries would rightly
	// read the whole table. Other members' entries make them a minority, as
	// any member of a real organization is.
	others := 2 * rows

	return []insert{
		{"event type history", "event_type_history", eventTypeSQL, []any{eventTypeID, start, step(rows), rows, "et"}},
		{"event type history (neighbour)", "event_type_history", eventTypeSQL, []any{otherEventTypeID, start, step(noise), noise, "nb"}},
		{"attribute history", "attribute_assignment_history", attributeSQL, []any{orgID, userID, memberships.Member, start, step(rows), rows}},
		{"attribute history (neighbour)", "attribute_assignment_history", attributeSQL, []any{orgID, otherUserID, memberships.Other, start, step(noise), noise}},
		{"change logs by the member", "member_change_logs", byActorSQL, []any{orgID, userID, start, step(rows), rows}},
		{"change logs on the member", "member_change_logs", onMemberSQL, []any{orgID, member.PublicID, start, step(rows), rows, model.ResourceOrganizationUser}},
		{"change logs of a neighbour", "member_change_logs", byActorSQL, []any{orgID, otherActorID, start, step(noise), noise}},
		{"change logs of other members", "member_change_logs", othersSQL, []any{orgID, start, step(others), others, model.ResourceOrganizationUser}},
	}, nil
}

// load runs the inserts into the history tables stripped of their
// indexes, then builds the indexes again.
func load(ctx context.Context, d *db.DB, inserts []insert) error {
	// A bulk load into indexed tables pays for every index at every row, at
	// random positions of the uuid and md5 keys: past shared_buffers each
	// row dirties pages all over the indexes. Loading the bare tables and
	// building the indexes after, from their own definitions, sorts each
	// index once: the same indexes, built many times faster.
	rebuild, err := dropIndexes(ctx, d)
	if err != nil {
		return err
	}
	loadStart := time.Now()
	if err := parallel(ctx, d, fillWorkers, len(inserts), func(ctx context.Context, conn bun.Conn, i int) error {
		in := inserts[i]
		if _, err := conn.ExecContext(ctx, in.sql, in.args...); err != nil {
			return fmt.Errorf("%s: %w", in.what, err)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("Loaded the rows in %s; building %d indexes...\n", time.Since(loadStart).Round(time.Millisecond), len(rebuild))
	indexStart := time.Now()
	if err := parallel(ctx, d, fillWorkers, len(rebuild), func(ctx context.Context, conn bun.Conn, i int) error {
		if _, err := conn.ExecContext(ctx, rebuild[i]); err != nil {
			return fmt.Errorf("%s: %w", rebuild[i], err)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("Built the indexes in %s.\n", time.Since(indexStart).Round(time.Millisecond))
	return nil
}

// describeTables refreshes the statistics and the visibility map and
// prints the tables' and their indexes' sizes.
func describeTables(ctx context.Context, d *db.DB) error {
	// Fresh statistics and a fresh visibility map, as autovacuum keeps them
	// on a live database.
	vis, err := d.VacuumAnalyze(ctx, historyTables...)
	if err != nil {
		return err
	}
	for _, v := range vis {
		// Index-only scans skip the heap only on all-visible pages.
		fmt.Printf("%s: %d pages, %d all-visible after VACUUM.\n", v.Table, v.Pages, v.AllVisible)
	}
	for _, t := range historyTables {
		var size string
		if err := d.NewRaw("SELECT pg_size_pretty(pg_relation_size(?::regclass)) || ' heap, ' || pg_size_pretty(pg_indexes_size(?::regclass)) || ' indexes'", t, t).Scan(ctx, &size); err != nil {
			return err
		}
		fmt.Printf("%s: %s.\n", t, size)
	}
	printHeights(ctx, d)
	return nil
}

// countRows counts the rows of each history table.
func countRows(ctx context.Context, d *db.DB) (map[string]int, error) {
	counts := map[string]int{}
	for _, table := range historyTables {
		var n int
		if err := d.NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &n); err != nil {
			return nil, err
		}
		counts[table] = n
	}
	return counts, nil
}

var historyTables = db.HistoryTables

// fillWorkers is how many statements of the fill run at once: two keep two
// cores busy, more would only queue on them.
const fillWorkers = 2

// dropIndexes drops every index of the history tables, primary keys
// included, and returns the statements that build them again as the
// migrations left them.
func dropIndexes(ctx context.Context, d *db.DB) ([]string, error) {
	var drop, rebuild []string
	for _, t := range historyTables {
		var cons []struct {
			Name string `bun:"name"`
			Def  string `bun:"def"`
		}
		if err := d.NewRaw(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
			WHERE conrelid = ?::regclass AND contype IN ('p', 'u')`, t).Scan(ctx, &cons); err != nil {
			return nil, fmt.Errorf("constraints of %s: %w", t, err)
		}
		for _, c := range cons {
			drop = append(drop, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", t, c.Name))
			rebuild = append(rebuild, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", t, c.Name, c.Def))
		}
		var idx []struct {
			Name string `bun:"name"`
			Def  string `bun:"def"`
		}
		if err := d.NewRaw(`SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index AS i
			WHERE i.indrelid = ?::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)`, t).Scan(ctx, &idx); err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", t, err)
		}
		for _, i := range idx {
			drop = append(drop, "DROP INDEX "+i.Name)
			rebuild = append(rebuild, i.Def)
		}
	}
	for _, q := range drop {
		if _, err := d.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return rebuild, nil
}

// printHeights prints the height of every B-tree of the history tables, the
// levels a page read descends before it reaches its first entry. It needs
// the pageinspect extension (contrib, superuser); without it the heights are
// left out.
func printHeights(ctx context.Context, d *db.DB) {
	if _, err := d.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
		fmt.Printf("B-tree heights left out (pageinspect: %v).\n", err)
		return
	}
	var idx []struct {
		Name   string `bun:"name"`
		Height int    `bun:"height"`
		Size   string `bun:"size"`
	}
	if err := d.NewRaw(`SELECT c.relname AS name, (SELECT level FROM bt_metap(c.relname)) + 1 AS height,
		pg_size_pretty(pg_relation_size(c.oid)) AS size
		FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
		WHERE i.indrelid::regclass::text IN (?) ORDER BY 1`, bun.List(historyTables)).Scan(ctx, &idx); err != nil {
		fmt.Printf("B-tree heights left out: %v.\n", err)
		return
	}
	for _, i := range idx {
		fmt.Printf("index %s: height %d (root to leaf), %s.\n", i.Name, i.Height, i.Size)
	}
}

// parallel runs fn for 0…n-1 on up to workers connections of their own,
// each set for a bulk load: no wait for the WAL flush at commit (a lost
// scratch database is refilled), and memory to sort an index in.
func parallel(ctx context.Context, d *db.DB, workers, n int, fn func(context.Context, bun.Conn, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			err := func() error {
				conn, err := d.Conn(ctx)
				if err != nil {
					return err
				}
				defer conn.Close()
				for _, set := range []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '512MB'", "SET max_parallel_maintenance_workers = 0"} {
					if _, err := conn.ExecContext(ctx, set); err != nil {
						return err
					}
				}
				for i := range next {
					if err := fn(ctx, conn, i); err != nil {
						return err
					}
				}
				return nil
			}()
			if err != nil {
				cancel() // the feeder stops handing out work
			}
			errs <- err
		}()
	}
	var first error
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// Each statement numbers the demo entries of its table (the seed's, which
// carry idempotency keys "demo:…") as templates and cycles through them.

const eventTypeSQL = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM event_type_history WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO event_type_history (id, event_type_id, action, type, created_at, source,
  actor_type, actor_ref, actor_name, actor_email, actor_avatar,
  impersonated_by_name, impersonated_by_email, impersonated_by_avatar, payload)
SELECT gen_random_uuid(), ?0, t.action, t.type, ?1::timestamptz + (g / 2) * ?2::interval, t.source,
  t.actor_type, t.actor_ref, t.actor_name, t.actor_email, t.actor_avatar,
  t.impersonated_by_name, t.impersonated_by_email, t.impersonated_by_avatar, t.payload
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

const attributeSQL = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM attribute_assignment_history WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO attribute_assignment_history (id, organization_id, user_id, membership_id, created_at, source,
  actor_type, actor_ref, actor_name, actor_email, actor_avatar, source_context, changes)
SELECT gen_random_uuid(), ?0, ?1, ?2, ?3::timestamptz + (g / 2) * ?4::interval, t.source,
  t.actor_type, t.actor_ref, t.actor_name, t.actor_email, t.actor_avatar, t.source_context, t.changes
FROM generate_series(0, ?5 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

// changeLogInsert starts the statements writing change logs: they copy
// the demo's change logs in turn.
const changeLogInsert = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM member_change_logs WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at,
  resource_type, resource_id, resource_name, changes)
`

// byActorSQL writes entries performed by one member, on every resource type.
const byActorSQL = changeLogInsert + `SELECT 'log_' || md5('by:' || ?1 || ':' || g), ?0, ?1, t.action, ?2::timestamptz + (g / 2) * ?3::interval,
  t.resource_type, t.resource_id, t.resource_name, t.changes
FROM generate_series(0, ?4 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

// othersSQL writes entries performed by 50 other members, half of them done
// to 50 other members.
const othersSQL = changeLogInsert + `SELECT 'log_' || md5('others:' || g), ?0, 1000 + g % 50, t.action, ?1::timestamptz + (g / 2) * ?2::interval,
  CASE WHEN g % 2 = 0 THEN ?4 ELSE t.resource_type END,
  CASE WHEN g % 2 = 0 THEN 'usr_other' || (g / 2 % 50) ELSE t.resource_id END, t.resource_name, t.changes
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

// onMemberSQL writes entries done to one member by the other Acme admins.
const onMemberSQL = changeLogInsert + `SELECT 'log_' || md5('on:' || ?1 || ':' || g), ?0, (ARRAY[1, 2, 7])[1 + g % 3], t.action,
  ?2::timestamptz + (g / 2) * ?3::interval, ?5, ?1, NULL, t.changes
FROM generate_series(0, ?4 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`
