package db_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// TestPreparedEventTypePage checks that the prepared page statement returns
// exactly what bun's interpolated statement does, page by page in both
// directions, and refuses a cursor of another history alike; that the query
// hooks see it as one statement with its values in place; and that a
// connection never holds more than the page statements prepared.
func TestPreparedEventTypePage(t *testing.T) {
	url := pgtest.NewDatabase(t)
	open := func(opt db.Options) *db.Store {
		d, err := db.Open(url, opt)
		must(t, err)
		t.Cleanup(func() { d.Close() })
		return db.NewStore(d)
	}
	// One connection, so that its prepared statements can be listed.
	prepared := open(db.Options{MaxOpenConns: 1})
	plain := open(db.Options{SimpleProtocolOnly: true})
	fixture(t, prepared)
	appendEventTypeEntries(t, prepared, 2, 60)
	appendEventTypeEntries(t, prepared, 1, 5)

	var texts []string
	prepared.DB().AddQueryHook(hookFunc(func(ev *bun.QueryEvent) { texts = append(texts, ev.Query) }))

	read := func(s *db.Store, p model.PageArgs) (model.Page[model.EventTypeEntry], error) {
		return s.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: 2}, p)
	}
	pages := 0
	for _, backward := range []bool{false, true} {
		for _, limit := range []int{1, 7, 25} {
			p := model.PageArgs{Limit: limit, Backward: backward}
			for {
				texts = nil
				got, err := read(prepared, p)
				must(t, err)
				want, err := read(plain, p)
				must(t, err)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%+v: prepared page differs:\n got %+v\nwant %+v", p, got, want)
				}
				if len(texts) != 1 || strings.Contains(texts[0], "$1") || !strings.Contains(texts[0], "event_type_id = 2") {
					t.Fatalf("%+v: the hooks saw %q, want one statement with its values", p, texts)
				}
				pages++
				if !got.More || len(got.Items) == 0 {
					break
				}
				if backward {
					p.Cursor = got.Items[0].ID
				} else {
					p.Cursor = got.Items[len(got.Items)-1].ID
				}
			}
		}
	}
	if pages < 20 {
		t.Fatalf("only %d pages read", pages)
	}
	if len(mustPage(t, prepared, 1).Items) != 5 {
		t.Error("event type 1: want its 5 entries")
	}

	// A cursor no page of this server ended at is looked up once, then
	// known.
	fresh := open(db.Options{})
	var freshTexts []string
	fresh.DB().AddQueryHook(hookFunc(func(ev *bun.QueryEvent) { freshTexts = append(freshTexts, ev.Query) }))
	mid := mustPage(t, prepared, 2).Items[4].ID
	for i, want := range []int{2, 1} {
		freshTexts = nil
		got, err := read(fresh, model.PageArgs{Limit: 3, Cursor: mid})
		must(t, err)
		want2, err := read(plain, model.PageArgs{Limit: 3, Cursor: mid})
		must(t, err)
		if !reflect.DeepEqual(got, want2) {
			t.Errorf("use %d of a new cursor: the page differs", i+1)
		}
		if len(freshTexts) != want {
			t.Errorf("use %d of a new cursor: %d statements, want %d", i+1, len(freshTexts), want)
		}
	}

	// A cursor of another event type's entry is refused on both paths.
	other := mustPage(t, prepared, 1).Items[0].ID
	_, err := read(prepared, model.PageArgs{Limit: 5, Cursor: other})
	_, plainErr := read(plain, model.PageArgs{Limit: 5, Cursor: other})
	if model.ErrorCode(err) != model.CodeInvalid || model.ErrorCode(plainErr) != model.CodeInvalid {
		t.Errorf("foreign cursor: prepared %v, plain %v; want BAD_USER_INPUT from both", err, plainErr)
	}

	var n int
	must(t, prepared.DB().NewRaw("SELECT count(*) FROM pg_prepared_statements").Scan(context.Background(), &n))
	if n == 0 || n > 5 {
		t.Errorf("%d statements prepared on the connection, want 1 to 5 (the page statements and the cursor's)", n)
	}
}

func mustPage(t *testing.T, s *db.Store, eventType int64) model.Page[model.EventTypeEntry] {
	t.Helper()
	p, err := s.EventTypeHistory(ctx, model.EventTypeHistoryFilter{EventTypeID: eventType}, model.PageArgs{Limit: 10})
	must(t, err)
	return p
}

type hookFunc func(*bun.QueryEvent)

func (hookFunc) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (f hookFunc) AfterQuery(_ context.Context, ev *bun.QueryEvent)                 { f(ev) }
