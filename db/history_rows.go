package db

import (
	"context"

	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// historyRows is what the writes need to know of one history, declared
// once per history: its kind, its row type R around the entry type T, the
// entry's stored form (what the integrity log encodes is what the database
// gives back) and its log leaves. The appends and the bulk copies of every
// history go through appendHistory and copyHistory with it.
type historyRows[T, R any] struct {
	kind *model.HistoryKind
	// uuidIDs says the table's id column is a uuid, which pgx's binary
	// COPY takes as 16 bytes.
	uuidIDs bool
	stored  func(T) T
	wrap    func(T) R
	entry   func(*R) T
	id      func(*R) string
	key     func(*T) *string // the idempotency key
	leaves  func(s *Store, ctx context.Context, idb bun.IDB, entries []T) ([]leafItem, error)
}

var attributeHistoryRows = &historyRows[model.AttributeAssignmentEntry, attributeEntryRow]{
	kind: model.AttributeHistoryKind, uuidIDs: true, stored: storedAttribute,
	wrap: func(e model.AttributeAssignmentEntry) attributeEntryRow {
		return attributeEntryRow{AttributeAssignmentEntry: e}
	},
	entry: func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry },
	id:    func(r *attributeEntryRow) string { return r.ID },
	key:   func(e *model.AttributeAssignmentEntry) *string { return e.IdempotencyKey },
	leaves: func(_ *Store, _ context.Context, _ bun.IDB, es []model.AttributeAssignmentEntry) ([]leafItem, error) {
		return attributeLeaves(es), nil
	},
}

var eventTypeHistoryRows = &historyRows[model.EventTypeEntry, eventTypeEntryRow]{
	kind: model.EventTypeHistoryKind, uuidIDs: true, stored: storedEventType,
	wrap:   func(e model.EventTypeEntry) eventTypeEntryRow { return eventTypeEntryRow{EventTypeEntry: e} },
	entry:  func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry },
	id:     func(r *eventTypeEntryRow) string { return r.ID },
	key:    func(e *model.EventTypeEntry) *string { return e.IdempotencyKey },
	leaves: (*Store).eventTypeLeaves,
}

var changeLogRows = &historyRows[model.MemberChangeLog, changeLogRow]{
	kind: model.MemberChangeLogsKind, uuidIDs: false, stored: storedChangeLog,
	wrap:  func(e model.MemberChangeLog) changeLogRow { return changeLogRow{MemberChangeLog: e} },
	entry: func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog },
	id:    func(r *changeLogRow) string { return r.ID },
	key:   func(e *model.MemberChangeLog) *string { return e.IdempotencyKey },
	leaves: func(_ *Store, _ context.Context, _ bun.IDB, es []model.MemberChangeLog) ([]leafItem, error) {
		return changeLogLeaves(es), nil
	},
}

// appendHistory appends entries to h's history (see appendRows).
func appendHistory[T, R any](ctx context.Context, s *Store, h *historyRows[T, R], entries []T) ([]T, error) {
	rows := make([]R, len(entries))
	for i, e := range entries {
		rows[i] = h.wrap(h.stored(e))
	}
	return appendRows(ctx, s, h.kind.Cursor, rows, h.key, h.entry,
		func(ctx context.Context, idb bun.IDB, es []T) ([]leafItem, error) { return h.leaves(s, ctx, idb, es) })
}

// copyHistory bulk-loads entries into h's history (see copyRows).
func copyHistory[T, R any](ctx context.Context, s *Store, h *historyRows[T, R], entries []T) (int64, error) {
	entries = stored(entries, h.stored)
	var items []leafItem
	if !s.noLog {
		var err error
		if items, err = h.leaves(s, ctx, s.idb, entries); err != nil {
			return 0, err
		}
	}
	return copyRows(ctx, s, h.kind, h.uuidIDs, items, unwrap(entries, func(e *T) R { return h.wrap(*e) }), h.id)
}
