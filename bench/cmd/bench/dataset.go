package main

import (
	"context"
	"fmt"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// The dataset: the demo directory (seed.Run) grown to 20 organizations,
// 2,000 organization members and 1,000 event types, and `scale` entries in
// each history. One event type (seed.TeamEventTypeID) and one member
// (seed.MemberUserID in seed.AcmeID) are hot: they own hotEntries(scale)
// entries each, the rest is spread over the other event types and members.
// Entries copy the demo entries (payloads that render, a few hundred bytes),
// with timestamps spread over the last year.
const (
	hotEventTypeID = seed.TeamEventTypeID
	hotOrgID       = seed.AcmeID
	hotUserID      = seed.MemberUserID
	readerUserID   = seed.OwnerUserID // Acme OWNER: may read all three histories

	benchOrgFirst, benchOrgLast   = 101, 118   // 18 more organizations, one team each
	benchUserFirst, benchUserLast = 1001, 2981 // 1,981 more members (2,000 with the demo's)
	benchETFirst, benchETLast     = 1001, 1993 // 993 more event types (1,000 with the demo's)
	membershipBase                = 10000      // membership id of bench user u: membershipBase + u
)

// span is how far back the entries reach.
const span = 365 * 24 * time.Hour

// hotEntries is how many entries the hot event type and the hot member get:
// a tenth of the scale, and never fewer than the deep page needs.
func hotEntries(scale, depth int) int {
	h := scale / 10
	if min := depth + depth/5; h < min {
		h = min
	}
	if h > scale {
		h = scale
	}
	return h
}

// datasetInfo describes the dataset in the database.
type datasetInfo struct {
	Scale, Hot   int
	Reused       bool
	BuildSeconds float64
	Counts       map[string]int
	PayloadBytes map[string]int // average size of the stored payload / changes
}

const markerDDL = `CREATE TABLE IF NOT EXISTS bench_dataset (
  scale bigint PRIMARY KEY, hot bigint NOT NULL, build_seconds double precision NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now())`

// ensureDataset reuses the dataset when its marker row says it was built
// completely at this scale; otherwise it builds it into the (empty) database.
func ensureDataset(ctx context.Context, d *db.DB, store *db.Store, scale, hot int, logf func(string, ...any)) (*datasetInfo, error) {
	info := &datasetInfo{Scale: scale, Hot: hot}
	if _, err := d.ExecContext(ctx, markerDDL); err != nil {
		return nil, err
	}
	var rows []struct {
		Hot          int     `bun:"hot"`
		BuildSeconds float64 `bun:"build_seconds"`
	}
	if err := d.NewRaw("SELECT hot, build_seconds FROM bench_dataset WHERE scale = ?", scale).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 1 && rows[0].Hot == hot {
		info.Reused, info.BuildSeconds = true, rows[0].BuildSeconds
		logf("reusing the dataset at scale %d (built in %.1f s)", scale, info.BuildSeconds)
	} else {
		begin := time.Now()
		if err := buildDataset(ctx, d, store, scale, hot, logf); err != nil {
			return nil, err
		}
		info.BuildSeconds = time.Since(begin).Seconds()
		if _, err := d.ExecContext(ctx, "INSERT INTO bench_dataset (scale, hot, build_seconds) VALUES (?, ?, ?)",
			scale, hot, info.BuildSeconds); err != nil {
			return nil, err
		}
	}
	info.Counts = map[string]int{}
	info.PayloadBytes = map[string]int{}
	for _, t := range []struct{ table, col string }{
		{"event_type_history", "payload"}, {"attribute_assignment_history", "changes"}, {"member_change_logs", "changes"},
	} {
		var c struct {
			N   int `bun:"n"`
			Avg int `bun:"avg"`
		}
		// The sample keeps this cheap on large tables.
		if err := d.NewRaw("SELECT (SELECT count(*) FROM "+t.table+") AS n, "+
			"(SELECT coalesce(avg(octet_length("+t.col+")), 0)::int FROM (SELECT "+t.col+" FROM "+t.table+" LIMIT 10000) s) AS avg").
			Scan(ctx, &c); err != nil {
			return nil, err
		}
		info.Counts[t.table], info.PayloadBytes[t.table] = c.N, c.Avg
	}
	return info, nil
}

func buildDataset(ctx context.Context, d *db.DB, store *db.Store, scale, hot int, logf func(string, ...any)) error {
	logf("building the dataset: %d entries per history, %d for the hot event type and the hot member", scale, hot)
	if _, err := seed.Run(ctx, store); err != nil {
		return fmt.Errorf("seed the demo directory: %w", err)
	}
	member, err := store.UserByID(ctx, hotUserID)
	if err != nil {
		return err
	}
	access, err := store.OrganizationAccess(ctx, hotUserID, hotOrgID)
	if err != nil {
		return err
	}
	start := time.Now().UTC().Add(-span).Truncate(time.Second)
	spanMs := span.Milliseconds()
	rest := scale - hot
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"organizations", `INSERT INTO organizations (id, public_id, slug, name)
			SELECT g, 'org_bench' || lpad(g::text, 12, '0'), 'bench-org-' || g, 'Bench Org ' || g
			FROM generate_series(?, ?) g`, []any{benchOrgFirst, benchOrgLast}},
		{"teams", `INSERT INTO teams (id, organization_id, slug, name)
			SELECT g, g, 'team-' || g, 'Team ' || g FROM generate_series(?, ?) g`, []any{benchOrgFirst, benchOrgLast}},
		{"users", `INSERT INTO users (id, public_id, email, name)
			SELECT g, 'usr_bench' || lpad(g::text, 12, '0'), 'user' || g || '@bench.example', 'Bench User ' || g
			FROM generate_series(?, ?) g`, []any{benchUserFirst, benchUserLast}},
		{"memberships", `INSERT INTO memberships (id, user_id, organization_id, role)
			SELECT ? + g, g, ? + g % 18, CASE WHEN g % 50 = 0 THEN 'ADMIN' ELSE 'MEMBER' END
			FROM generate_series(?, ?) g`, []any{membershipBase, benchOrgFirst, benchUserFirst, benchUserLast}},
		{"event types", `INSERT INTO event_types (id, title, slug, team_id)
			SELECT g, 'Event type ' || g, 'et-' || g, ? + g % 18 FROM generate_series(?, ?) g`,
			[]any{benchOrgFirst, benchETFirst, benchETLast}},

		{"event type history (hot)", entriesSQL(etInsert, "?0", etCols), []any{hotEventTypeID, start, spanMs, hot}},
		{"event type history (rest)", entriesSQL(etInsert, fmt.Sprintf("%d + g %% %d", benchETFirst, benchETLast-benchETFirst+1), etCols),
			[]any{0, start, spanMs, rest}},
		{"attribute history (hot)", entriesSQL(aaInsert, "?0", aaCols(fmt.Sprint(hotUserID), fmt.Sprint(access.MembershipID))),
			[]any{hotOrgID, start, spanMs, hot}},
		{"attribute history (rest)", entriesSQL(aaInsert, restOrg, aaCols(restUser, fmt.Sprintf("%d + %s", membershipBase, restUser))),
			[]any{0, start, spanMs, rest}},
		{"change logs by the hot member", fmt.Sprintf(clInsert, clCols("'by'", "?0", fmt.Sprint(hotUserID), "t.resource_type", "t.resource_id", "t.resource_name")),
			[]any{hotOrgID, start, spanMs, hot - hot/2}},
		{"change logs on the hot member", fmt.Sprintf(clInsert, clCols("'on'", "?0", "(ARRAY[1, 2, 7])[1 + g % 3]", "'"+model.ResourceOrganizationUser+"'", "'"+member.PublicID+"'", "NULL")),
			[]any{hotOrgID, start, spanMs, hot / 2}},
		{"change logs (rest)", fmt.Sprintf(clInsert, clCols("'rest'", restOrg, restUser, "t.resource_type", "t.resource_id", "t.resource_name")),
			[]any{0, start, spanMs, rest}},
	}
	for _, s := range steps {
		begin := time.Now()
		if _, err := d.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		logf("  %-32s %s", s.what, time.Since(begin).Round(time.Millisecond))
	}
	for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs"} {
		begin := time.Now()
		// Fresh statistics and visibility map, as autovacuum keeps them on a live database.
		if _, err := d.ExecContext(ctx, "VACUUM (ANALYZE) "+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
		logf("  %-32s %s", "vacuum "+table, time.Since(begin).Round(time.Millisecond))
	}
	return nil
}

