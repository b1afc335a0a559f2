package resolvers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
	"github.com/vektah/gqlparser/v2"
)

// Cost walks each fragment once: fragments that spread the next one twice,
// 40 deep, would be 2^40 walks for gqlgen's complexity.Calculate; here the
// answer (saturated) comes at once, and it agrees with the expanded count.
func TestCostMemoizesFragments(t *testing.T) {
	cfg := graph.Config{}
	resolvers.SetComplexity(&cfg.Complexity, model.DefaultPageSizes())
	es := graph.NewExecutableSchema(cfg)
	cost := func(n int) (int, time.Duration) {
		var b strings.Builder
		b.WriteString("query{...F0}")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " fragment F%d on Query{...F%d ...F%d}", i, i+1, i+1)
		}
		fmt.Fprintf(&b, " fragment F%d on Query{__typename}", n)
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), b.String(), nil)
		if errs != nil {
			t.Fatalf("%d fragments: %v", n, errs)
		}
		start := time.Now()
		c := resolvers.Cost(context.Background(), es, doc.Operations[0], doc.Fragments, nil)
		return c, time.Since(start)
	}
	if c, _ := cost(10); c != 1<<10 {
		t.Fatalf("10 doublings cost %d, want %d", c, 1<<10)
	}
	c, took := cost(40)
	t.Logf("40 doublings: cost %d in %s", c, took)
	if c < 1<<40 || took > time.Second {
		t.Fatalf("40 doublings: cost %d in %s", c, took)
	}
}
