package db

import (
	"context"
	"fmt"
	"reflect"

	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// Bulk loading for `auditgraph import`. Entries must carry an idempotency key:
// a key already stored, or repeated within the load, is skipped, which is what
// makes importing the same file twice store every entry once. Each call is one
// transaction and returns how many entries were stored.
//
// PostgreSQL gets COPY straight into the table, several times faster than
// multi-row INSERTs. COPY cannot skip conflicting rows, so a batch with a
// duplicate fails it and goes instead through a temporary staging table
// followed by one INSERT … SELECT … ON CONFLICT DO NOTHING, which writes each
// row twice. SQLite has no COPY; multi-row INSERTs in one transaction are its
// fastest path.

// sqliteMaxVariables is SQLite's default bound on the parameters of one
// statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
const sqliteMaxVariables = 32766

// CopyAttributeHistory bulk-loads attribute assignment entries.
func (s *Store) CopyAttributeHistory(ctx context.Context, entries []model.AttributeAssignmentEntry) (int64, error) {
	return copyHistory(ctx, s, attributeHistoryRows, entries)
}

// CopyEventTypeHistory bulk-loads event type entries.
func (s *Store) CopyEventTypeHistory(ctx context.Context, entries []model.EventTypeEntry) (int64, error) {
	return copyHistory(ctx, s, eventTypeHistoryRows, entries)
}

// CopyMemberChangeLogs bulk-loads member change logs.
func (s *Store) CopyMemberChangeLogs(ctx context.Context, entries []model.MemberChangeLog) (int64, error) {
	return copyHistory(ctx, s, changeLogRows, entries)
}

// copyRows bulk-loads rows into kind's table, with their integrity log
// items; id names a row's entry for the live subscribers. The columns and
// their values are read from the row type's bun model, the one declaration
// of a history's columns, so a column added to an entry type is loaded
// without naming it here. uuidIDs says the table's id column is a uuid,
// which pgx's binary COPY takes as 16 bytes.
func copyRows[R any](ctx context.Context, s *Store, kind *model.HistoryKind, uuidIDs bool, items []leafItem, rows []R, id func(*R) string) (int64, error) {
	fields := s.db.DB.Dialect().Tables().Get(reflect.TypeFor[R]()).Fields
	if s.dialect != Postgres {
		return sqliteInsert(ctx, s, rows, len(fields), items)
	}
	columns := make([]string, len(fields))
	for j, f := range fields {
		columns[j] = f.Name
	}
	return s.pgCopy(ctx, kind.Table, kind.Cursor, columns, len(rows), func(i int) string { return id(&rows[i]) }, items, func(i int) ([]any, error) {
		rv := reflect.ValueOf(&rows[i]).Elem()
		values := make([]any, len(fields))
		for j, f := range fields {
			values[j] = f.Value(rv).Interface()
			if uuidIDs && f.Name == "id" {
				id, err := uuidBytes(values[j].(string))
				if err != nil {
					return nil, err
				}
				values[j] = id
			}
		}
		return values, nil
	})
}

// stored returns the entries in their stored form, leaving the caller's
// slice as it was.
func stored[T any](entries []T, form func(T) T) []T {
	out := make([]T, len(entries))
	for i, e := range entries {
		out[i] = form(e)
	}
	return out
}

// uuidBytes gives pgx's binary COPY the 16 bytes a uuid column takes; it
// has no binary encoding for the text form.
func uuidBytes(id string) ([16]byte, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return [16]byte{}, fmt.Errorf("entry id %q: %w", id, err)
	}
	return [16]byte(u), nil
}

