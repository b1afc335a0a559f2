package seed_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(db.MigrateURL)
	os.Exit(pgtest.Main(m))
}

func TestSeedTwiceDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	for _, url := range map[string]string{"sqlite": filepath.Join(t.TempDir(), "s.db"), "postgres": pgtest.NewDatabase(t)} {
		d, err := db.Open(url, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s := db.NewStore(d)
		first, err := seed.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		second, err := seed.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if first.Entries["eventTypeHistory"] < 200 || first.Entries["memberChangeLogs"] < 100 || first.Entries["attributeAssignmentHistory"] < 50 {
			t.Errorf("%s: demo too small: %v", d.Dialect, first.Entries)
		}
		n, err := s.CountEventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: seed.TeamEventTypeID})
		if err != nil || n != 150 {
			t.Errorf("%s: team event type has %d entries after two runs (%v), want 150", d.Dialect, n, err)
		}
		var total int
		for _, table := range []string{"event_type_history", "attribute_assignment_history", "member_change_logs"} {
			var c int
			if err := d.NewSelect().TableExpr(table).ColumnExpr("count(*)").Scan(ctx, &c); err != nil {
				t.Fatal(err)
			}
			total += c
		}
		if want := first.Entries["eventTypeHistory"] + first.Entries["attributeAssignmentHistory"] + first.Entries["memberChangeLogs"]; total != want {
			t.Errorf("%s: %d rows stored, want %d", d.Dialect, total, want)
		}
		for _, role := range seed.Roles {
			if first.Keys[role] == second.Keys[role] {
				t.Errorf("%s: second run reused the %s key", d.Dialect, role)
			}
			for _, secret := range []string{first.Keys[role], second.Keys[role]} {
				k, err := s.APIKeyByHash(ctx, model.HashKey(secret))
				if err != nil || k.UserID == 0 {
					t.Errorf("%s: %s key not usable: %v", d.Dialect, role, err)
				}
			}
		}
		if first.Organizations["acme"].PublicID != second.Organizations["acme"].PublicID {
			t.Errorf("public ids changed between runs")
		}
	}
}
