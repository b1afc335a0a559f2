package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

// fixture writes a minimal directory: org 1 with users 1 (admin) and 2, a
// personal event type 1 of user 2, and a team event type 2.
func fixture(t *testing.T, s *db.Store) {
	t.Helper()
	must(t, s.UpsertOrganization(ctx, &model.Organization{ID: 1, PublicID: "org_one", Slug: "one", Name: "One"}))
	must(t, s.UpsertOrganization(ctx, &model.Organization{ID: 2, PublicID: "org_two", Slug: "two", Name: "Two"}))
	must(t, s.UpsertUser(ctx, &model.User{ID: 1, PublicID: "usr_one", Email: "one@example.com", Name: ptr("One")}))
	must(t, s.UpsertUser(ctx, &model.User{ID: 2, PublicID: "usr_two", Email: "two@example.com"}))
	must(t, s.UpsertUser(ctx, &model.User{ID: 3, PublicID: "usr_three", Email: "three@example.com"}))
	must(t, s.UpsertCustomRole(ctx, &model.CustomRole{ID: 1, OrganizationID: 1, Name: "auditor", Permissions: []string{model.PermissionReadAttributeAuditLogs}}))
	must(t, s.UpsertMembership(ctx, &model.Membership{ID: 1, UserID: 1, OrganizationID: ptr(int64(1)), Role: model.RoleAdmin}))
	must(t, s.UpsertMembership(ctx, &model.Membership{ID: 2, UserID: 2, OrganizationID: ptr(int64(1)), Role: model.RoleMember, CustomRoleID: ptr(int64(1))}))
	must(t, s.UpsertTeam(ctx, &model.Team{ID: 1, OrganizationID: ptr(int64(1)), Slug: "t", Name: "T"}))
	must(t, s.UpsertMembership(ctx, &model.Membership{ID: 3, UserID: 3, TeamID: ptr(int64(1)), Role: model.RoleOwner}))
	must(t, s.UpsertEventType(ctx, &model.EventType{ID: 1, Title: "Personal", Slug: "p", OwnerUserID: ptr(int64(2))}))
	must(t, s.UpsertEventType(ctx, &model.EventType{ID: 2, Title: "Team", Slug: "t", TeamID: ptr(int64(1))}))
	must(t, s.UpsertEventType(ctx, &model.EventType{ID: 3, Title: "Child", Slug: "c", OwnerUserID: ptr(int64(2)), ParentID: ptr(int64(2))}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// tiedTimes gives n timestamps in groups of four equal ones, shuffled.
func tiedTimes(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = base.Add(time.Duration(i/4) * time.Minute).Add(123 * time.Millisecond)
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func appendEventTypeEntries(t *testing.T, s *db.Store, eventTypeID int64, n int) []model.EventTypeEntry {
	t.Helper()
	var entries []model.EventTypeEntry
	for i, ts := range tiedTimes(n) {
		action := model.EventTypeActions[i%3]
		entries = append(entries, model.EventTypeEntry{ID: model.NewEntryID(), EventTypeID: eventTypeID, Action: action,
			Type: "RECORD_MODIFIED", Timestamp: ts, Source: "WEBAPP", Actor: model.ActorSnapshot{Type: model.ActorSystem},
			Payload: fmt.Sprintf(`{"n":%d}`, i)})
	}
	stored, err := s.AppendEventTypeHistory(ctx, entries)
	must(t, err)
	return stored
}

// newestFirst is the documented order: timestamp, then id, both descending.
func newestFirst[T any](items []T, ts func(T) time.Time, id func(T) string) []string {
	s := slices.Clone(items)
	slices.SortFunc(s, func(a, b T) int {
		if c := ts(b).Compare(ts(a)); c != 0 {
			return c
		}
		return strings.Compare(id(b), id(a))
	})
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = id(x)
	}
	return out
}

func etIDs(p model.Page[model.EventTypeEntry]) []string {
	var out []string
	for _, e := range p.Items {
		out = append(out, e.ID)
	}
	return out
}

func TestEventTypeHistoryKeysetPaging(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		entries := appendEventTypeEntries(t, s, 1, 57)
		appendEventTypeEntries(t, s, 2, 9) // another event type's entries must not leak in
		want := newestFirst(entries, func(e model.EventTypeEntry) time.Time { return e.Timestamp }, func(e model.EventTypeEntry) string { return e.ID })
		f := model.EventTypeHistoryFilter{EventTypeID: 1}

		// Forward: first/after.
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := s.EventTypeHistory(ctx, f, model.PageArgs{Limit: 10, Cursor: cursor})
			must(t, err)
			got = append(got, etIDs(p)...)
			if !p.More {
				if pages != 5 {
					t.Errorf("forward: %d pages, want 6", pages+1)
				}
				break
			}
			cursor = p.Items[len(p.Items)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("forward paging order:\n got %v\nwant %v", got, want)
		}

		// Backward: last/before, from the oldest end; pages come newest first.
		var back [][]string
		cursor = ""
		for {
			p, err := s.EventTypeHistory(ctx, f, model.PageArgs{Limit: 10, Cursor: cursor, Backward: true})
			must(t, err)
			back = append([][]string{etIDs(p)}, back...)
			if !p.More {
				break
			}
			cursor = p.Items[0].ID
		}
		if len(back[0]) != 7 {
			t.Errorf("backward: newest page has %d entries, want the 7 left over", len(back[0]))
		}
		if flat := slices.Concat(back...); !slices.Equal(flat, want) {
			t.Fatalf("backward paging order:\n got %v\nwant %v", flat, want)
		}

		// Before a cursor in the middle: exactly the entries newer than it.
		p, err := s.EventTypeHistory(ctx, f, model.PageArgs{Limit: 5, Cursor: want[20], Backward: true})
		must(t, err)
		if !slices.Equal(etIDs(p), want[15:20]) || !p.More {
			t.Fatalf("before want[20]: got %v more=%v, want %v more=true", etIDs(p), p.More, want[15:20])
		}
	})
}

func TestCursorOfAnotherHistoryIsRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		other := appendEventTypeEntries(t, s, 2, 3)
		for _, c := range []string{other[0].ID, model.NewEntryID()} {
			_, err := s.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 1}, model.PageArgs{Limit: 5, Cursor: c})
			if model.ErrorCode(err) != model.CodeInvalid {
				t.Errorf("cursor %s: error %v, want BAD_USER_INPUT", c, err)
			}
		}
	})
}

