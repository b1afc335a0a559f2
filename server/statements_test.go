package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/server"
)

const (
	actorSel = `actor { type displayName displayEmail displayAvatar }`
	etNode   = `node { id action type timestamp source ` + actorSel + `
		impersonatedBy { displayName displayEmail displayAvatar } actionDisplayTitle hasError displayJson
		displayFields { label fieldValue { __typename
			... on RawValue { value } ... on RawValues { values }
			... on ValueChange { previous next } ... on Diff { previous next } } } }`
	aaNode = `node { id timestamp source membershipId sourceContext hasError ` + actorSel + `
		changes { type attribute { id slug name type } previous { optionId optionSlug value weight }
			current { optionId optionSlug value weight } } }`
	clNode = `node { id action timestamp resourceType resourceId resourceName
		actor { id databaseId publicId name email avatarUrl } changes { field oldValue newValue } }`
)

// statementQueries select everything of each history (actor users of the
// change logs included), with %s standing for the paging arguments and
// TOTAL for totalCount.
var statementQueries = []struct{ name, query string }{
	{"eventTypeHistory", `{ h: eventTypeHistory(eventTypeId: "2", %s) { TOTAL pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor ` + etNode + ` } } }`},
	{"EventType.history", `{ eventType(id: "2") { id title team { name organization { name } } h: history(%s) { TOTAL edges { cursor ` + etNode + ` } } } }`},
	{"attributeAssignmentHistory", `{ h: attributeAssignmentHistory(orgId: "org_acme7f3k2q9x1b5m8n4v", userId: "3", %s) { TOTAL pageInfo { hasNextPage endCursor } edges { cursor ` + aaNode + ` } } }`},
	{"Member.attributeHistory", `{ organization(id: "1") { name member(userId: "usr_demo0000000000000003") { role h: attributeHistory(%s) { TOTAL edges { cursor ` + aaNode + ` } } } } }`},
	{"memberChangeLogs", `{ h: memberChangeLogs(organizationId: "1", userId: "3", %s) { TOTAL pageInfo { hasNextPage endCursor } edges { cursor ` + clNode + ` } } }`},
	{"Member.changeLogs", `{ organization(id: "1") { member(userId: "3") { h: changeLogs(%s) { TOTAL edges { cursor ` + clNode + ` } } } } }`},
}

func (e *env) countStatements(t *testing.T, query string) int64 {
	t.Helper()
	var r *gqlResponse
	n := e.statements(func() { r = e.query("owner", query, nil) })
	if len(r.Errors) > 0 || !strings.Contains(r.Body, `"edges"`) {
		t.Fatalf("query failed: %s", r.Body)
	}
	return n
}

// A page of 50 entries with everything selected costs as many statements
// as a page of 5: the count does not grow with the page size. With the fact
// cache (the default), a request whose key and access facts were read
// moments ago issues only its reads of history and directory records; without
// it, the key with its owner is one statement more and an access check one
// more (the organization or event type read along).
func TestStatementCountDoesNotGrowWithPageSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		// What each costs with totalCount: the member with their membership
		// one, the page one, the count one. The change logs' actors cost
		// none: each entry carries its actor as recorded.
		want map[string]int64
	}{
		{"fact cache", 2 * time.Second, map[string]int64{
			"eventTypeHistory":           2,
			"EventType.history":          6,
			"attributeAssignmentHistory": 4,
			"Member.attributeHistory":    5,
			"memberChangeLogs":           4,
			"Member.changeLogs":          5,
		}},
		{"no fact cache", 0, map[string]int64{
			"eventTypeHistory":           4,
			"EventType.history":          8,
			"attributeAssignmentHistory": 5,
			"Member.attributeHistory":    7,
			"memberChangeLogs":           5,
			"Member.changeLogs":          7,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A long bound: the counts must not depend on the test's pace.
			ttl := tc.ttl
			if ttl > 0 {
				ttl = server.MaxAccessCacheTTL
			}
			e := newEnv(t, func(c *server.Config) { c.AccessCacheTTL = ttl })
			e.quietKeys()
			for _, q := range statementQueries {
				t.Run(q.name, func(t *testing.T) {
					query := strings.Replace(q.query, "TOTAL", "totalCount", 1)
					e.countStatements(t, fmt.Sprintf(query, "first: 1")) // reads the facts
					counts := map[int]int64{}
					for _, size := range []int{5, 50} {
						counts[size] = e.countStatements(t, fmt.Sprintf(query, fmt.Sprintf("first: %d", size)))
					}
					last50 := e.countStatements(t, fmt.Sprintf(query, "last: 50"))
					t.Logf("%s: %d statements for 5 entries, %d for 50, %d for the last 50", q.name, counts[5], counts[50], last50)
					if counts[5] != counts[50] || counts[50] != last50 {
						t.Errorf("statement count grows with the page: %d for 5, %d for 50, %d for last 50", counts[5], counts[50], last50)
					}
					if counts[50] != tc.want[q.name] {
						t.Errorf("%d statements for one page, want %d", counts[50], tc.want[q.name])
					}
				})
			}
			// The change logs with the most distinct actors: 100 entries.
			n5 := e.countStatements(t, strings.Replace(fmt.Sprintf(statementQueries[4].query, "first: 5"), "TOTAL", "", 1))
			n100 := e.countStatements(t, strings.Replace(fmt.Sprintf(statementQueries[4].query, "first: 100"), "TOTAL", "", 1))
			if n5 != n100 {
				t.Errorf("change logs: %d statements for 5, %d for 100", n5, n100)
			}
		})
	}
}

// totalCount costs exactly one statement, and only when selected.
func TestTotalCountOnlyWhenSelected(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.AccessCacheTTL = server.MaxAccessCacheTTL })
	e.quietKeys()
	for _, q := range statementQueries {
		t.Run(q.name, func(t *testing.T) {
			e.countStatements(t, fmt.Sprintf(strings.Replace(q.query, "TOTAL", "", 1), "first: 1")) // reads the facts
			with := e.countStatements(t, fmt.Sprintf(strings.Replace(q.query, "TOTAL", "totalCount", 1), "first: 20"))
			without := e.countStatements(t, fmt.Sprintf(strings.Replace(q.query, "TOTAL", "", 1), "first: 20"))
			t.Logf("%s: %d statements with totalCount, %d without", q.name, with, without)
			if with != without+1 {
				t.Errorf("%d statements with totalCount, %d without; want exactly one more", with, without)
			}
		})
	}
}
