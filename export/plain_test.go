package export

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// A plain column group as a history would declare one: the CSV takes its
// columns from the declaration.
type plainGroup struct {
	Reason  *string    `bun:"reason" json:"reason,omitempty"`
	Ticket  *int64     `bun:"ticket" json:"ticket,omitempty"`
	Due     *time.Time `bun:"due" json:"due,omitempty"`
	Label   string     `bun:"label" json:"label"`
	Skipped string     `bun:"-" json:"-"`
	hidden  string
}

func TestPlainColumnsFollowTheDeclaration(t *testing.T) {
	if got, want := plainHeader(reflect.TypeFor[plainGroup]()), []string{"reason", "ticket", "due", "label"}; !slices.Equal(got, want) {
		t.Fatalf("header = %q, want %q", got, want)
	}
	reason, ticket, due := "=HYPERLINK(\"x\")", int64(42), time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("X", 3600))
	g := plainGroup{Reason: &reason, Ticket: &ticket, Due: &due, Label: "l", Skipped: "s", hidden: "h"}
	want := []string{"'=HYPERLINK(\"x\")", "42", "2026-12-07T09:00:00.000Z", "l"}
	if got := plainCells(g); !slices.Equal(got, want) {
		t.Fatalf("cells = %q, want %q", got, want)
	}
	if got, want := plainCells(plainGroup{}), []string{"", "", "", ""}; !slices.Equal(got, want) {
		t.Fatalf("NULL cells = %q, want %q", got, want)
	}
}

// Each history's CSV row has a cell for every header column, plain
// columns included.
func TestCSVRowsMatchTheirHeader(t *testing.T) {
	for _, c := range []struct {
		filter any
		row    []string
	}{
		{model.AttributeHistoryFilter{}, attributeLine(&model.AttributeAssignmentEntry{}).row},
		{model.EventTypeHistoryFilter{}, eventTypeLine(&model.EventTypeEntry{}, 1).row},
		{model.MemberChangeLogFilter{}, changeLogLine(&model.MemberChangeLog{}).row},
	} {
		st := &Stream{j: Job{Filter: c.filter}}
		if h := st.header(); len(h) != len(c.row) {
			t.Errorf("%T: %d header columns, %d cells", c.filter, len(h), len(c.row))
		}
	}
}
