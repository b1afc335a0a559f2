package db_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
)

// changeLogHistory writes n change logs of every kind around member 2
// ("usr_two") of organization 1, timestamps tied in fours, and returns those
// related to the member (performed by them, or done to them), newest first.
// An entry the member performed on themselves is related once.
func changeLogHistory(t *testing.T, s *db.Store, n int) []model.MemberChangeLog {
	t.Helper()
	var entries, related []model.MemberChangeLog
	for i, ts := range tiedTimes(n) {
		e := model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 1, Timestamp: ts,
			Action: model.ChangeLogActions[i%len(model.ChangeLogActions)], Changes: fmt.Sprintf(`[{"field":"n","old":null,"new":%d}]`, i)}
		mine := true
		switch i % 6 {
		case 0: // by the member, to something else
			e.ActorUserID, e.ResourceType, e.ResourceID = 2, "rule", fmt.Sprintf("rule_%d", i%5)
		case 1: // to the member, by user 1
			e.ActorUserID, e.ResourceType, e.ResourceID = 1, model.ResourceOrganizationUser, "usr_two"
		case 2: // by the member, to the member
			e.ActorUserID, e.ResourceType, e.ResourceID = 2, model.ResourceOrganizationUser, "usr_two"
		case 3: // to the member, by user 3
			e.ActorUserID, e.ResourceType, e.ResourceID = 3, model.ResourceOrganizationUser, "usr_two"
		case 4: // by the member, to another member
			e.ActorUserID, e.ResourceType, e.ResourceID = 2, model.ResourceOrganizationUser, "usr_one"
		case 5: // unrelated: another member's change of a third one, or of a rule
			e.ActorUserID, e.ResourceType, e.ResourceID, mine = 1, model.ResourceOrganizationUser, "usr_three", false
			if i%12 == 11 {
				e.ResourceType, e.ResourceID = "rule", "usr_two" // a rule that happens to share the id
			}
		}
		if i%2 == 0 {
			e.ResourceName = ptr(fmt.Sprintf("name %d", i))
		}
		entries = append(entries, e)
		if mine {
			related = append(related, e)
		}
	}
	// The same member in another organization is another history.
	entries = append(entries,
		model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 2, ActorUserID: 2, Action: "created",
			Timestamp: base, ResourceType: "rule", ResourceID: "rule_x", Changes: `[]`},
		model.MemberChangeLog{ID: model.NewChangeLogID(), OrganizationID: 2, ActorUserID: 1, Action: "updated",
			Timestamp: base, ResourceType: model.ResourceOrganizationUser, ResourceID: "usr_two", Changes: `[]`})
	_, err := s.AppendMemberChangeLogs(ctx, entries)
	must(t, err)
	order := newestFirst(related, func(e model.MemberChangeLog) time.Time { return e.Timestamp }, func(e model.MemberChangeLog) string { return e.ID })
	byID := map[string]model.MemberChangeLog{}
	for _, e := range related {
		byID[e.ID] = e
	}
	out := make([]model.MemberChangeLog, len(order))
	for i, id := range order {
		out[i] = byID[id]
	}
	return out
}

func changeLogIDs(items []model.MemberChangeLog) []string {
	out := make([]string, len(items))
	for i, e := range items {
		out[i] = e.ID
	}
	return out
}

