package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// A history page is a keyset range scan over an index ordered (scope...,
// created_at DESC, id DESC). The cursor names an entry by id; its timestamp
// is looked up by a scalar subquery of the page statement itself, so a page
// deep in a history is one statement, like the first. Only when such a page
// comes back empty is a second statement needed, to tell "past the end" from
// "the cursor names no entry of this history" (BAD_USER_INPUT).

// anchorQuery selects the timestamp of entry id within scope. Its alias
// shadows the page's, so the scope functions serve both.
func (s *Store) anchorQuery(table, id string, scope func(*bun.SelectQuery) *bun.SelectQuery) *bun.SelectQuery {
	return scope(s.idb.NewSelect().TableExpr(table+" AS h").Column("h.created_at").Where("h.id = ?", id)).Limit(1)
}

// checkAnchor is the second statement of an empty cursor page.
func (s *Store) checkAnchor(ctx context.Context, table string, p model.PageArgs, n int, scope func(*bun.SelectQuery) *bun.SelectQuery) error {
	if p.Cursor == "" || n > 0 {
		return nil
	}
	var ts time.Time
	err := s.anchorQuery(table, p.Cursor, scope).Scan(ctx, &ts)
	if errors.Is(err, sql.ErrNoRows) {
		return model.InvalidField("cursor", nil, "cursor does not name an entry of this history")
	}
	return err
}

// pageAnchor is the anchor subquery of a cursor page, nil without a cursor.
func (s *Store) pageAnchor(table string, p model.PageArgs, scope func(*bun.SelectQuery) *bun.SelectQuery) *bun.SelectQuery {
	if p.Cursor == "" {
		return nil
	}
	return s.anchorQuery(table, p.Cursor, scope)
}

// keyset applies the cursor bound, the order and the limit of a page to q.
func keyset(q *bun.SelectQuery, p model.PageArgs, anchor *bun.SelectQuery) *bun.SelectQuery {
	if anchor != nil {
		if p.Backward {
			q = q.Where("(h.created_at, h.id) > ((?), ?)", anchor, p.Cursor)
		} else {
			q = q.Where("(h.created_at, h.id) < ((?), ?)", anchor, p.Cursor)
		}
	}
	if p.Backward {
		q = q.OrderExpr("h.created_at ASC, h.id ASC")
	} else {
		q = q.OrderExpr("h.created_at DESC, h.id DESC")
	}
	if p.Offset > 0 && !p.Backward {
		q = q.Offset(int64(p.Offset))
	}
	return q.Limit(int64(p.Limit + 1))
}

func timeRange(q *bun.SelectQuery, r model.TimeRange) *bun.SelectQuery {
	if r.From != nil {
		q = q.Where("h.created_at >= ?", r.From.UTC())
	}
	if r.To != nil {
		q = q.Where("h.created_at <= ?", r.To.UTC())
	}
	return q
}

// readPage reads one keyset page of kind: the rows R that filter selects
// (filter applies the scope too), bounded by the cursor's entry within
// scope, as domain values T.
func readPage[R any, T any](ctx context.Context, s *Store, kind *model.HistoryKind, p model.PageArgs,
	scope, filter func(*bun.SelectQuery) *bun.SelectQuery, get func(*R) T) (model.Page[T], error) {
	var rows []R
	q := keyset(filter(s.idb.NewSelect().Model(&rows)), p, s.pageAnchor(kind.Table, p, scope))
	if err := q.Scan(ctx); err != nil {
		return model.Page[T]{}, err
	}
	if err := s.checkAnchor(ctx, kind.Table, p, len(rows), scope); err != nil {
		return model.Page[T]{}, err
	}
	return finish(unwrap(rows, get), p), nil
}

// countRows counts the rows R that filter selects.
func countRows[R any](ctx context.Context, s *Store, filter func(*bun.SelectQuery) *bun.SelectQuery) (int, error) {
	n, err := filter(s.idb.NewSelect().Model((*R)(nil))).Count(ctx)
	return int(n), err
}

// actor keeps the entries of one actor type and reference ("" matches any).
func actor(q *bun.SelectQuery, actorType, ref string) *bun.SelectQuery {
	if actorType != "" {
		q = q.Where("h.actor_type = ?", actorType)
	}
	if ref != "" {
		q = q.Where("h.actor_ref = ?", ref)
	}
	return q
}

