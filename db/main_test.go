package db_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(db.MigrateURL)
	os.Exit(pgtest.Main(m))
}

// eachDialect runs fn against a fresh, migrated store of every dialect.
func eachDialect(t *testing.T, fn func(t *testing.T, s *db.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openStore(t, filepath.Join(t.TempDir(), "test.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, openStore(t, pgtest.NewDatabase(t)))
	})
}

func openStore(t testing.TB, url string) *db.Store {
	t.Helper()
	d, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.Dialect == db.SQLite {
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return db.NewStore(d)
}
