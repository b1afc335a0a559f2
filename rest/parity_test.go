package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// The same request through REST and through POST /graphql returns the same
// entries in the same order, on a first and a following page.

func TestRESTMatchesGraphQL(t *testing.T) {
	f := newFixture(t, testConfig())
	t.Run("attribute-history", func(t *testing.T) {
		rest := f.do(t, request{path: attributePath + "?limit=10", role: "admin"})
		next := f.do(t, request{path: attributePath + "?limit=10&cursor=" + nextCursor(t, rest.body), role: "admin"})
		gql := f.graphql(t, "admin", `query($after: String) { attributeAssignmentHistory(orgId: "1", userId: "3", first: 10, after: $after) {
			edges { cursor node { id } } } }`, nil)
		gqlNext := f.graphql(t, "admin", `query($after: String) { attributeAssignmentHistory(orgId: "1", userId: "3", first: 10, after: $after) {
			edges { cursor node { id } } } }`, map[string]any{"after": lastCursor(gql, "attributeAssignmentHistory")})
		sameIDs(t, restIDs(t, rest), gqlIDs(gql, "attributeAssignmentHistory"))
		sameIDs(t, restIDs(t, next), gqlIDs(gqlNext, "attributeAssignmentHistory"))
	})
	t.Run("event-type-history", func(t *testing.T) {
		rest := f.do(t, request{path: eventTypePath, role: "admin", version: calVersion})
		next := f.do(t, request{path: eventTypePath + "?cursor=" + nextCursor(t, rest.body), role: "admin", version: calVersion})
		q := `query($after: String) { eventTypeHistory(eventTypeId: "2", after: $after) { edges { cursor node { id } } } }`
		gql := f.graphql(t, "admin", q, nil)
		gqlNext := f.graphql(t, "admin", q, map[string]any{"after": lastCursor(gql, "eventTypeHistory")})
		sameIDs(t, restIDs(t, rest), gqlIDs(gql, "eventTypeHistory"))
		sameIDs(t, restIDs(t, next), gqlIDs(gqlNext, "eventTypeHistory"))
	})
	t.Run("change-logs", func(t *testing.T) {
		rest := f.do(t, request{method: http.MethodPost, path: changeLogsPath, role: "owner",
			body: `{"skip":3,"take":20,"resource_type":"organization_user","start_date":"2026-01-08"}`})
		gql := f.graphql(t, "owner", `{ memberChangeLogs(organizationId: "`+acmePublicID+`", userId: "`+carolPublicID+`", first: 20, offset: 3,
			filter: {resourceType: ORGANIZATION_USER, timestamp: {from: "2026-01-08T00:00:00.000Z"}}) { totalCount edges { cursor node { id } } } }`, nil)
		p := decodeV1(t, rest.body)
		sameIDs(t, ids(p.Logs, func(l v1Log) string { return l.ID }), gqlIDs(gql, "memberChangeLogs"))
		var total struct {
			Data map[string]struct {
				TotalCount int `json:"totalCount"`
			} `json:"data"`
		}
		json.Unmarshal(gql, &total)
		if p.TotalCount != total.Data["memberChangeLogs"].TotalCount || p.TotalCount == 0 {
			t.Errorf("total_count %d, GraphQL totalCount %d", p.TotalCount, total.Data["memberChangeLogs"].TotalCount)
		}
	})
}

func (f *fixture) graphql(t *testing.T, role, query string, vars map[string]any) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, f.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.keys[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	if bytes.Contains(out.Bytes(), []byte(`"errors"`)) {
		t.Fatalf("GraphQL: %s", out.Bytes())
	}
	return out.Bytes()
}

type connection struct {
	Data map[string]struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"data"`
}

func gqlIDs(body []byte, root string) []string {
	var c connection
	json.Unmarshal(body, &c)
	var out []string
	for _, e := range c.Data[root].Edges {
		out = append(out, e.Node.ID)
	}
	return out
}

func lastCursor(body []byte, root string) string {
	var c connection
	json.Unmarshal(body, &c)
	edges := c.Data[root].Edges
	return edges[len(edges)-1].Cursor
}

func restIDs(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 || len(auditLogs(t, r.body)) == 0 {
		t.Fatalf("want a non-empty page: %d %s", r.status, r.body)
	}
	return ids(auditLogs(t, r.body), func(l logRef) string { return l.ID })
}
