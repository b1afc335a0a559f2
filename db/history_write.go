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

func appendRows[R any, T any](ctx context.Context, s *Store, rows []R,
	key func(*T) *string, get func(*R) T) ([]T, error) {
	out := unwrap(rows, get)
	if len(rows) == 0 {
		return out, nil
	}
	err := s.InTx(ctx, func(ms model.Store) error {
		tx := ms.(*Store).idb
		if _, err := tx.NewInsert().Model(&rows).
			On("CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING").
			Exec(ctx); err != nil {
			return err
		}
		var keys []string
		for i := range out {
			if k := key(&out[i]); k != nil {
				keys = append(keys, *k)
			}
		}
		if len(keys) == 0 {
			return nil
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
		return nil
	})
	return out, err
}

// AppendAttributeHistory appends attribute assignment entries.
func (s *Store) AppendAttributeHistory(ctx context.Context, entries []model.AttributeAssignmentEntry) ([]model.AttributeAssignmentEntry, error) {
	return appendRows(ctx, s, unwrap(entries, attributeEntryRowOf),
		func(e *model.AttributeAssignmentEntry) *string { return e.IdempotencyKey },
		func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry })
}

// AppendEventTypeHistory appends event type entries.
func (s *Store) AppendEventTypeHistory(ctx context.Context, entries []model.EventTypeEntry) ([]model.EventTypeEntry, error) {
	return appendRows(ctx, s, unwrap(entries, eventTypeEntryRowOf),
		func(e *model.EventTypeEntry) *string { return e.IdempotencyKey },
		func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry })
}

// AppendMemberChangeLogs appends member change logs.
func (s *Store) AppendMemberChangeLogs(ctx context.Context, entries []model.MemberChangeLog) ([]model.MemberChangeLog, error) {
	return appendRows(ctx, s, unwrap(entries, changeLogRowOf),
		func(e *model.MemberChangeLog) *string { return e.IdempotencyKey },
		func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog })
}
