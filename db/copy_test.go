package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
)

// A bulk load stores each idempotency key once: a fresh batch goes in
// whole, and a batch repeating a stored key or one of its own stores only
// the new entries, on both dialects.
func TestCopySkipsDuplicateKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		entry := func(key string, i int) model.EventTypeEntry {
			return model.EventTypeEntry{ID: model.NewEntryID(), EventTypeID: 2, Action: model.EventTypeActions[0],
				Type: "RECORD_MODIFIED", Timestamp: base.Add(time.Duration(i) * time.Second), Source: "WEBAPP",
				Actor: model.ActorSnapshot{Type: model.ActorSystem}, Payload: fmt.Sprintf(`{"n":%d}`, i), IdempotencyKey: &key}
		}
		var fresh []model.EventTypeEntry
		for i := range 5 {
			fresh = append(fresh, entry(fmt.Sprintf("k%d", i), i))
		}
		n, err := s.CopyEventTypeHistory(ctx, fresh)
		must(t, err)
		if n != 5 {
			t.Fatalf("fresh batch: %d stored, want 5", n)
		}
		// k3 is stored already, k9 comes twice.
		mixed := []model.EventTypeEntry{entry("k3", 10), entry("k9", 11), entry("k9", 12), entry("k10", 13)}
		n, err = s.CopyEventTypeHistory(ctx, mixed)
		must(t, err)
		if n != 2 {
			t.Fatalf("batch with duplicates: %d stored, want 2", n)
		}
		total, err := s.CountEventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 2})
		must(t, err)
		if total != 7 {
			t.Fatalf("%d entries stored, want 7", total)
		}
		page, err := s.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 2}, model.PageArgs{Limit: 10})
		must(t, err)
		var keys []string
		for _, e := range page.Items {
			keys = append(keys, *e.IdempotencyKey)
		}
		if want := "[k10 k9 k4 k3 k2 k1 k0]"; fmt.Sprint(keys) != want {
			t.Errorf("stored keys, newest first: %v, want %s", keys, want)
		}
	})
}
