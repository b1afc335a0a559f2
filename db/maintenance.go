package db

import (
	"context"
	"fmt"
	"time"
)

// HistoryTables are the three append-only history tables.
var HistoryTables = []string{"event_type_history", "attribute_assignment_history", "member_change_logs"}

// TableVisibility is how much of a table index-only scans can read without
// visiting the heap.
type TableVisibility struct {
	Table             string
	Pages, AllVisible int
}

// VacuumAnalyze refreshes the visibility map and the planner statistics of
// tables after a bulk load, as autovacuum keeps them on a live database, and
// reports each table's all-visible pages (PostgreSQL; SQLite only
// analyzes).
//
// On a server running with synchronous_commit off, VACUUM does not set the
// commit hint bit of a row while the commit record of the row's transaction,
// or of a later transaction near it in the commit log (an ANALYZE, say: the
// commit log keeps one LSN per group of 32 transactions), is not flushed;
// and a page with a row without that hint is left out of the visibility map,
// so index-only scans of it fetch every row from the heap. Hence: wait for
// the WAL to be flushed, VACUUM every table (which commits nothing), then
// ANALYZE.
func (d *DB) VacuumAnalyze(ctx context.Context, tables ...string) ([]TableVisibility, error) {
	if d.Dialect != Postgres {
		for _, t := range tables {
			if _, err := d.ExecContext(ctx, "ANALYZE "+t); err != nil {
				return nil, fmt.Errorf("analyze %s: %w", t, err)
			}
		}
		return nil, nil
	}
	if err := d.waitWALFlush(ctx); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := d.ExecContext(ctx, "VACUUM "+t); err != nil {
			return nil, fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	out := make([]TableVisibility, 0, len(tables))
	for _, t := range tables {
		if _, err := d.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
		v := TableVisibility{Table: t}
		if err := d.QueryRowContext(ctx, "SELECT relpages, relallvisible FROM pg_class WHERE oid = ?::regclass", t).Scan(&v.Pages, &v.AllVisible); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// waitWALFlush waits until the WAL written so far is flushed.
func (d *DB) waitWALFlush(ctx context.Context) error {
	var target string
	if err := d.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&target); err != nil {
		return fmt.Errorf("WAL position: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var flushed bool
		if err := d.QueryRowContext(ctx, "SELECT pg_current_wal_flush_lsn() >= ?::pg_lsn", target).Scan(&flushed); err != nil {
			return fmt.Errorf("WAL flush position: %w", err)
		}
		if flushed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the WAL up to %s was not flushed within 30s", target)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
