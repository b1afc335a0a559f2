package db

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/auditgraph/auditgraph/model"
)

// The hottest read, a page of one event type's history with no filter, is
// a prepared statement on PostgreSQL: planned once per connection and sent
// with real parameters (pgx's extended protocol), where every other
// statement is text interpolated by bun and sent with the simple protocol
// (see Open). Only the fixed texts below are ever prepared, five at most,
// so pgx's per-connection statement cache (capped at preparedCacheSize)
// cannot grow with what callers send.
//
// Every other read, filtered pages, SQLite, and reads inside a
// transaction, keeps bun's path; TestPreparedEventTypePage checks both paths
// return the same entries.

// preparedCacheSize caps pgx's per-connection statement cache: the prepared
// page statements and room to spare. pgx evicts (and deallocates) the least
// recently used beyond it.
const preparedCacheSize = 16

// eventTypePageTemplates are the page statements by direction and cursor,
// with bun's positional placeholders: ?0 the event type, ?1 the limit, ?2
// the cursor entry's id, ?3 its timestamp. The cursor's entry is looked up
// first (anchorTemplate) unless known: entries never change, so what a
// cursor names is a fact that can be kept for good.
var eventTypePageTemplates = map[[2]bool]string{
	// {backward, cursor}
	{false, false}: `WHERE h.event_type_id = ?0 ORDER BY h.created_at DESC, h.id DESC LIMIT ?1`,
	{true, false}:  `WHERE h.event_type_id = ?0 ORDER BY h.created_at ASC, h.id ASC LIMIT ?1`,
	{false, true}:  `WHERE h.event_type_id = ?0 AND (h.created_at, h.id) < (?3, ?2) ORDER BY h.created_at DESC, h.id DESC LIMIT ?1`,
	{true, true}:   `WHERE h.event_type_id = ?0 AND (h.created_at, h.id) > (?3, ?2) ORDER BY h.created_at ASC, h.id ASC LIMIT ?1`,
}

// anchorTemplate reads what a cursor names: its entry's event type and
// timestamp.
const anchorTemplate = `SELECT a.event_type_id, a.created_at FROM event_type_history AS a WHERE a.id = ?0`

// anchorCacheSize bounds the cursors kept (about 100 bytes each).
const anchorCacheSize = 16_384

type anchor struct {
	eventTypeID int64
	at          time.Time
}

type preparedText struct {
	template string // bun's placeholders, formatted for the query hooks
	sql      string // PostgreSQL's $n placeholders, prepared
}

var (
	preparedOnce  sync.Once
	preparedTexts map[[2]bool]preparedText
	positional    = regexp.MustCompile(`\?(\d)`)
)

// eventTypePageTexts builds the statements once: the select list is bun's
// own for the entry row, so both paths scan the same columns.
func eventTypePageTexts(d *bun.DB) map[[2]bool]preparedText {
	preparedOnce.Do(func() {
		head := d.NewSelect().Model((*eventTypeEntryRow)(nil)).String()
		preparedTexts = map[[2]bool]preparedText{}
		for k, where := range eventTypePageTemplates {
			preparedTexts[k] = newPreparedText(head + " " + where)
		}
		anchorText = newPreparedText(anchorTemplate)
	})
	return preparedTexts
}

var anchorText preparedText

func newPreparedText(tmpl string) preparedText {
	sql := positional.ReplaceAllStringFunc(tmpl, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		return "$" + strconv.Itoa(n+1)
	})
	return preparedText{template: tmpl, sql: sql}
}

// plainEventTypePage reports whether the page read is the one prepared.
func (s *Store) plainEventTypePage(f model.EventTypeHistoryFilter, p model.PageArgs) bool {
	return s.dialect == Postgres && !s.inTx && !s.db.simpleOnly &&
		f.TimeRange.From == nil && f.TimeRange.To == nil && len(f.Actions) == 0 && f.ActorType == "" && f.ActorRef == "" &&
		p.Offset == 0
}

