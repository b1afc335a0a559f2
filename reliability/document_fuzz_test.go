package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/server"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// FuzzDocumentCost aims at the cost of a document before execution: for
// any text, the limits' measurement is quick, and a document they accept
// is parsed and validated by gqlparser against the real schema quickly
// too, with a bounded number of errors. Budgets are generous (a fuzzing
// machine is busy); the rows of the issue took seconds.
func FuzzDocumentCost(f *testing.F) {
	f.Add(`{ __typename }`)
	f.Add(eventTypeHistoryQuery)
	f.Add(conflictingAliases(40))
	f.Add(fragmentDoubling(6))
	f.Add(fragmentChain(20))
	f.Add(deepList(12))
	f.Add(worstWithinLimits())
	f.Add(conflictingFragments(4, 8))
	limits := server.Defaults().Limits
	limits.Depth = server.Defaults().MaxDepth
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	const budget = 500 * time.Millisecond
	f.Fuzz(func(t *testing.T, query string) {
		if len(query) > 1<<20 {
			return
		}
		watchdog := time.AfterFunc(30*time.Second, func() { panic(fmt.Sprintf("stuck on %q", query)) })
		defer watchdog.Stop()
		start := time.Now()
		refused := limits.CheckDocument(query)
		if took := time.Since(start); took > budget {
			t.Fatalf("measuring a %d byte document took %s", len(query), took)
		}
		if refused != nil {
			if refused.Extensions["limit"] == nil {
				t.Fatalf("a refusal names no limit: %v", refused)
			}
			return
		}
		start = time.Now()
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, limits.Tokens)
		if err != nil {
			return
		}
		errs := validator.ValidateWithRules(schema, doc, nil)
		if took := time.Since(start); took > budget {
			t.Fatalf("validating an accepted %d byte document took %s (%d errors)", len(query), took, len(errs))
		}
		if len(errs) > 10_000 {
			t.Fatalf("an accepted %d byte document has %d validation errors", len(query), len(errs))
		}
	})
}
