package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/rest"
)

// cannedExecutor answers every operation with the same data.
type cannedExecutor struct{ data string }

func (c cannedExecutor) Execute(context.Context, string, map[string]any) *graphql.Response {
	return &graphql.Response{Data: json.RawMessage(c.data)}
}

// The event type endpoint passes GraphQL's nodes through undecoded and
// reads only what precedes them; data of any other shape is our fault
// (500), never a malformed answer.
func TestEventTypeHistoryPassesNodesThrough(t *testing.T) {
	id := "019be122-1d35-7cc9-99d5-ae0abea8d442"
	end := model.EncodeCursor(model.CursorEventTypeHistory, id)
	nodes := `[{"id":"` + id + `","note":"<&> \u2028 kept as written"}]`
	cases := []struct {
		name, data string
		status     int
		body       string
	}{
		{"page", `{"eventTypeHistory":{"pageInfo":{"hasNextPage":true,"endCursor":"` + end + `"},"nodes":` + nodes + `}}`, http.StatusOK,
			`{"status":"success","data":{"eventTypeId":2,"auditLogs":` + nodes + `},"pagination":{"nextCursor":"` + id + `","hasMore":true}}`},
		{"last page", `{"eventTypeHistory":{"pageInfo":{"hasNextPage":false,"endCursor":"` + end + `"},"nodes":` + nodes + `}}`, http.StatusOK,
			`{"status":"success","data":{"eventTypeId":2,"auditLogs":` + nodes + `},"pagination":{"nextCursor":null,"hasMore":false}}`},
		{"empty", `{"eventTypeHistory":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[]}}`, http.StatusOK,
			`{"status":"success","data":{"eventTypeId":2,"auditLogs":[]},"pagination":{"nextCursor":null,"hasMore":false}}`},
		{"a field after nodes", `{"eventTypeHistory":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[],"totalCount":0}}`, http.StatusInternalServerError, ""},
		{"nodes first", `{"eventTypeHistory":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}`, http.StatusInternalServerError, ""},
		{"another root", `{"other":{"pageInfo":{"hasNextPage":false},"nodes":[]}}`, http.StatusInternalServerError, ""},
		{"null history", `{"eventTypeHistory":null}`, http.StatusInternalServerError, ""},
		{"foreign end cursor", `{"eventTypeHistory":{"pageInfo":{"hasNextPage":true,"endCursor":"` +
			model.EncodeCursor(model.CursorMemberChangeLogs, "log_x") + `"},"nodes":[]}}`, http.StatusInternalServerError, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := rest.New(cannedExecutor{c.data}, model.PageSizes{})
			req := httptest.NewRequest(http.MethodGet, "/v2/event-types/2/history", nil)
			req.SetPathValue("eventTypeId", "2")
			req.Header.Set("cal-api-version", "2024-06-14")
			rec := httptest.NewRecorder()
			api.EventTypeHistory(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if c.body != "" && rec.Body.String() != c.body {
				t.Fatalf("body\n got %s\nwant %s", rec.Body, c.body)
			}
			if c.status == http.StatusInternalServerError && !strings.Contains(rec.Body.String(), `"status":"error"`) {
				t.Fatalf("not the Cal.com error envelope: %s", rec.Body)
			}
		})
	}
}
