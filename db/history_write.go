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

// The entries stored (not those skipped) get their positions in the
// integrity log in the same transaction, and are announced on the live
// channel (see live.go): inside the transaction on PostgreSQL, after it on
// SQLite.
func appendRows[R any, T any](ctx context.Context, s *Store, kind string, rows []R,
	key func(*T) *string, get func(*R) T,
	leaves func(context.Context, bun.IDB, []T) ([]leafItem, error)) ([]T, error) {
	out := unwrap(rows, get)
	if len(rows) == 0 {
		return out, nil
	}
	var inserted []string
	err := s.InTx(ctx, func(ms model.Store) error {
		tx := ms.(*Store).idb
		var items []leafItem
		if !s.noLog {
			var err error
			if items, err = leaves(ctx, tx, out); err != nil {
				return err
			}
		}
		var stored []string
		if _, err := tx.NewInsert().Model(&rows).
			On("CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING").
			Returning("id").Exec(ctx, &stored); err != nil {
			return err
		}
		if !s.noLog {
			if err := appendLog(ctx, bunLog{tx: tx, dialect: s.dialect}, only(items, stored)); err != nil {
				return err
			}
		}
		announce := func() error {
			inserted = stored
			return s.notify(ctx, tx, kind, stored)
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
		var existing []R
		if err := tx.NewSelect().Model(&existing).Where("h.idempotency_key IN (?)", bun.List(keys)).Scan(ctx); err != nil {
			return err
		}
		byKey := make(map[string]T, len(existing))
		for i := range existing {
			t := get(&existing[i])
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
	return appendHistory(ctx, s, attributeHistoryRows, entries)
}

// AppendEventTypeHistory appends event type entries.
func (s *Store) AppendEventTypeHistory(ctx context.Context, entries []model.EventTypeEntry) ([]model.EventTypeEntry, error) {
	return appendHistory(ctx, s, eventTypeHistoryRows, entries)
}

// AppendMemberChangeLogs appends member change logs.
func (s *Store) AppendMemberChangeLogs(ctx context.Context, entries []model.MemberChangeLog) ([]model.MemberChangeLog, error) {
	return appendHistory(ctx, s, changeLogRows, entries)
}
