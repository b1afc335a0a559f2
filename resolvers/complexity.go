package resolvers

import (
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// A connection costs its children's complexity times the page size asked
// for (def when none is), so a query asking for 50 entries with deep
// selections costs what it will really cost.
func pageCost(child, def int, first, last *int) int {
	n := def
	if first != nil {
		n = *first
	} else if last != nil {
		n = *last
	}
	if n < 1 {
		n = 1
	}
	return 1 + child*n
}

// SetComplexity fills the complexity functions of the connection fields,
// for a server whose default page size is that of sizes.
func SetComplexity(c *graph.ComplexityRoot, sizes model.PageSizes) {
	def := sizes.OrDefault().Default
	c.Query.AttributeAssignmentHistory = func(child int, _, _ string, first *int, _ *string, last *int, _ *string, _ *gqlmodel.AttributeHistoryFilter) int {
		return pageCost(child, def, first, last)
	}
	c.Query.EventTypeHistory = func(child int, _ string, first *int, _ *string, last *int, _ *string, _ *gqlmodel.EventTypeHistoryFilter) int {
		return pageCost(child, def, first, last)
	}
	c.Query.MemberChangeLogs = func(child int, _, _ string, first *int, _ *string, last *int, _ *string, _ *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return pageCost(child, def, first, last)
	}
	c.Member.AttributeHistory = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.AttributeHistoryFilter) int {
		return pageCost(child, def, first, last)
	}
	c.Member.ChangeLogs = func(child int, first *int, _ *string, last *int, _ *string, _ *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return pageCost(child, def, first, last)
	}
	c.EventType.History = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.EventTypeHistoryFilter) int {
		return pageCost(child, def, first, last)
	}
	// A proof reads its stream's stored leaves and hashes them: an entry's
	// integrity costs as much as a page of entries, so a full page of proofs
	// (50 × 50) stays within the default limit and two do not.
	integrityCost := func(child int) int { return 50 + child }
	c.AttributeAssignmentEntry.Integrity = integrityCost
	c.EventTypeHistoryEntry.Integrity = integrityCost
	c.MemberChangeLog.Integrity = integrityCost
	c.IntegrityStream.ConsistencyProof = func(child int, _ int, _ *int) int { return 50 + child }
}
