package main

import (
	"context"
	"fmt"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
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
func fill(ctx context.Context, d *db.DB, store *db.Store, rows int) (map[string]int, error) {
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

	type insert struct {
		what string
		sql  string
		args []any
	}
	inserts := []insert{
		{"event type history", eventTypeSQL, []any{eventTypeID, start, step(rows), rows, "et"}},
		{"event type history (neighbour)", eventTypeSQL, []any{otherEventTypeID, start, step(noise), noise, "nb"}},
		{"attribute history", attributeSQL, []any{orgID, userID, memberships.Member, start, step(rows), rows}},
		{"attribute history (neighbour)", attributeSQL, []any{orgID, otherUserID, memberships.Other, start, step(noise), noise}},
		{"change logs by the member", byActorSQL, []any{orgID, userID, start, step(rows), rows}},
		{"change logs on the member", onMemberSQL, []any{orgID, member.PublicID, start, step(rows), rows, model.ResourceOrganizationUser}},
		{"change logs of a neighbour", byActorSQL, []any{orgID, otherActorID, start, step(noise), noise}},
		{"change logs of other members", othersSQL, []any{orgID, start, step(others), others, model.ResourceOrganizationUser}},
	}
	for _, in := range inserts {
		if _, err := d.ExecContext(ctx, in.sql, in.args...); err != nil {
			return nil, fmt.Errorf("%s: %w", in.what, err)
		}
	}
	// Fresh statistics and a fresh visibility map, as autovacuum keeps them
	// on a live database.
	vis, err := d.VacuumAnalyze(ctx, historyTables...)
	if err != nil {
		return nil, err
	}
	for _, v := range vis {
		// Index-only scans skip the heap only on all-visible pages.
		fmt.Printf("%s: %d pages, %d all-visible after VACUUM.\n", v.Table, v.Pages, v.AllVisible)
	}
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

// byActorSQL writes entries performed by one member, on every resource type.
const byActorSQL = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM member_change_logs WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at,
  resource_type, resource_id, resource_name, changes)
SELECT 'log_' || md5('by:' || ?1 || ':' || g), ?0, ?1, t.action, ?2::timestamptz + (g / 2) * ?3::interval,
  t.resource_type, t.resource_id, t.resource_name, t.changes
FROM generate_series(0, ?4 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

// othersSQL writes entries performed by 50 other members, half of them done
// to 50 other members.
const othersSQL = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM member_change_logs WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at,
  resource_type, resource_id, resource_name, changes)
SELECT 'log_' || md5('others:' || g), ?0, 1000 + g % 50, t.action, ?1::timestamptz + (g / 2) * ?2::interval,
  CASE WHEN g % 2 = 0 THEN ?4 ELSE t.resource_type END,
  CASE WHEN g % 2 = 0 THEN 'usr_other' || (g / 2 % 50) ELSE t.resource_id END, t.resource_name, t.changes
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`

// onMemberSQL writes entries done to one member by the other Acme admins.
const onMemberSQL = `
WITH tpl AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM member_change_logs WHERE idempotency_key LIKE 'demo:%'
), total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at,
  resource_type, resource_id, resource_name, changes)
SELECT 'log_' || md5('on:' || ?1 || ':' || g), ?0, (ARRAY[1, 2, 7])[1 + g % 3], t.action,
  ?2::timestamptz + (g / 2) * ?3::interval, ?5, ?1, NULL, t.changes
FROM generate_series(0, ?4 - 1) AS g
JOIN tpl AS t ON t.n = g % (SELECT c FROM total)`