func TestEventTypeHistoryFiltersAndCount(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		entries := appendEventTypeEntries(t, s, 1, 30)
		from, to := base.Add(2*time.Minute), base.Add(4*time.Minute).Add(time.Second)
		f := model.EventTypeHistoryFilter{EventTypeID: 1, TimeRange: model.TimeRange{From: &from, To: &to}, Actions: []string{model.EventTypeCreated}}
		var want []model.EventTypeEntry
		for _, e := range entries {
			if !e.Timestamp.Before(from) && !e.Timestamp.After(to) && e.Action == model.EventTypeCreated {
				want = append(want, e)
			}
		}
		p, err := s.EventTypeHistory(ctx, f, model.PageArgs{Limit: 50})
		must(t, err)
		wantIDs := newestFirst(want, func(e model.EventTypeEntry) time.Time { return e.Timestamp }, func(e model.EventTypeEntry) string { return e.ID })
		if !slices.Equal(etIDs(p), wantIDs) || len(wantIDs) == 0 {
			t.Fatalf("filtered: got %v, want %v", etIDs(p), wantIDs)
		}
		n, err := s.CountEventTypeHistory(ctx, f)
		must(t, err)
		if n != len(want) {
			t.Fatalf("count %d, want %d", n, len(want))
		}
		// Timestamps come back in UTC with their milliseconds.
		if got := p.Items[0].Timestamp; got.Nanosecond() != 123e6 || func() bool { _, off := got.Zone(); return off != 0 }() {
			t.Errorf("timestamp %v: want UTC with .123", got)
		}
	})
}

