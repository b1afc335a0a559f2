package db

import (
	"context"
	"io/fs"
	"strings"
	"testing/fstest"

	"github.com/uptrace/bun/migrate"
)

// MigrateWithout applies every migration but those whose file name starts
// with prefix: the state of a database before that migration.
func (d *DB) MigrateWithout(ctx context.Context, prefix string) error {
	sub, err := fs.Sub(migrationFiles, "migrations/"+d.Dialect)
	if err != nil {
		return err
	}
	files := fstest.MapFS{}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return err
		}
		files[e.Name()] = &fstest.MapFile{Data: b}
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(files); err != nil {
		return err
	}
	m := migrate.NewMigrator(d.DB, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return err
	}
	_, err = m.Migrate(ctx)
	return err
}

// WithoutLog returns the store writing without the integrity log: what the
// benchmarks compare against, and how the backfill test makes a database
// of entries the log never saw.
func WithoutLog(s *Store) *Store {
	c := *s
	c.noLog = true
	return &c
}
