package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/client"
	"github.com/auditgraph/auditgraph/model"
)

// pagedHistory is one history read through the API, with its ids in order
// as an independent SQL statement lists them.
type pagedHistory struct {
	name  string
	field string // the connection field with its fixed arguments
	where string // SQL selecting the history's rows
	args  []any
	table string
}

func pagedHistories() []pagedHistory {
	return []pagedHistory{
		{"eventTypeHistory", `eventTypeHistory(eventTypeId: "2"`, "event_type_id = ?", []any{2}, "event_type_history"},
		{"attributeAssignmentHistory", `attributeAssignmentHistory(orgId: "1", userId: "3"`,
			"organization_id = ? AND user_id = ?", []any{1, 3}, "attribute_assignment_history"},
		{"memberChangeLogs", `memberChangeLogs(organizationId: "` + acmePublicID + `", userId: "3"`,
			"organization_id = ? AND (actor_user_id = ? OR (resource_type = ? AND resource_id = ?))",
			[]any{1, 3, model.ResourceOrganizationUser, carolPublicID}, "member_change_logs"},
	}
}

// expectedIDs lists the history newest first, ties broken by id descending.
func (h pagedHistory) expectedIDs(t *testing.T, e *env) []string {
	t.Helper()
	var ids []string
	err := e.db.NewSelect().TableExpr(h.table).Column("id").Where(h.where, h.args...).
		OrderExpr("created_at DESC, id DESC").Scan(context.Background(), &ids)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

type pageResp struct {
	Edges []struct {
		Cursor string `json:"cursor"`
		Node   struct {
			ID        string `json:"id"`
			Timestamp string `json:"timestamp"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage     bool    `json:"hasNextPage"`
		HasPreviousPage bool    `json:"hasPreviousPage"`
		StartCursor     *string `json:"startCursor"`
		EndCursor       *string `json:"endCursor"`
	} `json:"pageInfo"`
	Nodes []struct {
		ID string `json:"id"`
	} `json:"nodes"`
	TotalCount int `json:"totalCount"`
}

func (h pagedHistory) page(t *testing.T, c *client.Client, args string) pageResp {
	t.Helper()
	q := fmt.Sprintf(`{ h: %s%s) { totalCount nodes { id } edges { cursor node { id timestamp } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, h.field, args)
	var resp struct {
		H pageResp `json:"h"`
	}
	if err := c.Post(q, &resp); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	p := resp.H
	if len(p.Nodes) != len(p.Edges) {
		t.Errorf("%s: %d nodes for %d edges", args, len(p.Nodes), len(p.Edges))
	}
	for i := range min(len(p.Nodes), len(p.Edges)) {
		if p.Nodes[i].ID != p.Edges[i].Node.ID {
			t.Errorf("%s: nodes[%d] is %s, edges[%d].node %s", args, i, p.Nodes[i].ID, i, p.Edges[i].Node.ID)
		}
	}
	if len(p.Edges) > 0 {
		if p.PageInfo.StartCursor == nil || *p.PageInfo.StartCursor != p.Edges[0].Cursor ||
			p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
			t.Errorf("%s: startCursor/endCursor are not the first/last edge cursors", args)
		}
	} else if p.PageInfo.StartCursor != nil || p.PageInfo.EndCursor != nil {
		t.Errorf("%s: empty page has cursors", args)
	}
	return p
}

func ids(p pageResp) []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.ID
	}
	return out
}

func TestPagingForwardAndBackward(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(e.keys["owner"])
	for _, h := range pagedHistories() {
		want := h.expectedIDs(t, e)
		if len(want) < 50 {
			t.Fatalf("%s: demo history has only %d entries", h.name, len(want))
		}
		for _, size := range []int{1, 7, 50} {
			t.Run(fmt.Sprintf("%s/forward/%d", h.name, size), func(t *testing.T) {
				var got []string
				after := ""
				for n := 0; ; n++ {
					args := fmt.Sprintf(", first: %d", size)
					if after != "" {
						args += fmt.Sprintf(", after: %q", after)
					}
					p := h.page(t, c, args)
					if p.TotalCount != len(want) {
						t.Fatalf("totalCount %d, want %d", p.TotalCount, len(want))
					}
					if p.PageInfo.HasPreviousPage != (n > 0) {
						t.Fatalf("page %d: hasPreviousPage %v", n, p.PageInfo.HasPreviousPage)
					}
					got = append(got, ids(p)...)
					if !p.PageInfo.HasNextPage {
						break
					}
					if len(p.Edges) != size {
						t.Fatalf("page %d has %d entries and a next page, want %d", n, len(p.Edges), size)
					}
					if len(got) > len(want) {
						t.Fatalf("more entries than the history holds")
					}
					after = *p.PageInfo.EndCursor
				}
				if !slices.Equal(got, want) {
					t.Fatalf("forward pages by %d: %d ids, want %d; lost or repeated entries (first difference at %d)",
						size, len(got), len(want), firstDiff(got, want))
				}
			})
			t.Run(fmt.Sprintf("%s/backward/%d", h.name, size), func(t *testing.T) {
				var got []string
				before := ""
				for n := 0; ; n++ {
					args := fmt.Sprintf(", last: %d", size)
					if before != "" {
						args += fmt.Sprintf(", before: %q", before)
					}
					p := h.page(t, c, args)
					if p.PageInfo.HasNextPage != (n > 0) {
						t.Fatalf("page %d: hasNextPage %v", n, p.PageInfo.HasNextPage)
					}
					got = append(ids(p), got...)
					if !p.PageInfo.HasPreviousPage {
						break
					}
					if len(p.Edges) != size {
						t.Fatalf("page %d has %d entries and a previous page, want %d", n, len(p.Edges), size)
					}
					if len(got) > len(want) {
						t.Fatalf("more entries than the history holds")
					}
					before = *p.PageInfo.StartCursor
				}
				if !slices.Equal(got, want) {
					t.Fatalf("backward pages by %d: %d ids, want %d; lost or repeated entries (first difference at %d)",
						size, len(got), len(want), firstDiff(got, want))
				}
			})
		}
	}
}

// The team event type's history has entries sharing a timestamp: paging
// must break those ties.
func TestPagingHistoryHasTies(t *testing.T) {
	e := newEnv(t, nil)
	var ties int
	err := e.db.NewRaw(`SELECT count(*) FROM (SELECT created_at FROM event_type_history WHERE event_type_id = 2
		GROUP BY created_at HAVING count(*) > 1) AS t`).Scan(context.Background(), &ties)
	if err != nil {
		t.Fatal(err)
	}
	if ties == 0 {
		t.Fatal("the demo's team event type history has no equal timestamps; the paging test proves nothing about ties")
	}
	t.Logf("%d timestamps shared by several entries", ties)
}

func TestChangeLogOffset(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(e.keys["admin"])
	h := pagedHistories()[2]
	want := h.expectedIDs(t, e)
	for _, tc := range []struct{ first, offset int }{{7, 0}, {7, 7}, {7, 13}, {50, 20}, {100, 1}, {7, len(want) - 3}, {7, len(want)}, {7, len(want) + 5}} {
		t.Run(fmt.Sprintf("first%d_offset%d", tc.first, tc.offset), func(t *testing.T) {
			p := h.page(t, c, fmt.Sprintf(", first: %d, offset: %d", tc.first, tc.offset))
			lo, hi := min(tc.offset, len(want)), min(tc.offset+tc.first, len(want))
			if got := ids(p); !slices.Equal(got, want[lo:hi]) {
				t.Errorf("ids %v, want %v", got, want[lo:hi])
			}
			if p.PageInfo.HasNextPage != (hi < len(want)) {
				t.Errorf("hasNextPage %v, want %v", p.PageInfo.HasNextPage, hi < len(want))
			}
			if p.PageInfo.HasPreviousPage != (tc.offset > 0) {
				t.Errorf("hasPreviousPage %v, want %v", p.PageInfo.HasPreviousPage, tc.offset > 0)
			}
			if p.TotalCount != len(want) {
				t.Errorf("totalCount %d, want %d", p.TotalCount, len(want))
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
