package db_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/auditgraph/auditgraph/db"
)

// A migration that fails is not recorded as applied: once its cause is
// gone, migrating again applies it.
func TestFailedMigrationStaysPending(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(filepath.Join(t.TempDir(), "m.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The first migration creates this table: it fails on its first statement.
	if _, err := d.ExecContext(ctx, "CREATE TABLE organizations (id integer)"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err == nil {
		t.Fatal("migrating over a conflicting table succeeded")
	}
	status, err := d.MigrationsStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if m.Applied {
			t.Errorf("%s is recorded as applied after a failed run", m.Name)
		}
	}
	if _, err := d.ExecContext(ctx, "DROP TABLE organizations"); err != nil {
		t.Fatal(err)
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrating once the conflict is gone: %v", err)
	}
	if len(applied) != len(status) {
		t.Errorf("applied %v, want all %d migrations", applied, len(status))
	}
}