// A rest entry g belongs to bench user restUser, a member of restOrg.
const (
	restUser = "(1001 + g % 1981)"
	restOrg  = "(101 + (1001 + g % 1981) % 18)"
)

// entriesSQL inserts ?3 entries copying the demo entries of the table in
// turn (the templates: numbered before the insert adds any), with scope
// column value scope and timestamps evenly over the year from ?1 (?2 ms
// long), two entries per instant so the id tie-break is exercised.
func entriesSQL(insert, scope, cols string) string {
	return fmt.Sprintf(insert, scope, cols)
}

const tsExpr = "?1::timestamptz + ((g / 2) * 2 * (?2::bigint / greatest(?3::bigint, 1))) * interval '1 millisecond'"

const etInsert = `
WITH tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM event_type_history WHERE idempotency_key LIKE 'demo:%%'),
total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO event_type_history (id, event_type_id, action, type, created_at, source,
  actor_type, actor_ref, actor_name, actor_email, actor_avatar,
  impersonated_by_name, impersonated_by_email, impersonated_by_avatar, payload)
SELECT gen_random_uuid(), %s, %s
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g %% (SELECT c FROM total)`

const etCols = `t.action, t.type, ` + tsExpr + `, t.source,
  t.actor_type, t.actor_ref, t.actor_name, t.actor_email, t.actor_avatar,
  t.impersonated_by_name, t.impersonated_by_email, t.impersonated_by_avatar, t.payload`