func TestAttributeHistoryPagingAndScope(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		var entries []model.AttributeAssignmentEntry
		for i, ts := range tiedTimes(23) {
			user := int64(1 + i%2)
			entries = append(entries, model.AttributeAssignmentEntry{ID: model.NewEntryID(), OrganizationID: 1, UserID: user,
				MembershipID: user, Timestamp: ts, Source: "API_V2", Actor: model.ActorSnapshot{Type: model.ActorUser, Ref: ptr("1")},
				SourceContext: `{"kind":"API_V2"}`, Changes: `[]`})
		}
		_, err := s.AppendAttributeHistory(ctx, entries)
		must(t, err)
		var mine []model.AttributeAssignmentEntry
		for _, e := range entries {
			if e.UserID == 2 {
				mine = append(mine, e)
			}
		}
		want := newestFirst(mine, func(e model.AttributeAssignmentEntry) time.Time { return e.Timestamp }, func(e model.AttributeAssignmentEntry) string { return e.ID })
		f := model.AttributeHistoryFilter{OrganizationID: 1, UserID: 2}
		var got []string
		cursor := ""
		for {
			p, err := s.AttributeHistory(ctx, f, model.PageArgs{Limit: 4, Cursor: cursor})
			must(t, err)
			for _, e := range p.Items {
				got = append(got, e.ID)
				if e.SourceContext != `{"kind":"API_V2"}` || e.Actor.Ref == nil || *e.Actor.Ref != "1" {
					t.Fatalf("entry read back wrong: %+v", e)
				}
			}
			if !p.More {
				break
			}
			cursor = p.Items[len(p.Items)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
		n, err := s.CountAttributeHistory(ctx, f)
		must(t, err)
		if n != 11 {
			t.Errorf("count %d, want 11", n)
		}
		// A cursor of user 1's history is not a cursor of user 2's.
		var foreign string
		for _, e := range entries {
			if e.UserID == 1 {
				foreign = e.ID
			}
		}
		if _, err := s.AttributeHistory(ctx, f, model.PageArgs{Limit: 4, Cursor: foreign}); model.ErrorCode(err) != model.CodeInvalid {
			t.Errorf("foreign cursor: %v, want BAD_USER_INPUT", err)
		}
	})
}

func TestMemberChangeLogsRelatedToMember(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		var entries []model.MemberChangeLog
		times := tiedTimes(40)
		for i, ts := range times {
			e := model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 1, Timestamp: ts,
				Action: model.ChangeLogActions[i%len(model.ChangeLogActions)], Changes: `[]`}
			switch i % 4 {
			case 0: // done by user 2 to someone else
				e.ActorUserID, e.ResourceType, e.ResourceID = 2, "rule", "rule_1"
			case 1: // done to user 2 by user 1
				e.ActorUserID, e.ResourceType, e.ResourceID = 1, model.ResourceOrganizationUser, "usr_two"
			case 2: // done by user 2 to user 2: must appear once
				e.ActorUserID, e.ResourceType, e.ResourceID = 2, model.ResourceOrganizationUser, "usr_two"
			case 3: // unrelated
				e.ActorUserID, e.ResourceType, e.ResourceID = 1, model.ResourceOrganizationUser, "usr_one"
			}
			entries = append(entries, e)
		}
		// The same member in another organization is another history.
		entries = append(entries, model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 2, ActorUserID: 2,
			Action: "created", Timestamp: base, ResourceType: "rule", ResourceID: "rule_x", Changes: `[]`})
		_, err := s.AppendMemberChangeLogs(ctx, entries)
		must(t, err)

		related := func(keep func(model.MemberChangeLog) bool) []string {
			var r []model.MemberChangeLog
			for i, e := range entries[:40] {
				if i%4 != 3 && keep(e) {
					r = append(r, e)
				}
			}
			return newestFirst(r, func(e model.MemberChangeLog) time.Time { return e.Timestamp }, func(e model.MemberChangeLog) string { return e.ID })
		}
		f := model.MemberChangeLogFilter{OrganizationID: 1, UserID: 2, UserPublicID: "usr_two"}
		pageAll := func(f model.MemberChangeLogFilter, limit int) []string {
			var got []string
			cursor := ""
			for {
				p, err := s.MemberChangeLogs(ctx, f, model.PageArgs{Limit: limit, Cursor: cursor})
				must(t, err)
				for _, e := range p.Items {
					got = append(got, e.ID)
				}
				if !p.More {
					return got
				}
				cursor = p.Items[len(p.Items)-1].ID
			}
		}
		all := related(func(model.MemberChangeLog) bool { return true })
		if got := pageAll(f, 7); !slices.Equal(got, all) {
			t.Fatalf("related logs:\n got %v\nwant %v", got, all)
		}
		n, err := s.CountMemberChangeLogs(ctx, f)
		must(t, err)
		if n != 30 {
			t.Errorf("count %d, want 30", n)
		}

		// Offset (skip/take) agrees with cursors.
		p, err := s.MemberChangeLogs(ctx, f, model.PageArgs{Limit: 10, Offset: 12})
		must(t, err)
		if len(p.Items) != 10 || p.Items[0].ID != all[12] || p.Items[9].ID != all[21] || !p.More {
			t.Errorf("offset 12: got %d items starting %s, want all[12]=%s", len(p.Items), p.Items[0].ID, all[12])
		}
		p, err = s.MemberChangeLogs(ctx, f, model.PageArgs{Limit: 10, Offset: 25})
		must(t, err)
		if len(p.Items) != 5 || p.More {
			t.Errorf("offset 25: got %d items more=%v, want 5 and no more", len(p.Items), p.More)
		}

		// Backward from the oldest end.
		p, err = s.MemberChangeLogs(ctx, f, model.PageArgs{Limit: 4, Backward: true})
		must(t, err)
		var gotBack []string
		for _, e := range p.Items {
			gotBack = append(gotBack, e.ID)
		}
		if !slices.Equal(gotBack, all[len(all)-4:]) || !p.More {
			t.Errorf("backward: got %v, want %v", gotBack, all[len(all)-4:])
		}

		// Filters: action and resource type and dates.
		fa := f
		fa.Action, fa.ResourceType = "entity_attached", model.ResourceOrganizationUser
		want := related(func(e model.MemberChangeLog) bool {
			return e.Action == "entity_attached" && e.ResourceType == model.ResourceOrganizationUser
		})
		if got := pageAll(fa, 3); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("action+resource filter: got %v want %v", got, want)
		}
		from := base.Add(3 * time.Minute)
		fd := f
		fd.From = &from
		want = related(func(e model.MemberChangeLog) bool { return !e.Timestamp.Before(from) })
		if got := pageAll(fd, 100); !slices.Equal(got, want) {
			t.Errorf("date filter: got %d want %d", len(got), len(want))
		}
		if n, _ := s.CountMemberChangeLogs(ctx, fd); n != len(want) {
			t.Errorf("date filter count %d want %d", n, len(want))
		}
	})
}

