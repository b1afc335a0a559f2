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
	q = timeRange(attributeScope(f)(q), f.TimeRange)
	if f.ActorType != "" {
		q = q.Where("h.actor_type = ?", f.ActorType)
	}
	if f.ActorRef != "" {
		q = q.Where("h.actor_ref = ?", f.ActorRef)
	}
	if f.Source != "" {
		q = q.Where("h.source = ?", f.Source)
	}
	return q
}

// AttributeHistory reads one page of a member's attribute assignment history.
func (s *Store) AttributeHistory(ctx context.Context, f model.AttributeHistoryFilter, p model.PageArgs) (model.Page[model.AttributeAssignmentEntry], error) {
	const table = "attribute_assignment_history"
	var rows []attributeEntryRow
	q := keyset(attributeFilter(s.idb.NewSelect().Model(&rows), f), p, s.pageAnchor(table, p, attributeScope(f)))
	if err := q.Scan(ctx); err != nil {
		return model.Page[model.AttributeAssignmentEntry]{}, err
	}
	if err := s.checkAnchor(ctx, table, p, len(rows), attributeScope(f)); err != nil {
		return model.Page[model.AttributeAssignmentEntry]{}, err
	}
	return finish(unwrap(rows, func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry }), p), nil
}

// CountAttributeHistory counts the entries matching f.
func (s *Store) CountAttributeHistory(ctx context.Context, f model.AttributeHistoryFilter) (int, error) {
	n, err := attributeFilter(s.idb.NewSelect().Model((*attributeEntryRow)(nil)), f).Count(ctx)
	return int(n), err
}

func eventTypeScope(f model.EventTypeHistoryFilter) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("h.event_type_id = ?", f.EventTypeID) }
}

func eventTypeFilter(q *bun.SelectQuery, f model.EventTypeHistoryFilter) *bun.SelectQuery {
	q = timeRange(eventTypeScope(f)(q), f.TimeRange)
	if len(f.Actions) > 0 {
		q = q.Where("h.action IN (?)", bun.In(f.Actions))
	}
	if f.ActorType != "" {
		q = q.Where("h.actor_type = ?", f.ActorType)
	}
	if f.ActorRef != "" {
		q = q.Where("h.actor_ref = ?", f.ActorRef)
	}
	return q
}

// EventTypeHistory reads one page of an event type's history.
func (s *Store) EventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter, p model.PageArgs) (model.Page[model.EventTypeEntry], error) {
	const table = "event_type_history"
	var rows []eventTypeEntryRow
	q := keyset(eventTypeFilter(s.idb.NewSelect().Model(&rows), f), p, s.pageAnchor(table, p, eventTypeScope(f)))
	if err := q.Scan(ctx); err != nil {
		return model.Page[model.EventTypeEntry]{}, err
	}
	if err := s.checkAnchor(ctx, table, p, len(rows), eventTypeScope(f)); err != nil {
		return model.Page[model.EventTypeEntry]{}, err
	}
	return finish(unwrap(rows, func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry }), p), nil
}

// CountEventTypeHistory counts the entries matching f.
func (s *Store) CountEventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter) (int, error) {
	n, err := eventTypeFilter(s.idb.NewSelect().Model((*eventTypeEntryRow)(nil)), f).Count(ctx)
	return int(n), err
}

// Member change logs related to a member are two index ranges: entries the
// member performed (by actor) and entries done to the member (by resource).
// Each limb is scanned in order and the two are merged; an entry that is both
// is taken from the first limb only.

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

// MemberChangeLogs reads one page of the change logs related to a member.
func (s *Store) MemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter, p model.PageArgs) (model.Page[model.MemberChangeLog], error) {
	const table = "member_change_logs"
	anchor := s.pageAnchor(table, p, changeLogScope(f))
	limb := func(where func(*bun.SelectQuery, model.MemberChangeLogFilter) *bun.SelectQuery) *bun.SelectQuery {
		lp := p
		lp.Limit, lp.Offset = p.Limit+p.Offset, 0
		return keyset(changeLogFilters(where(s.idb.NewSelect().Model((*changeLogRow)(nil)), f), f), lp, anchor)
	}
	order := "created_at DESC, id DESC"
	if p.Backward {
		order = "created_at ASC, id ASC"
	}
	offset := 0
	if !p.Backward {
		offset = p.Offset
	}
	var rows []changeLogRow
	err := s.idb.NewRaw("SELECT * FROM (SELECT * FROM (?) AS a UNION ALL SELECT * FROM (?) AS b) AS h ORDER BY "+order+" LIMIT ? OFFSET ?",
		limb(byActor), limb(byResource), p.Limit+1, offset).Scan(ctx, &rows)
	if err != nil {
		return model.Page[model.MemberChangeLog]{}, err
	}
	if err := s.checkAnchor(ctx, table, p, len(rows), changeLogScope(f)); err != nil {
		return model.Page[model.MemberChangeLog]{}, err
	}
	return finish(unwrap(rows, func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog }), p), nil
}

// CountMemberChangeLogs counts all change logs related to the member matching f.
func (s *Store) CountMemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter) (int, error) {
	count := func(where func(*bun.SelectQuery, model.MemberChangeLogFilter) *bun.SelectQuery) *bun.SelectQuery {
		return changeLogFilters(where(s.idb.NewSelect().Model((*changeLogRow)(nil)), f), f).ColumnExpr("count(*)")
	}
	var n int
	err := s.idb.NewRaw("SELECT (?) + (?)", count(byActor), count(byResource)).Scan(ctx, &n)
	return n, err
}
