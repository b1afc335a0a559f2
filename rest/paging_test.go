package rest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
)

// Following nextCursor (or skip/take) to the end returns every entry of the
// history once, in the store's order.

func TestAttributeHistoryFollowsCursorToTheEnd(t *testing.T) {
	f := newFixture(t, testConfig())
	all, err := f.store.AttributeHistory(context.Background(),
		model.AttributeHistoryFilter{OrganizationID: seed.AcmeID, UserID: seed.MemberUserID}, model.PageArgs{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := walkCal(t, f, request{path: attributePath + "?limit=7", role: "admin"}, false)
	sameIDs(t, got, ids(all.Items, func(e model.AttributeAssignmentEntry) string { return e.ID }))
}

func TestEventTypeHistoryFollowsCursorToTheEnd(t *testing.T) {
	f := newFixture(t, testConfig())
	all, err := f.store.EventTypeHistory(context.Background(),
		model.EventTypeHistoryFilter{EventTypeID: seed.TeamEventTypeID}, model.PageArgs{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := ids(all.Items, func(e model.EventTypeEntry) string { return e.ID })
	for _, base64Form := range []bool{false, true} {
		t.Run(fmt.Sprint("base64=", base64Form), func(t *testing.T) {
			got := walkCal(t, f, request{path: eventTypePath, role: "admin", version: calVersion}, base64Form)
			sameIDs(t, got, want)
		})
	}
}

// walkCal follows a /v2 history to its end and returns the ids seen. It also
// checks that the damaged entry of the demo is still listed, as hasError.
func walkCal(t *testing.T, f *fixture, first request, base64Form bool) []string {
	t.Helper()
	var seen []string
	rq, damaged := first, 0
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("no end after 100 pages")
		}
		resp := f.do(t, rq)
		if resp.status != 200 {
			t.Fatalf("page %d: %d %s", page, resp.status, resp.body)
		}
		var raw struct {
			Data struct {
				AuditLogs []map[string]any `json:"auditLogs"`
			} `json:"data"`
		}
		json.Unmarshal(resp.body, &raw)
		for _, l := range raw.Data.AuditLogs {
			// Event type entries, as the live service's, carry hasError only
			// when it is true.
			if v, ok := l["hasError"]; ok && v != true && strings.HasPrefix(first.path, "/v2/event-types/") {
				t.Errorf("entry %v carries hasError: %v", l["id"], v)
			}
			if l["hasError"] == true {
				damaged++
				if fs, _ := l["displayFields"].([]any); l["displayJson"] != nil && (fs == nil || len(fs) > 0) {
					t.Errorf("damaged entry %v still has display fields or JSON", l["id"])
				}
			}
		}
		logs := auditLogs(t, resp.body)
		for _, l := range logs {
			seen = append(seen, l.ID)
		}
		next, more := nextCursor(t, resp.body), hasMore(t, resp.body)
		if !more {
			if next != "" {
				t.Errorf("last page has nextCursor %q", next)
			}
			break
		}
		if next != logs[len(logs)-1].ID {
			t.Fatalf("nextCursor %q is not the last log's id", next)
		}
		if base64Form {
			b, _ := json.Marshal(map[string]string{"createdAt": logs[len(logs)-1].Timestamp, "id": next})
			next = base64.StdEncoding.EncodeToString(b)
		}
		rq = first
		sep := "?"
		if strings.Contains(rq.path, "?") {
			sep = "&"
		}
		rq.path += sep + "cursor=" + url.QueryEscape(next)
	}
	if damaged != 1 {
		t.Errorf("%d entries with hasError, want 1", damaged)
	}
	return seen
}

func TestChangeLogsSkipTakeToTheEnd(t *testing.T) {
	f := newFixture(t, testConfig())
	all, err := f.store.MemberChangeLogs(context.Background(), model.MemberChangeLogFilter{
		OrganizationID: seed.AcmeID, UserID: seed.MemberUserID, UserPublicID: carolPublicID}, model.PageArgs{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := ids(all.Items, func(e model.MemberChangeLog) string { return e.ID })
	var got []string
	for skip := 0; ; skip += 7 {
		resp := f.do(t, request{method: "POST", path: changeLogsPath, role: "owner", body: fmt.Sprintf(`{"skip":%d,"take":7}`, skip)})
		p := decodeV1(t, resp.body)
		if resp.status != 200 || p.TotalCount != len(want) {
			t.Fatalf("skip %d: %d, total_count %d, want %d", skip, resp.status, p.TotalCount, len(want))
		}
		for _, l := range p.Logs {
			if l.UserID != carolPublicID && l.ResourceID != carolPublicID {
				t.Errorf("%s is not related to the member", l.ID)
			}
			got = append(got, l.ID)
		}
		if len(p.Logs) < 7 {
			break
		}
	}
	sameIDs(t, got, want)
}
