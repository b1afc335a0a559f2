package db_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

// The change log actor migration backfills the actor of every stored entry
// from the directory (the append-only trigger set aside for it alone), and
// the trigger refuses changes again afterwards.
func TestChangeLogActorBackfill(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "b.db") },
		"postgres": func(t *testing.T) string { return pgtest.NewDatabase(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(url(t), db.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Dialect == db.Postgres {
				// The template is migrated: start from nothing.
				for _, s := range []string{"DROP SCHEMA public CASCADE", "CREATE SCHEMA public"} {
					if _, err := d.ExecContext(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := d.MigrateWithout(ctx, "20261207000001"); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{
				`INSERT INTO organizations (id, public_id, slug, name) VALUES (1, 'org_b', 'b', 'B')`,
				`INSERT INTO users (id, public_id, email, name, avatar_url) VALUES (7, 'usr_b7', 'g@b.example', 'Grace', 'https://a/7.png')`,
				`INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at, resource_type, resource_id)
				 VALUES ('log_1', 1, 7, 'updated', '2026-01-01T00:00:00Z', 'assistant', 'asst_1')`,
			} {
				if _, err := d.ExecContext(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var pub, nm, email, avatar string
			if err := d.QueryRowContext(ctx, `SELECT actor_public_id, actor_name, actor_email, actor_avatar FROM member_change_logs WHERE id = 'log_1'`).
				Scan(&pub, &nm, &email, &avatar); err != nil {
				t.Fatal(err)
			}
			if pub != "usr_b7" || nm != "Grace" || email != "g@b.example" || avatar != "https://a/7.png" {
				t.Errorf("backfilled %q %q %q %q", pub, nm, email, avatar)
			}
			if _, err := d.ExecContext(ctx, `UPDATE member_change_logs SET actor_name = 'x'`); err == nil {
				t.Error("the append-only trigger is off after the migration")
			}
		})
	}
}