// finish trims the extra row and restores newest-first order.
func finish[T any](items []T, p model.PageArgs) model.Page[T] {
	more := len(items) > p.Limit
	if more {
		items = items[:p.Limit]
	}
	if p.Backward {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	return model.Page[T]{Items: items, More: more}
}

func attributeScope(f model.AttributeHistoryFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("h.organization_id = ?", f.OrganizationID).Where("h.user_id = ?", f.UserID)
	}
}

func attributeFilter(q *bun.SelectQuery, f model.AttributeHistoryFilter) *bun.SelectQuery {
	q = actor(timeRange(attributeScope(f)(q), f.TimeRange), f.ActorType, f.ActorRef)
	if f.Source != "" {
		q = q.Where("h.source = ?", f.Source)
	}
	return q
}

// AttributeHistory reads one page of a member's attribute assignment history.
func (s *Store) AttributeHistory(ctx context.Context, f model.AttributeHistoryFilter, p model.PageArgs) (model.Page[model.AttributeAssignmentEntry], error) {
	return readPage(ctx, s, model.AttributeHistoryKind, p, attributeScope(f),
		func(q *bun.SelectQuery) *bun.SelectQuery { return attributeFilter(q, f) },
		func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry })
}

// CountAttributeHistory counts the entries matching f.
func (s *Store) CountAttributeHistory(ctx context.Context, f model.AttributeHistoryFilter) (int, error) {
	return countRows[attributeEntryRow](ctx, s, func(q *bun.SelectQuery) *bun.SelectQuery { return attributeFilter(q, f) })
}

func eventTypeScope(f model.EventTypeHistoryFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("h.event_type_id = ?", f.EventTypeID) }
}

func eventTypeFilter(q *bun.SelectQuery, f model.EventTypeHistoryFilter) *bun.SelectQuery {
	q = timeRange(eventTypeScope(f)(q), f.TimeRange)
	if len(f.Actions) > 0 {
		q = q.Where("h.action IN (?)", bun.List(f.Actions))
	}
	return actor(q, f.ActorType, f.ActorRef)
}

// EventTypeHistory reads one page of an event type's history.
func (s *Store) EventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter, p model.PageArgs) (model.Page[model.EventTypeEntry], error) {
	if s.plainEventTypePage(f, p) {
		// The hot page is a prepared statement, which checks the cursor
		// itself (prepared.go).
		rows, err := s.preparedEventTypePage(ctx, f, p)
		if err != nil {
			return model.Page[model.EventTypeEntry]{}, err
		}
		return finish(unwrap(rows, (*eventTypeEntryRow).entry), p), nil
	}
	return readPage(ctx, s, model.EventTypeHistoryKind, p, eventTypeScope(f),
		func(q *bun.SelectQuery) *bun.SelectQuery { return eventTypeFilter(q, f) }, (*eventTypeEntryRow).entry)
}

// CountEventTypeHistory counts the entries matching f.
func (s *Store) CountEventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter) (int, error) {
	return countRows[eventTypeEntryRow](ctx, s, func(q *bun.SelectQuery) *bun.SelectQuery { return eventTypeFilter(q, f) })
}

// Member change logs related to a member are two index ranges: entries the
// member performed (by actor) and entries done to the member (by resource).
// Each limb is scanned in order and the two are merged; an entry that is both
// is taken from the first limb only (the resource limb leaves out the
// member's own entries), so the limbs never overlap and their counts add up.
//
// Both indexes also hold every column the limbs filter on (INCLUDE on
// PostgreSQL, trailing key columns on SQLite). A count is therefore an
// index-only scan of each limb, and so is the first phase of a skip/take
// page: the merge finds the page's (created_at, id), skipping the offset, in
// the indexes alone, and only the page's own rows are then read, by primary
// key, in the same statement. A skip of 50,000 entries so reads 50,000 narrow
// index tuples instead of 50,000 rows with their changes. Index-only scans
// rely on the visibility map, which VACUUM (autovacuum: on inserts too) sets;
// on pages it has not set yet they read the rows as well.

func changeLogFilters(q *bun.SelectQuery, f model.MemberChangeLogFilter) *bun.SelectQuery {
	q = timeRange(q, f.TimeRange)
	if f.Action != "" {
		q = q.Where("h.action = ?", f.Action)
	}
	if f.ResourceType != "" {
		q = q.Where("h.resource_type = ?", f.ResourceType)
	}
	if f.ActorUserID != 0 {
		q = q.Where("h.actor_user_id = ?", f.ActorUserID)
	}
	return q
}

