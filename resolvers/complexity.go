package resolvers

import (
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// A connection costs its children's complexity times the page size asked
// for (the default when none is), so a query asking for 50 entries with deep
// selections costs what it will really cost. A size above the kind's largest
// page costs that page: the resolver refuses it with the bound before any
// work, and the caller learns the bound rather than a complexity (the REST
// endpoints rely on that answer for their own upper bounds).
func pageCost(child int, lim model.Limits, first, last *int) int {
	n := lim.Default
	if first != nil {
		n = *first
	} else if last != nil {
		n = *last
	}
	n = max(1, min(n, lim.Max))
	return 1 + child*n
}

// SetComplexity fills the complexity functions of the connection fields,
// for a server with the page sizes sizes.
func SetComplexity(c *graph.ComplexityRoot, sizes model.PageSizes) {
	attr, et, cl := sizes.For(model.AttributeHistoryKind), sizes.For(model.EventTypeHistoryKind), sizes.For(model.MemberChangeLogsKind)
	c.Query.AttributeAssignmentHistory = func(child int, _, _ string, first *int, _ *string, last *int, _ *string, _ *gqlmodel.AttributeHistoryFilter) int {
		return pageCost(child, attr, first, last)
	}
	c.Query.EventTypeHistory = func(child int, _ string, first *int, _ *string, last *int, _ *string, _ *gqlmodel.EventTypeHistoryFilter) int {
		return pageCost(child, et, first, last)
	}
	c.Query.MemberChangeLogs = func(child int, _, _ string, first *int, _ *string, last *int, _ *string, _ *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return pageCost(child, cl, first, last)
	}
	c.Member.AttributeHistory = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.AttributeHistoryFilter) int {
		return pageCost(child, attr, first, last)
	}
	c.Member.ChangeLogs = func(child int, first *int, _ *string, last *int, _ *string, _ *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return pageCost(child, cl, first, last)
	}
	c.EventType.History = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.EventTypeHistoryFilter) int {
		return pageCost(child, et, first, last)
	}
}
