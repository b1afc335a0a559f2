package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/ast"
)

// Costs of what a page makes the database do beyond reading its entries.
const (
	// TotalCountCost prices totalCount: a COUNT over the whole filtered
	// history, which on a member with 300,000 entries reads all of them
	// whatever the page size.
	TotalCountCost = 100
	// OffsetEntriesPerCost is how many entries skipped by offset cost one
	// unit: PostgreSQL reads and throws away every skipped entry.
	OffsetEntriesPerCost = 1000
)

// A connection costs its children's complexity times the page size asked
// for (the default when none is), so a query asking for 50 entries with deep
// selections costs what it will really cost. A page of 0 still runs its
// statement (and its count, priced by totalCount), so it costs as one entry.
// A size above the kind's largest page costs that page: the resolver refuses
// it with the bound before any work, and the caller learns the bound rather
// than a complexity (the REST endpoints rely on that answer for their upper
// bounds).
func pageCost(child int, lim model.Limits, first, last *int) int {
	n := lim.Default
	if first != nil {
		n = *first
	} else if last != nil {
		n = *last
	}
	n = max(1, min(n, lim.Max))
	return safeAdd(1, safeMul(child, n))
}

// offsetCost adds the entries offset paging skips.
func offsetCost(cost int, offset *int) int {
	if offset != nil && *offset > 0 {
		cost = safeAdd(cost, *offset/OffsetEntriesPerCost)
	}
	return cost
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
	c.Query.MemberChangeLogs = func(child int, _, _ string, first *int, _ *string, last *int, _ *string, offset *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return offsetCost(pageCost(child, cl, first, last), offset)
	}
	c.Member.AttributeHistory = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.AttributeHistoryFilter) int {
		return pageCost(child, attr, first, last)
	}
	c.Member.ChangeLogs = func(child int, first *int, _ *string, last *int, _ *string, offset *int, _ *gqlmodel.MemberChangeLogFilter) int {
		return offsetCost(pageCost(child, cl, first, last), offset)
	}
	c.EventType.History = func(child int, first *int, _ *string, last *int, _ *string, _ *gqlmodel.EventTypeHistoryFilter) int {
		return pageCost(child, et, first, last)
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

// onceFields are priced once per connection rather than per entry of its
// page: the connection's page cost multiplies its children's, and a COUNT
// runs once however many entries the page has.
var onceFields = map[string]int{
	"AttributeAssignmentConnection.totalCount": TotalCountCost,
	"EventTypeHistoryConnection.totalCount":    TotalCountCost,
	"MemberChangeLogConnection.totalCount":     TotalCountCost,
}

// Cost is the complexity of op, as gqlgen's complexity.Calculate counts it
// (each field 1 plus its children unless the schema prices it; the
// introspection schema free), except that each fragment is costed once and
// remembered: gqlgen walks a fragment again at every spread, so a document
// whose fragments spread each other twice costs it 2^n walks before it can
// answer that the operation is too complex.
func Cost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, frags ast.FragmentDefinitionList, vars map[string]any) int {
	w := costWalker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, frags: frags, memo: map[string]setCost{}, open: map[string]bool{}}
	c := w.set(op.SelectionSet)
	return safeAdd(c.each, c.once)
}

// setCost is a selection set's cost: each is what its parent multiplies by
// its page size, once what it adds only once (onceFields).
type setCost struct{ each, once int }

func (c setCost) add(o setCost) setCost {
	return setCost{each: safeAdd(c.each, o.each), once: safeAdd(c.once, o.once)}
}

type costWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	frags  ast.FragmentDefinitionList
	memo   map[string]setCost
	open   map[string]bool
}

func (w *costWalker) set(set ast.SelectionSet) setCost {
	var total setCost
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil {
				if c, ok := onceFields[s.ObjectDefinition.Name+"."+s.Name]; ok {
					total.once = safeAdd(total.once, c)
					continue
				}
			}
			total.each = safeAdd(total.each, w.field(s))
		case *ast.InlineFragment:
			total = total.add(w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			total = total.add(w.fragment(s))
		}
	}
	return total
}

func (w *costWalker) fragment(s *ast.FragmentSpread) setCost {
	if c, ok := w.memo[s.Name]; ok {
		return c
	}
	def := s.Definition
	if def == nil {
		def = w.frags.ForName(s.Name)
	}
	if def == nil || w.open[s.Name] {
		return setCost{} // validation refuses undefined and cyclic fragments
	}
	w.open[s.Name] = true
	c := w.set(def.SelectionSet)
	delete(w.open, s.Name)
	w.memo[s.Name] = c
	return c
}

// field is a field's cost: its price (from the schema's complexity
// functions, given its children's per-entry cost), plus what its children
// cost once.
func (w *costWalker) field(s *ast.Field) int {
	if s.Definition == nil || s.ObjectDefinition == nil {
		return 1
	}
	typ := w.schema.Types[s.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	var child setCost
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.set(s.SelectionSet)
	}
	args := s.ArgumentMap(w.vars)
	if s.ObjectDefinition.Kind == ast.Interface {
		most := 0
		for _, t := range w.schema.GetPossibleTypes(s.ObjectDefinition) {
			most = max(most, w.priced(t, s.Name, child.each, args))
		}
		return safeAdd(most, child.once)
	}
	return safeAdd(w.priced(s.ObjectDefinition, s.Name, child.each, args), child.once)
}

func (w *costWalker) priced(def *ast.Definition, field string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, def.Name, field, child, args); ok && c >= 1 {
		return c
	}
	return safeAdd(1, child)
}

const maxInt = int(^uint(0) >> 1)

func safeAdd(a, b int) int {
	if a < 0 || b < 0 || a > maxInt-b {
		return maxInt
	}
	return a + b
}

func safeMul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > maxInt/b {
		return maxInt
	}
	return a * b
}
