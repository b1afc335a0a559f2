package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

func (d *DB) migrator() (*migrate.Migrator, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+d.Dialect)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, err
	}
	// A migration that fails stays pending, so fixing its cause and running
	// migrate again applies it.
	return migrate.NewMigrator(d.DB, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// migrationLockKey is the PostgreSQL advisory lock (pg_advisory_lock) that
// serializes migrations between processes: the bytes of "auditgra".
const migrationLockKey int64 = 0x6175646974677261

// Migrate applies every pending migration and returns the names applied.
//
// On PostgreSQL, processes started together (a rolling deploy starts many)
// take turns on a session advisory lock instead of bun's lock row, whose
// holder makes every other process fail with "migrations table is already
// locked" and which stays taken if its holder dies. The advisory lock is
// released by PostgreSQL when its session ends, however the process ends.
// Each waiter then finds the schema current and applies nothing. The wait
// is bounded only by ctx: a long migration on one instance holds the others
// at start, which is what a deploy wants.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	m, err := d.migrator()
	if err != nil {
		return nil, err
	}
	if d.Dialect == Postgres {
		unlock, err := d.advisoryLock(ctx, migrationLockKey)
		if err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer unlock()
		if err := m.Init(ctx); err != nil {
			return nil, fmt.Errorf("init migrations: %w", err)
		}
	} else {
		if err := m.Init(ctx); err != nil {
			return nil, fmt.Errorf("init migrations: %w", err)
		}
		if err := m.Lock(ctx); err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer m.Unlock(ctx) //nolint:errcheck
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name)
	}
	// Entries stored before the integrity log existed get their positions
	// now, once (the log_state row remembers it).
	if _, err := NewStore(d).Backfill(ctx); err != nil {
		return names, fmt.Errorf("integrity log backfill: %w", err)
	}
	return names, nil
}

// advisoryLock waits for the session advisory lock key on a connection of
// its own and returns its release. The release closes that connection too,
// so the lock cannot outlive it even if the unlock statement fails.
func (d *DB) advisoryLock(ctx context.Context, key int64) (func(), error) {
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", key) //nolint:errcheck
		conn.Close()
	}, nil
}

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

// MigrationsStatus lists every known migration in order.
func (d *DB) MigrationsStatus(ctx context.Context) ([]MigrationStatus, error) {
	m, err := d.migrator()
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, mg := range ms {
		out = append(out, MigrationStatus{Name: mg.Name + "_" + mg.Comment, Applied: mg.IsApplied()})
	}
	return out, nil
}

// MigrateURL opens the database at url, applies every pending migration and
// closes it again: the setup of a scratch or template database.
func MigrateURL(ctx context.Context, url string) error {
	d, err := Open(url, Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = d.Migrate(ctx)
	return err
}