func TestDirectoryLookups(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		a, err := s.OrganizationAccess(ctx, 2, 1)
		must(t, err)
		if a.Role != model.RoleMember || !a.Has(model.PermissionReadAttributeAuditLogs) || a.MembershipID != 2 {
			t.Errorf("access of user 2 in org 1: %+v", a)
		}
		a, err = s.OrganizationAccess(ctx, 1, 1)
		must(t, err)
		if a.Role != model.RoleAdmin || len(a.Permissions) != 0 {
			t.Errorf("access of user 1 in org 1: %+v", a)
		}
		if _, err := s.OrganizationAccess(ctx, 3, 1); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("non-member: %v, want NOT_FOUND", err)
		}
		ta, err := s.TeamAccess(ctx, 3, 1)
		must(t, err)
		if ta.Role != model.RoleOwner {
			t.Errorf("team access %+v", ta)
		}
		o, err := s.EventTypeOwnership(ctx, 1)
		must(t, err)
		if o.OwnerUserID == nil || *o.OwnerUserID != 2 || o.TeamID != nil {
			t.Errorf("personal ownership %+v", o)
		}
		o, err = s.EventTypeOwnership(ctx, 3)
		must(t, err)
		if o.OwnerUserID != nil || o.TeamID == nil || *o.TeamID != 1 || o.OrganizationID == nil || *o.OrganizationID != 1 {
			t.Errorf("managed child must resolve through its parent's team: %+v", o)
		}
		if _, err := s.EventTypeOwnership(ctx, 99); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown event type: %v", err)
		}
		u, err := s.UserByPublicID(ctx, "usr_two")
		must(t, err)
		if u.ID != 2 || u.Name != nil {
			t.Errorf("user %+v", u)
		}
		org, err := s.OrganizationByPublicID(ctx, "org_two")
		must(t, err)
		if org.ID != 2 {
			t.Errorf("org %+v", org)
		}
		// Upserting again updates in place, keeping the public id.
		must(t, s.UpsertOrganization(ctx, &model.Organization{ID: 2, Slug: "two", Name: "Two renamed"}))
		org, err = s.OrganizationByID(ctx, 2)
		must(t, err)
		if org.Name != "Two renamed" || org.PublicID != "org_two" {
			t.Errorf("after upsert: %+v", org)
		}
		users, err := s.UsersByIDs(ctx, []int64{1, 3, 42})
		must(t, err)
		if len(users) != 2 {
			t.Errorf("UsersByIDs: %d users", len(users))
		}
	})
}