// pgCopy copies n rows into table, appends the items of the rows stored
// to the integrity log and announces them on the live channel, in one
// transaction.
func (s *Store) pgCopy(ctx context.Context, table, kind string, columns []string, n int, id func(int) string, items []leafItem, row func(int) ([]any, error)) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var inserted int64
	err = conn.Raw(func(driverConn any) error {
		tx, err := driverConn.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		b := &copyBatch{tx: tx, table: table, kind: kind, columns: columns, n: n, row: row}
		// A batch without duplicates (a first import) goes straight into the
		// table. A duplicate idempotency key, with what is stored or within
		// the batch, fails that COPY: the batch then goes through a staging
		// table, whose rows are inserted skipping the duplicates.
		if _, err := tx.Exec(ctx, "SAVEPOINT direct_copy"); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{table}, columns, b.source())
		if err == nil {
			inserted = int64(n)
			ids := make([]string, n)
			for i := range ids {
				ids[i] = id(i)
			}
			return b.finish(ctx, ids, items)
		}
		if !isUniqueViolation(err) {
			return err
		}
		ids, err := b.staged(ctx)
		if err != nil {
			return err
		}
		inserted = int64(len(ids))
		return b.finish(ctx, ids, only(items, ids))
	})
	return inserted, conflict(err)
}

// copyBatch is one COPY of n rows into table, in the transaction tx.
type copyBatch struct {
	tx      pgx.Tx
	table   string
	kind    string // the cursor kind, for the live notifications
	columns []string
	n       int
	row     func(int) ([]any, error)
}

// source yields the batch's rows, from the first each time it is called.
func (b *copyBatch) source() pgx.CopyFromSource {
	i := 0
	return pgx.CopyFromFunc(func() ([]any, error) {
		if i == b.n {
			return nil, nil
		}
		v, err := b.row(i)
		i++
		return v, err
	})
}

// staged loads the batch through a staging table after the direct COPY
// failed on a duplicate, skipping the entries stored already, and returns
// the ids of those inserted.
func (b *copyBatch) staged(ctx context.Context) ([]string, error) {
	if _, err := b.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT direct_copy"); err != nil {
		return nil, err
	}
	stage := pgx.Identifier{"import_" + b.table}.Sanitize()
	if _, err := b.tx.Exec(ctx, "CREATE TEMP TABLE "+stage+" (LIKE "+b.table+") ON COMMIT DROP"); err != nil {
		return nil, err
	}
	if _, err := b.tx.CopyFrom(ctx, pgx.Identifier{"import_" + b.table}, b.columns, b.source()); err != nil {
		return nil, err
	}
	// No conflict target: an entry whose id is stored already (an export
	// imported back into its own database) is skipped too. The staging
	// table keeps the batch's order, which the log follows.
	res, err := b.tx.Query(ctx, "INSERT INTO "+b.table+" SELECT * FROM "+stage+" ON CONFLICT DO NOTHING RETURNING id::text")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(res, pgx.RowTo[string])
}

// finish announces the entries inserted, appends their log items and
// commits. Announced before the log's append: notifications are sent at
// commit either way, and the append holds its streams' locks to the
// commit, which other writers wait for.
func (b *copyBatch) finish(ctx context.Context, ids []string, items []leafItem) error {
	if err := b.announce(ctx, ids); err != nil {
		return err
	}
	if err := appendLog(ctx, pgxLog{tx: b.tx}, items); err != nil {
		return err
	}
	return b.tx.Commit(ctx)
}

// announce sends the entries stored on the live channel, inside the
// transaction (see live.go). All of a batch's notifications go in one
// statement, in their order: one round trip instead of one per 180
// entries.
func (b *copyBatch) announce(ctx context.Context, ids []string) error {
	ms := chunks(b.kind, ids)
	if len(ms) == 0 {
		return nil
	}
	payloads := make([]string, len(ms))
	for i, m := range ms {
		payloads[i] = m.payload()
	}
	_, err := b.tx.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", LiveChannel, payloads)
	return err
}

func sqliteInsert[R any](ctx context.Context, s *Store, rows []R, columns int, items []leafItem) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	chunk := sqliteMaxVariables / columns
	var inserted int64
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []string
		for start := 0; start < len(rows); start += chunk {
			part := rows[start:min(start+chunk, len(rows))]
			var stored []string
			if _, err := tx.NewInsert().Model(&part).On("CONFLICT DO NOTHING").
				Returning("id").Exec(ctx, &stored); err != nil {
				return err
			}
			ids = append(ids, stored...)
		}
		inserted = int64(len(ids))
		if s.noLog {
			return nil
		}
		return appendLog(ctx, bunLog{tx: tx, dialect: s.dialect}, only(items, ids))
	})
	return inserted, conflict(err)
}
