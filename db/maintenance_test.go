package db_test

import (
	"testing"

	"github.com/auditgraph/auditgraph/db"
)

// After a load, VacuumAnalyze leaves every page of the history tables
// all-visible on PostgreSQL, so index-only scans skip the heap.
func TestVacuumAnalyzeMarksPagesAllVisible(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		appendEventTypeEntries(t, s, 2, 2000)
		vis, err := s.DB().VacuumAnalyze(ctx, db.HistoryTables...)
		must(t, err)
		if s.DB().Dialect != db.Postgres {
			return
		}
		if len(vis) != len(db.HistoryTables) {
			t.Fatalf("visibility of %d tables, want %d", len(vis), len(db.HistoryTables))
		}
		for _, v := range vis {
			if v.Table == "event_type_history" && (v.Pages == 0 || v.AllVisible != v.Pages) {
				t.Errorf("%s: %d of %d pages all-visible", v.Table, v.AllVisible, v.Pages)
			}
		}
	})
}