// A skip/take page is read in two phases (the page's keys from the covering
// indexes, then its rows by id); it must return exactly the entries, with
// every column, that walking the history page by page returns at that
// position, for every filter. The tables are fresh, so the visibility map is
// mostly unset and PostgreSQL's index-only scans visit the heap: the plans
// differ from a vacuumed table's, the results must not.
func TestMemberChangeLogsSkipMatchesWalk(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		related := changeLogHistory(t, s, 600)
		all := model.MemberChangeLogFilter{OrganizationID: 1, UserID: 2, UserPublicID: "usr_two"}
		from, to := base.Add(20*time.Minute), base.Add(110*time.Minute)
		type filter struct {
			name string
			f    model.MemberChangeLogFilter
			keep func(model.MemberChangeLog) bool
		}
		with := func(change func(*model.MemberChangeLogFilter)) model.MemberChangeLogFilter {
			f := all
			change(&f)
			return f
		}
		filters := []filter{
			{"none", all, func(model.MemberChangeLog) bool { return true }},
			{"action", with(func(f *model.MemberChangeLogFilter) { f.Action = "updated" }),
				func(e model.MemberChangeLog) bool { return e.Action == "updated" }},
			{"resource type", with(func(f *model.MemberChangeLogFilter) { f.ResourceType = model.ResourceOrganizationUser }),
				func(e model.MemberChangeLog) bool { return e.ResourceType == model.ResourceOrganizationUser }},
			{"another resource type", with(func(f *model.MemberChangeLogFilter) { f.ResourceType = "rule" }),
				func(e model.MemberChangeLog) bool { return e.ResourceType == "rule" }},
			{"actor is the member", with(func(f *model.MemberChangeLogFilter) { f.ActorUserID = 2 }),
				func(e model.MemberChangeLog) bool { return e.ActorUserID == 2 }},
			{"actor is another", with(func(f *model.MemberChangeLogFilter) { f.ActorUserID = 3 }),
				func(e model.MemberChangeLog) bool { return e.ActorUserID == 3 }},
			{"date range + action", with(func(f *model.MemberChangeLogFilter) {
				f.TimeRange = model.TimeRange{From: &from, To: &to}
				f.Action = "created"
			}), func(e model.MemberChangeLog) bool {
				return !e.Timestamp.Before(from) && !e.Timestamp.After(to) && e.Action == "created"
			}},
		}
		for _, fl := range filters {
			var want []string
			for _, e := range related {
				if fl.keep(e) {
					want = append(want, e.ID)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: the fixture has no entry for this filter", fl.name)
			}
			n, err := s.CountMemberChangeLogs(ctx, fl.f)
			must(t, err)
			if n != len(want) {
				t.Errorf("%s: count %d, want %d", fl.name, n, len(want))
			}

			// Walk the history by cursor, keeping every page.
			const limit = 7
			var walked [][]model.MemberChangeLog
			cursor := ""
			for {
				p, err := s.MemberChangeLogs(ctx, fl.f, model.PageArgs{Limit: limit, Cursor: cursor})
				must(t, err)
				walked = append(walked, p.Items)
				if !p.More {
					break
				}
				cursor = p.Items[len(p.Items)-1].ID
			}
			var walkedIDs []string
			for _, page := range walked {
				walkedIDs = append(walkedIDs, changeLogIDs(page)...)
			}
			if !slices.Equal(walkedIDs, want) {
				t.Fatalf("%s: walking pages:\n got %v\nwant %v", fl.name, walkedIDs, want)
			}

			// Walking backward from the oldest end finds the same entries.
			var back []string
			cursor = ""
			for {
				p, err := s.MemberChangeLogs(ctx, fl.f, model.PageArgs{Limit: limit, Cursor: cursor, Backward: true})
				must(t, err)
				back = append(changeLogIDs(p.Items), back...)
				if !p.More {
					break
				}
				cursor = p.Items[0].ID
			}
			if !slices.Equal(back, want) {
				t.Fatalf("%s: walking pages backward:\n got %v\nwant %v", fl.name, back, want)
			}

			// The k-th skip/take page is the k-th page of the walk, column for column.
			for k, page := range walked {
				p, err := s.MemberChangeLogs(ctx, fl.f, model.PageArgs{Limit: limit, Offset: k * limit})
				must(t, err)
				if !reflect.DeepEqual(p.Items, page) {
					t.Errorf("%s: skip %d:\n got %+v\nwant %+v", fl.name, k*limit, p.Items, page)
				}
				if last := k == len(walked)-1; p.More == last {
					t.Errorf("%s: skip %d: more %v, want %v", fl.name, k*limit, p.More, !last)
				}
			}

			// Any skip and take, past the end included.
			for _, take := range []int{0, 1, 25, 100} {
				for _, skip := range []int{1, 3, limit - 1, 50, len(want) / 2, len(want) - 1, len(want), len(want) + 5} {
					p, err := s.MemberChangeLogs(ctx, fl.f, model.PageArgs{Limit: take, Offset: skip})
					must(t, err)
					lo, hi := min(skip, len(want)), min(skip+take, len(want))
					if got := changeLogIDs(p.Items); !slices.Equal(got, want[lo:hi]) {
						t.Errorf("%s: skip %d take %d:\n got %v\nwant %v", fl.name, skip, take, got, want[lo:hi])
					}
					if more := skip+take < len(want); p.More != more {
						t.Errorf("%s: skip %d take %d: more %v, want %v", fl.name, skip, take, p.More, more)
					}
				}
			}
		}

		// The stored entries come back whole.
		p, err := s.MemberChangeLogs(ctx, all, model.PageArgs{Limit: 3, Offset: 10})
		must(t, err)
		for i, e := range p.Items {
			w := related[10+i]
			if e.ID != w.ID || e.ActorUserID != w.ActorUserID || e.Action != w.Action || !e.Timestamp.Equal(w.Timestamp) ||
				e.ResourceType != w.ResourceType || e.ResourceID != w.ResourceID || e.Changes != w.Changes ||
				!reflect.DeepEqual(e.ResourceName, w.ResourceName) || e.OrganizationID != 1 {
				t.Errorf("skip 10, entry %d: got %+v, want %+v", i, e, w)
			}
		}
	})
}
