package db

import (
	"context"

	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// Appends insert a batch in one transaction. Entries whose idempotency key is
// already stored are skipped by the unique index (ON CONFLICT DO NOTHING, so
// concurrent retries cannot both insert), and the stored entry is returned in
// their place.

// The entries actually inserted are announced on the live channel (see
// live.go): inside the transaction on PostgreSQL, after it on SQLite.
func appendRows[R any, T any](ctx context.Context, s *Store, kind string, rows []R,
	key func(*T) *string, id func(*T) string, get func(*R) T) ([]T, error) {
	out := unwrap(rows, get)
	if len(rows) == 0 {
		return out, nil
	}
	// The ids sent, before the insert: bun may scan what the database
	// returns back into rows.
	sent := make([]string, len(out))
	for i := range out {
		sent[i] = id(&out[i])
	}
	var inserted []string
	err := s.InTx(ctx, func(ms model.Store) error {
		tx := ms.(*Store).idb
		if _, err := tx.NewInsert().Model(&rows).
			On("CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING").
			Exec(ctx); err != nil {
			return err
		}
		announce := func() error {
			inserted = inserted[:0]
			for i := range out {
				if id(&out[i]) == sent[i] {
					inserted = append(inserted, sent[i])
				}
			}
			return s.notify(ctx, tx, kind, inserted)
		}
		var keys []string
		for i := range out {
			if k := key(&out[i]); k != nil {
				keys = append(keys, *k)
			}
		}
		if len(keys) == 0 {
			return announce()
		}
		var stored []R
		if err := tx.NewSelect().Model(&stored).Where("h.idempotency_key IN (?)", bun.List(keys)).Scan(ctx); err != nil {
			return err
		}
		byKey := make(map[string]T, len(stored))
		for i := range stored {
			t := get(&stored[i])
			byKey[*key(&t)] = t
		}
		for i := range out {
			if k := key(&out[i]); k != nil {
				if t, ok := byKey[*k]; ok {
					out[i] = t
				}
			}
		}
		return announce()
	})
	if err == nil {
		s.publish(kind, inserted)
	}
	return out, err
}

// AppendAttributeHistory appends attribute assignment entries.
func (s *Store) AppendAttributeHistory(ctx context.Context, entries []model.AttributeAssignmentEntry) ([]model.AttributeAssignmentEntry, error) {
	return appendRows(ctx, s, model.CursorAttributeHistory, unwrap(entries, attributeEntryRowOf),
		func(e *model.AttributeAssignmentEntry) *string { return e.IdempotencyKey },
		func(e *model.AttributeAssignmentEntry) string { return e.ID },
		func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry })
}

// AppendEventTypeHistory appends event type entries.
func (s *Store) AppendEventTypeHistory(ctx context.Context, entries []model.EventTypeEntry) ([]model.EventTypeEntry, error) {
	return appendRows(ctx, s, model.CursorEventTypeHistory, unwrap(entries, eventTypeEntryRowOf),
		func(e *model.EventTypeEntry) *string { return e.IdempotencyKey },
		func(e *model.EventTypeEntry) string { return e.ID },
		func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry })
}

// AppendMemberChangeLogs appends member change logs.
func (s *Store) AppendMemberChangeLogs(ctx context.Context, entries []model.MemberChangeLog) ([]model.MemberChangeLog, error) {
	return appendRows(ctx, s, model.CursorMemberChangeLogs, unwrap(entries, changeLogRowOf),
		func(e *model.MemberChangeLog) *string { return e.IdempotencyKey },
		func(e *model.MemberChangeLog) string { return e.ID },
		func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog })
}