const aaInsert = `
WITH tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM attribute_assignment_history WHERE idempotency_key LIKE 'demo:%%'),
total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO attribute_assignment_history (id, organization_id, user_id, membership_id, created_at, source,
  actor_type, actor_ref, actor_name, actor_email, actor_avatar, source_context, changes)
SELECT gen_random_uuid(), %s, %s
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g %% (SELECT c FROM total)`

func aaCols(user, membership string) string {
	return user + ", " + membership + ", " + tsExpr + `, t.source,
  t.actor_type, t.actor_ref, t.actor_name, t.actor_email, t.actor_avatar, t.source_context, t.changes`
}

const clInsert = `
WITH tpl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM member_change_logs WHERE idempotency_key LIKE 'demo:%%'),
total AS (SELECT count(*) AS c FROM tpl)
INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at,
  resource_type, resource_id, resource_name, changes)
SELECT %s
FROM generate_series(0, ?3 - 1) AS g
JOIN tpl AS t ON t.n = g %% (SELECT c FROM total)`

// clCols makes the change log columns; the id is derived from a prefix
// unique to the insert and g, so it has the log_ + 32 hex digits form.
func clCols(prefix, org, actor, resourceType, resourceID, resourceName string) string {
	return "'log_' || md5(" + prefix + " || ':' || g), " + org + ", " + actor + ", t.action, " + tsExpr + ", " +
		resourceType + ", " + resourceID + ", " + resourceName + ", " + clChanges
}

// clChanges is a few hundred bytes of member changes: the demo entries'
// are a few dozen bytes, smaller than a real profile update.
const clChanges = `json_build_array(
  json_build_object('field', 'role', 'old_value', 'MEMBER', 'new_value', 'ADMIN'),
  json_build_object('field', 'email', 'old_value', 'user' || g || '@old.example', 'new_value', 'user' || g || '@bench.example'),
  json_build_object('field', 'name', 'old_value', 'Bench User ' || g, 'new_value', 'Bench User ' || g || ' (renamed)'),
  json_build_object('field', 'timeZone', 'old_value', 'Europe/Berlin', 'new_value', 'America/New_York'),
  json_build_object('field', 'weekStart', 'old_value', 'Monday', 'new_value', 'Sunday'))::text`