// preparedEventTypePage reads the rows of a plain event type page through
// the prepared statement. The query hooks see it like any other statement,
// its text with the values in place. A cursor that names no entry of the
// event type is BAD_USER_INPUT, as on bun's path.
func (s *Store) preparedEventTypePage(ctx context.Context, f model.EventTypeHistoryFilter, p model.PageArgs) ([]eventTypeEntryRow, error) {
	text := eventTypePageTexts(s.db.DB)[[2]bool{p.Backward, p.Cursor != ""}]
	args := []any{f.EventTypeID, p.Limit + 1}
	if p.Cursor != "" {
		a, err := s.anchor(ctx, p.Cursor)
		if err != nil {
			return nil, err
		}
		if a.eventTypeID != f.EventTypeID {
			return nil, errForeignCursor()
		}
		args = append(args, p.Cursor, a.at)
	}
	var rows []eventTypeEntryRow
	err := s.db.withHooks(ctx, text.template, args, func(ctx context.Context) error {
		r, err := s.db.DB.DB.QueryContext(ctx, text.sql, append([]any{pgx.QueryExecModeCacheStatement}, args...)...)
		if err != nil {
			return err
		}
		return s.db.DB.ScanRows(ctx, r, &rows)
	})
	// The page's ends are the cursors of the next pages either way.
	if n := len(rows); n > 0 {
		for _, r := range []*eventTypeEntryRow{&rows[0], &rows[n-1]} {
			s.db.anchors.Add(r.ID, anchor{eventTypeID: r.EventTypeID, at: r.Timestamp})
		}
	}
	return rows, err
}

func errForeignCursor() error {
	return model.InvalidField("cursor", nil, "cursor does not name an entry of this history")
}

// anchor returns what the cursor id names, from memory when it was read
// before.
func (s *Store) anchor(ctx context.Context, id string) (anchor, error) {
	if a, ok := s.db.anchors.Get(id); ok {
		return a, nil
	}
	var a anchor
	found := false
	err := s.db.withHooks(ctx, anchorText.template, []any{id}, func(ctx context.Context) error {
		r, err := s.db.DB.DB.QueryContext(ctx, anchorText.sql, pgx.QueryExecModeCacheStatement, id)
		if err != nil {
			return err
		}
		defer r.Close()
		if r.Next() {
			found = true
			if err := r.Scan(&a.eventTypeID, &a.at); err != nil {
				return err
			}
		}
		return r.Err()
	})
	if err != nil {
		return a, err
	}
	if !found {
		return a, errForeignCursor()
	}
	s.db.anchors.Add(id, a)
	return a, nil
}

// AddQueryHook adds a hook to every statement, the prepared ones included.
func (d *DB) AddQueryHook(h bun.QueryHook) {
	d.hooks = append(d.hooks, h)
	// Stores made from d before share this bun.DB, and must see the hook:
	// WithQueryHook would leave them a copy without it.
	d.DB.AddQueryHook(h) //lint:ignore SA1019 the hook joins the shared bun.DB in place
}

// withHooks runs fn as one statement for the query hooks: template formatted
// with args is the text they see.
func (d *DB) withHooks(ctx context.Context, template string, args []any, fn func(context.Context) error) error {
	if len(d.hooks) == 0 {
		return fn(ctx)
	}
	ev := &bun.QueryEvent{DB: d.DB, QueryTemplate: template, QueryArgs: args,
		Query: d.DB.QueryGen().FormatQuery(template, args...), StartTime: time.Now()}
	for _, h := range d.hooks {
		ctx = h.BeforeQuery(ctx, ev)
	}
	ev.Err = fn(ctx)
	for i := len(d.hooks) - 1; i >= 0; i-- {
		d.hooks[i].AfterQuery(ctx, ev)
	}
	return ev.Err
}
