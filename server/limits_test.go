package server_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// The standard introspection query (graphql-js 16 with every option on,
// as GraphiQL sends it: 15 deep through ofType) is not refused by the
// depth limit: introspection is bounded by gqlparser's own rule.
func TestIntrospectionQueryIsNotRefusedByDepth(t *testing.T) {
	q, err := os.ReadFile("testdata/introspection-graphiql.graphql")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil)
	r := e.post(nil, string(q), nil)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"queryType":{"name":"Query"`) {
		t.Fatalf("introspection: %d %.600s", r.Status, r.Body)
	}
	// The same depth outside introspection is refused, naming the limit.
	// (Depth is measured before validation: the fields need not exist.)
	deep := strings.Repeat("{ a ", 14) + "{ b }" + strings.Repeat(" }", 14)
	r = e.query("owner", deep, nil)
	if r.code() != model.CodeInvalid || r.Errors[0].Extensions["limit"] != "depth" {
		t.Fatalf("a deep operation: %.600s", r.Body)
	}
	// Introspection nested past gqlparser's rule is refused by it.
	tooDeep := "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
	if r := e.post(nil, tooDeep, nil); len(r.Errors) == 0 || r.Status >= 500 {
		t.Fatalf("introspection nested too deeply: %.600s", r.Body)
	}
}

// totalCount, empty pages and offsets are priced by what they make the
// database do; a document's fragments are costed once.
func TestCostPricesTheDatabaseWork(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxComplexity = 450 })
	cost := func(query string) string {
		r := e.query("owner", query, map[string]any{"org": "1", "user": "3"})
		if r.code() == "COMPLEXITY_LIMIT_EXCEEDED" {
			return fmt.Sprint(r.Errors[0].Extensions["complexity"])
		}
		return "ok"
	}
	page := func(args, sel string) string {
		return `query($org: ID!, $user: ID!) { memberChangeLogs(organizationId: $org, userId: $user` + args + `) { ` + sel + ` } }`
	}
	cases := []struct{ name, query, want string }{
		{"one totalCount", page(", first: 0", "totalCount"), "ok"},
		// Five counts are five COUNTs over the whole history, whatever the page.
		{"five totalCounts", `query($org: ID!, $user: ID!) {` + strings.Repeat(` a: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount }`, 1) +
			` b: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount }` +
			` c: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount }` +
			` d: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount }` +
			` e: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount } }`, "505"},
		// A deep offset costs the entries skipped.
		{"offset 500,000", page(", first: 1, offset: 500000", "edges { cursor }"), "503"},
	}
	for _, c := range cases {
		if got := cost(c.query); got != c.want {
			t.Errorf("%s: cost %s, want %s", c.name, got, c.want)
		}
	}
}

// Introspection's fields count towards the fields limit: aliases of the
// whole schema are refused before they are answered.
func TestIntrospectionFieldsAreCounted(t *testing.T) {
	q, err := os.ReadFile("testdata/introspection-graphiql.graphql")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("query Many {")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, " s%d: __schema { types { ...FullType } }", i)
	}
	b.WriteString(" }\n")
	doc := string(q)
	b.WriteString(doc[strings.Index(doc, "fragment FullType"):])
	e := newEnv(t, nil)
	r := e.post(nil, b.String(), nil)
	if r.code() != model.CodeInvalid || r.Errors[0].Extensions["limit"] != "fields" {
		t.Fatalf("20 aliases of the schema: %d %.600s", r.Status, r.Body)
	}
}