func byActor(q *bun.SelectQuery, f model.MemberChangeLogFilter) *bun.SelectQuery {
	return q.Where("h.organization_id = ?", f.OrganizationID).Where("h.actor_user_id = ?", f.UserID)
}

func byResource(q *bun.SelectQuery, f model.MemberChangeLogFilter) *bun.SelectQuery {
	return q.Where("h.organization_id = ?", f.OrganizationID).
		Where("h.resource_type = ?", model.ResourceOrganizationUser).
		Where("h.resource_id = ?", f.UserPublicID).
		Where("h.actor_user_id <> ?", f.UserID)
}

func changeLogScope(f model.MemberChangeLogFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("h.organization_id = ?", f.OrganizationID).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("h.actor_user_id = ?", f.UserID).WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("h.resource_type = ?", model.ResourceOrganizationUser).Where("h.resource_id = ?", f.UserPublicID)
			})
		})
	}
}

// changeLogLimb adds the scope of one limb to a query.
type changeLogLimb func(*bun.SelectQuery, model.MemberChangeLogFilter) *bun.SelectQuery

// skipped is the number of entries a page skips: forward pages only.
func skipped(p model.PageArgs) int {
	if p.Backward {
		return 0
	}
	return p.Offset
}

// changeLogMerge merges the limbs in page order and applies the offset and
// the limit of the page. Each limb is read in order up to offset+limit+1
// entries, the most a merge can take from one limb. The limbs select whole
// rows, or with keysOnly only (created_at, id), which the indexes hold.
func (s *Store) changeLogMerge(f model.MemberChangeLogFilter, p model.PageArgs, anchor *bun.SelectQuery, keysOnly bool) *bun.RawQuery {
	limb := func(where changeLogLimb) *bun.SelectQuery {
		q := s.idb.NewSelect().Model((*changeLogRow)(nil))
		if keysOnly {
			q = q.Column("created_at", "id")
		}
		lp := p
		lp.Limit, lp.Offset = p.Limit+skipped(p), 0
		return keyset(changeLogFilters(where(q, f), f), lp, anchor)
	}
	return s.idb.NewRaw("SELECT * FROM (SELECT * FROM (?) AS a UNION ALL SELECT * FROM (?) AS b) AS h ORDER BY "+changeLogOrder("h", p)+" LIMIT ? OFFSET ?",
		limb(byActor), limb(byResource), p.Limit+1, skipped(p))
}

// changeLogOrder is the page order over the columns of the relation alias.
func changeLogOrder(alias string, p model.PageArgs) string {
	if p.Backward {
		return alias + ".created_at ASC, " + alias + ".id ASC"
	}
	return alias + ".created_at DESC, " + alias + ".id DESC"
}

// MemberChangeLogs reads one page of the change logs related to a member.
//
// A page without an offset reads only its own rows (and one more) from each
// limb, in one phase. A skip/take page is read in two: the keys of its
// entries from the indexes alone, then their rows by primary key. The keys
// come in page order, which the join (a nested loop over the keys) keeps, so
// it needs no sort.
func (s *Store) MemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter, p model.PageArgs) (model.Page[model.MemberChangeLog], error) {
	table := model.MemberChangeLogsKind.Table
	anchor := s.pageAnchor(table, p, changeLogScope(f))
	var rows []changeLogRow
	var err error
	if skipped(p) > 0 {
		err = s.idb.NewSelect().Model(&rows).
			Join("JOIN (?) AS page ON page.id = h.id", s.changeLogMerge(f, p, anchor, true)).
			OrderExpr(changeLogOrder("page", p)).
			Scan(ctx)
	} else {
		err = s.changeLogMerge(f, p, anchor, false).Scan(ctx, &rows)
	}
	if err != nil {
		return model.Page[model.MemberChangeLog]{}, err
	}
	if err := s.checkAnchor(ctx, table, p, len(rows), changeLogScope(f)); err != nil {
		return model.Page[model.MemberChangeLog]{}, err
	}
	return finish(unwrap(rows, func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog }), p), nil
}

// CountMemberChangeLogs counts all change logs related to the member matching
// f: the sum of the two limbs' counts, each an index-only scan.
func (s *Store) CountMemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter) (int, error) {
	count := func(where changeLogLimb) *bun.SelectQuery {
		return changeLogFilters(where(s.idb.NewSelect().Model((*changeLogRow)(nil)), f), f).ColumnExpr("count(*)")
	}
	var n int
	err := s.idb.NewRaw("SELECT (?) + (?)", count(byActor), count(byResource)).Scan(ctx, &n)
	return n, err
}
