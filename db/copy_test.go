package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
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

// A bulk load stores every column of each history: the columns come from
// the row types, so an entry read back is the entry loaded.
func TestCopyStoresEveryColumn(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		str := func(v string) *string { return &v }
		at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
		actor := model.ActorSnapshot{Type: model.ActorUser, Ref: str("1"), Name: str("One"), Email: str("one@example.com"), Avatar: str("a.png")}

		et := model.EventTypeEntry{ID: model.NewEntryID(), EventTypeID: 2, Action: model.EventTypeModified, Type: "RECORD_MODIFIED",
			Timestamp: at, Source: "API_V2", Actor: actor, Payload: `{"changes":[]}`, IdempotencyKey: str("et-1"),
			ImpersonatedBy: model.PersonSnapshot{Name: str("Two"), Email: str("two@example.com"), Avatar: str("b.png")}}
		_, err := s.CopyEventTypeHistory(ctx, []model.EventTypeEntry{et})
		must(t, err)
		etPage, err := s.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 2}, model.PageArgs{Limit: 1})
		must(t, err)
		if len(etPage.Items) != 1 || asJSON(etPage.Items[0]) != asJSON(et) {
			t.Errorf("event type entry read back:\n%+v\nwant\n%+v", etPage.Items, et)
		}

		aa := model.AttributeAssignmentEntry{ID: model.NewEntryID(), OrganizationID: 1, UserID: 1, MembershipID: 1, Timestamp: at,
			Source: "WEBAPP", Actor: actor, SourceContext: `{"k":"v"}`, Changes: `[]`, IdempotencyKey: str("aa-1")}
		_, err = s.CopyAttributeHistory(ctx, []model.AttributeAssignmentEntry{aa})
		must(t, err)
		aaPage, err := s.AttributeHistory(ctx, model.AttributeHistoryFilter{OrganizationID: 1, UserID: 1}, model.PageArgs{Limit: 1})
		must(t, err)
		if len(aaPage.Items) != 1 || asJSON(aaPage.Items[0]) != asJSON(aa) {
			t.Errorf("attribute entry read back:\n%+v\nwant\n%+v", aaPage.Items, aa)
		}

		cl := model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 1, ActorUserID: 1, Action: "updated", Timestamp: at,
			ResourceType: model.ResourceOrganizationUser, ResourceID: "usr_two", ResourceName: str("Two"), Changes: `[]`, IdempotencyKey: str("cl-1")}
		_, err = s.CopyMemberChangeLogs(ctx, []model.MemberChangeLog{cl})
		must(t, err)
		clPage, err := s.MemberChangeLogs(ctx, model.MemberChangeLogFilter{OrganizationID: 1, UserID: 1, UserPublicID: "usr_one"}, model.PageArgs{Limit: 1})
		must(t, err)
		if len(clPage.Items) != 1 || asJSON(clPage.Items[0]) != asJSON(cl) {
			t.Errorf("change log read back:\n%+v\nwant\n%+v", clPage.Items, cl)
		}
	})
}

// asJSON shows v with its pointers followed, and its idempotency key, which
// JSON leaves out, so two entries print alike when their columns are alike.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	key := reflect.ValueOf(v).FieldByName("IdempotencyKey").Interface().(*string)
	if key == nil {
		return string(b)
	}
	return string(b) + " key " + *key
}

// A bulk load on PostgreSQL announces every entry it stored on the live
// channel, in their order, in as many notifications as the payload limit
// needs (sent in one statement); a batch through the staging table
// announces only the entries it stored.
func TestCopyAnnouncesStoredEntries(t *testing.T) {
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s := db.NewStore(d)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan db.Notification, 100)
	ready := make(chan struct{})
	go d.Listen(lctx, func() { close(ready) }, func(n db.Notification) { got <- n }) //nolint:errcheck
	<-ready
	receive := func(want []string) {
		t.Helper()
		var ids []string
		var notes int
		for len(ids) < len(want) {
			select {
			case n := <-got:
				if n.Kind != model.CursorMemberChangeLogs {
					t.Fatalf("notification of kind %q", n.Kind)
				}
				notes++
				ids = append(ids, n.IDs...)
			case <-time.After(10 * time.Second):
				t.Fatalf("%d of %d ids announced", len(ids), len(want))
			}
		}
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("announced %d ids %v…, want %d %v…", len(ids), ids[:3], len(want), want[:3])
		}
		if wantNotes := (len(want) + 179) / 180; notes != wantNotes {
			t.Errorf("%d notifications, want %d", notes, wantNotes)
		}
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logs := func(from, n int) []model.MemberChangeLog {
		out := make([]model.MemberChangeLog, n)
		for i := range out {
			key := fmt.Sprintf("k%04d", from+i)
			out[i] = model.MemberChangeLog{ID: fmt.Sprintf("cl-%04d", from+i), OrganizationID: 1, ActorUserID: 1,
				Action: "updated", Timestamp: base.Add(time.Duration(from+i) * time.Second), ResourceType: model.ResourceOrganizationUser,
				ResourceID: "usr_two", Changes: "[]", IdempotencyKey: &key}
		}
		return out
	}
	ids := func(es []model.MemberChangeLog) []string {
		out := make([]string, len(es))
		for i := range es {
			out[i] = es[i].ID
		}
		return out
	}
	first := logs(0, 500)
	if n, err := s.CopyMemberChangeLogs(ctx, first); err != nil || n != 500 {
		t.Fatalf("first load: %d stored, %v", n, err)
	}
	receive(ids(first))
	// 100 stored already, 400 new: the staging path.
	second := logs(400, 500)
	if n, err := s.CopyMemberChangeLogs(ctx, second); err != nil || n != 400 {
		t.Fatalf("second load: %d stored, %v", n, err)
	}
	receive(ids(second[100:]))
}