func TestHistoryIsAppendOnly(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		appendEventTypeEntries(t, s, 1, 1)
		_, err := s.AppendAttributeHistory(ctx, []model.AttributeAssignmentEntry{{ID: model.NewEntryID(), OrganizationID: 1, UserID: 2,
			MembershipID: 2, Timestamp: base, Source: "WEBAPP", Actor: model.ActorSnapshot{Type: model.ActorSystem}, SourceContext: "{}", Changes: "[]"}})
		must(t, err)
		_, err = s.AppendMemberChangeLogs(ctx, []model.MemberChangeLog{{ID: model.NewChangeLogID(), OrganizationID: 1, ActorUserID: 1,
			Action: "created", Timestamp: base, ResourceType: "rule", ResourceID: "r", Changes: "[]"}})
		must(t, err)
		for _, table := range []string{"attribute_assignment_history", "event_type_history", "member_change_logs"} {
			for _, stmt := range []string{
				"UPDATE " + table + " SET source = 'x'",
				"UPDATE " + table + " SET created_at = created_at",
				"DELETE FROM " + table,
			} {
				if table == "member_change_logs" {
					stmt = strings.Replace(stmt, "source = 'x'", "action = 'x'", 1)
				}
				_, err := s.DB().ExecContext(ctx, stmt)
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: err %v, want refusal", stmt, err)
				}
			}
			var n int
			must(t, s.DB().NewSelect().TableExpr(table).ColumnExpr("count(*)").Scan(ctx, &n))
			if n != 1 {
				t.Errorf("%s: %d rows after refused statements, want 1", table, n)
			}
			if s.Dialect() == db.Postgres {
				if _, err := s.DB().ExecContext(ctx, "TRUNCATE "+table); err == nil {
					t.Errorf("TRUNCATE %s allowed", table)
				}
			}
		}
	})
}

func TestAppendIsIdempotentAndAtomic(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		first := model.EventTypeEntry{ID: model.NewEntryID(), EventTypeID: 1, Action: model.EventTypeCreated, Type: "RECORD_CREATED",
			Timestamp: base, Source: "WEBAPP", Actor: model.ActorSnapshot{Type: model.ActorSystem}, Payload: "{}", IdempotencyKey: ptr("k1")}
		stored, err := s.AppendEventTypeHistory(ctx, []model.EventTypeEntry{first})
		must(t, err)
		retry := first
		retry.ID = model.NewEntryID()
		retry.Payload = `{"different":true}`
		again, err := s.AppendEventTypeHistory(ctx, []model.EventTypeEntry{retry})
		must(t, err)
		if again[0].ID != stored[0].ID || again[0].Payload != "{}" {
			t.Errorf("retry returned %+v, want the stored entry %s", again[0], stored[0].ID)
		}
		// One bad entry (an id already taken by another entry of the batch)
		// rejects the whole batch.
		good := model.EventTypeEntry{ID: model.NewEntryID(), EventTypeID: 1, Action: model.EventTypeModified, Type: "RECORD_MODIFIED",
			Timestamp: base, Source: "WEBAPP", Actor: model.ActorSnapshot{Type: model.ActorSystem}, Payload: "{}"}
		bad := good
		bad.Action, bad.Type = model.EventTypeDeleted, "RECORD_DELETED"
		if _, err := s.AppendEventTypeHistory(ctx, []model.EventTypeEntry{good, bad}); err == nil {
			t.Fatal("batch with a duplicate entry id was accepted")
		}
		n, err := s.CountEventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 1})
		must(t, err)
		if n != 1 {
			t.Errorf("%d entries stored, want 1", n)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: 1, Scopes: []string{model.ScopeEventTypeRead}}
		must(t, s.CreateAPIKey(ctx, k))
		if k.ID == 0 {
			t.Fatal("no id")
		}
		got, err := s.APIKeyByHash(ctx, model.HashKey(strings.TrimPrefix(secret, "cal_")))
		must(t, err)
		if got.ID != k.ID || !got.HasScope(model.ScopeEventTypeRead) || !got.Usable(time.Now()) {
			t.Errorf("key read back %+v", got)
		}
		must(t, s.RevokeAPIKey(ctx, k.ID, time.Now()))
		got, err = s.APIKeyByHash(ctx, k.Hash)
		must(t, err)
		if got.Usable(time.Now()) {
			t.Error("revoked key still usable")
		}
		if _, err := s.APIKeyByHash(ctx, model.HashKey("nope")); !errors.As(err, new(*model.Error)) || model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown key: %v", err)
		}
		var raw string
		must(t, s.DB().NewSelect().TableExpr("api_keys").ColumnExpr("key_hash || hint || name").Limit(1).Scan(ctx, &raw))
		if strings.Contains(raw, secret[4:12]) {
			t.Error("the secret is stored in clear")
		}
	})
}
