package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// DocumentLimits bound the work a GraphQL document may ask of the server
// before any of that work is done: gqlgen's validation (overlapping fields
// in particular) and the cost analysis are super-linear in what a document
// expands to, so the document is measured first, in one linear walk, and
// refused with BAD_USER_INPUT and extensions.limit naming the bound.
//
// A zero field means "no bound" (tests raise single limits that way).
type DocumentLimits struct {
	// Bytes bounds the document's text.
	Bytes int
	// Tokens is the parser's token limit: parsing stops at it.
	Tokens int
	// Fragments bounds the fragment definitions in a document.
	Fragments int
	// Selections bounds the fields of any one selection set, counting those
	// its fragments (spread or inline) bring to the same level.
	Selections int
	// SameName bounds the fields of one selection set (with its fragments)
	// that share a response name: gqlparser compares every pair of them
	// (OverlappingFieldsCanBeMerged), so 1,000 conflicting aliases cost it
	// seconds and gigabytes.
	SameName int
	// Fields bounds the fields of the operation once every fragment spread is
	// expanded: what validation and execution will really walk.
	Fields int
	// Depth bounds nesting, counted in fields; introspection (__schema,
	// __type) is not counted, gqlparser's MaxIntrospectionDepth bounds it
	// (its fields count towards the other limits).
	Depth int
	// ValueDepth bounds the nesting of list and object values, as literals
	// in the document and in the variables.
	ValueDepth int
}

// Limit names, as extensions.limit tells them.
const (
	limitBytes      = "documentBytes"
	limitTokens     = "tokens"
	limitFragments  = "fragments"
	limitSelections = "selections"
	limitSameName   = "sameName"
	limitFields     = "fields"
	limitDepth      = "depth"
	limitValueDepth = "valueDepth"
)

func limitError(limit string, max int, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": model.CodeInvalid, "limit": limit, "max": max},
	}
}

// documentLimits is the gqlgen extension that applies DocumentLimits. It
// runs as an operation parameter mutator, that is before gqlgen parses and
// validates, and after the persisted-query extension has put the document
// in place. A document in the parsed-query cache has passed these limits
// and validation already and is not measured again.
type documentLimits struct {
	DocumentLimits
	parsed graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimits{}

func (documentLimits) ExtensionName() string                   { return "DocumentLimits" }
func (documentLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l documentLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.parsed != nil {
		if _, ok := l.parsed.Get(ctx, p.Query); ok {
			return l.checkVariables(p.Variables)
		}
	}
	if err := l.CheckDocument(p.Query); err != nil {
		return err
	}
	return l.checkVariables(p.Variables)
}

func (l documentLimits) checkVariables(vars map[string]any) *gqlerror.Error {
	if l.ValueDepth <= 0 {
		return nil
	}
	for name, v := range vars {
		if valueDepth(v, l.ValueDepth+1) > l.ValueDepth {
			return limitError(limitValueDepth, l.ValueDepth,
				"variable $%s is nested deeper than %d lists or objects", cut(name, 64), l.ValueDepth)
		}
	}
	return nil
}

// valueDepth is the nesting of a decoded JSON value, counted up to stop.
func valueDepth(v any, stop int) int {
	if stop <= 0 {
		return 0
	}
	d := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			d = max(d, valueDepth(e, stop-1))
		}
	case map[string]any:
		for _, e := range v {
			d = max(d, valueDepth(e, stop-1))
		}
	default:
		return 0
	}
	return d + 1
}

// CheckDocument measures query against the limits: size, then tokens (while
// parsing), then one walk over the operations and the fragments, each
// fragment measured once. A document that does not parse is not refused
// here: gqlgen's own parse reports it with its position.
func (l DocumentLimits) CheckDocument(query string) *gqlerror.Error {
	if l.Bytes > 0 && len(query) > l.Bytes {
		return limitError(limitBytes, l.Bytes, "the document is %d bytes long; the limit is %d", len(query), l.Bytes)
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.Tokens)
	if err != nil {
		if l.Tokens > 0 && strings.Contains(err.Error(), "exceeded token limit") {
			return limitError(limitTokens, l.Tokens, "the document has more than %d tokens", l.Tokens)
		}
		return nil
	}
	return l.checkParsed(doc)
}

// docWalk measures a parsed document. Each fragment's expanded field count
// and depth are computed once and remembered, so the walk is linear in the
// document however its fragments spread into each other; counts saturate
// at the limit + 1 instead of growing exponentially.
type docWalk struct {
	l     DocumentLimits
	frags map[string]*ast.FragmentDefinition
	memo  map[string]shape
	// open marks fragments being walked: a cycle counts as empty here and
	// is reported by validation.
	open map[string]bool
	err  *gqlerror.Error
}

// shape is what a selection set expands to: fields and depth in all, and
// at its own level (fragments merged in) how many fields and how many of
// each response name.
type shape struct {
	fields, depth int
	level         int
	names         map[string]int
}

func (l DocumentLimits) checkParsed(doc *ast.QueryDocument) *gqlerror.Error {
	if l.Fragments > 0 && len(doc.Fragments) > l.Fragments {
		return limitError(limitFragments, l.Fragments, "the document defines %d fragments; the limit is %d", len(doc.Fragments), l.Fragments)
	}
	w := &docWalk{l: l, frags: map[string]*ast.FragmentDefinition{}, memo: map[string]shape{}, open: map[string]bool{}}
	for _, f := range doc.Fragments {
		if _, dup := w.frags[f.Name]; !dup {
			w.frags[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			w.value(v.DefaultValue, 0)
		}
		w.directives(op.Directives)
		s := w.set(op.SelectionSet)
		if w.err != nil {
			return w.err
		}
		if l.Fields > 0 && s.fields > l.Fields {
			return limitError(limitFields, l.Fields, "the operation selects more than %d fields once its fragments are expanded", l.Fields)
		}
		if l.Depth > 0 && s.depth > l.Depth {
			return &gqlerror.Error{
				Message:    "operation is nested too deeply",
				Extensions: map[string]any{"code": model.CodeInvalid, "limit": limitDepth, "max": l.Depth, "depth": s.depth, "maxDepth": l.Depth},
			}
		}
	}
	// Fragments no operation uses are still walked: validation reads them.
	for _, f := range doc.Fragments {
		w.fragment(f.Name)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

func (w *docWalk) saturate(n int) int {
	if w.l.Fields > 0 && n > w.l.Fields {
		return w.l.Fields + 1
	}
	return n
}

func (w *docWalk) set(set ast.SelectionSet) shape {
	if w.err != nil {
		return shape{}
	}
	out := shape{names: map[string]int{}}
	merge := func(s shape) {
		out.level = w.capped(out.level+s.level, w.l.Selections)
		for n, c := range s.names {
			out.names[n] = w.capped(out.names[n]+c, w.l.SameName)
		}
	}
	for _, sel := range set {
		var s shape
		switch sel := sel.(type) {
		case *ast.Field:
			w.arguments(sel.Arguments)
			w.directives(sel.Directives)
			name := sel.Alias
			if name == "" {
				name = sel.Name
			}
			out.level = w.capped(out.level+1, w.l.Selections)
			out.names[name] = w.capped(out.names[name]+1, w.l.SameName)
			s = w.set(sel.SelectionSet)
			s.fields = w.saturate(s.fields + 1)
			s.depth++
			if sel.Name == "__schema" || sel.Name == "__type" {
				// Introspection's fields count like any (aliases of the
				// whole schema are work), its depth does not: gqlparser's
				// MaxIntrospectionDepth rule bounds it.
				s.depth = 0
			}
		case *ast.InlineFragment:
			w.directives(sel.Directives)
			s = w.set(sel.SelectionSet)
			merge(s)
		case *ast.FragmentSpread:
			w.directives(sel.Directives)
			s = w.fragment(sel.Name)
			merge(s)
		}
		if w.err != nil {
			return shape{}
		}
		out.fields = w.saturate(out.fields + s.fields)
		out.depth = max(out.depth, s.depth)
		if w.l.Selections > 0 && out.level > w.l.Selections {
			w.err = limitError(limitSelections, w.l.Selections, "a selection set has more than %d fields (its fragments' included); the limit is %d", w.l.Selections, w.l.Selections)
			return shape{}
		}
	}
	if w.l.SameName > 0 {
		for n, c := range out.names {
			if c > w.l.SameName {
				w.err = limitError(limitSameName, w.l.SameName, "a selection set has more than %d fields named %q (aliases and fragments included); the limit is %d", w.l.SameName, cut(n, 64), w.l.SameName)
				return shape{}
			}
		}
	}
	return out
}

// capped adds up to limit + 1 (no bound when limit is 0).
func (w *docWalk) capped(n, limit int) int {
	if limit > 0 && n > limit {
		return limit + 1
	}
	return n
}

func (w *docWalk) fragment(name string) shape {
	if s, ok := w.memo[name]; ok {
		return s
	}
	f := w.frags[name]
	if f == nil || w.open[name] {
		return shape{}
	}
	w.open[name] = true
	w.directives(f.Directives)
	s := w.set(f.SelectionSet)
	delete(w.open, name)
	w.memo[name] = s
	return s
}

func (w *docWalk) arguments(args ast.ArgumentList) {
	for _, a := range args {
		w.value(a.Value, 0)
	}
}

func (w *docWalk) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		w.arguments(d.Arguments)
	}
}

func (w *docWalk) value(v *ast.Value, depth int) {
	if v == nil || w.err != nil {
		return
	}
	if v.Kind != ast.ListValue && v.Kind != ast.ObjectValue {
		return
	}
	depth++
	if w.l.ValueDepth > 0 && depth > w.l.ValueDepth {
		w.err = limitError(limitValueDepth, w.l.ValueDepth, "a value is nested deeper than %d lists or objects", w.l.ValueDepth)
		return
	}
	for _, c := range v.Children {
		w.value(c.Value, depth)
	}
}

// cut shortens s to at most n bytes (on a rune boundary), marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// errorBound keeps a response's errors to max, the last one saying how
// many more there were, and cuts each message to maxMessage bytes: a
// document with thousands of mistakes is answered in a few kilobytes.
type errorBound struct{ max, maxMessage int }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = errorBound{}

func (errorBound) ExtensionName() string                   { return "ErrorBound" }
func (errorBound) Validate(graphql.ExecutableSchema) error { return nil }

func (b errorBound) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		resp.Errors = b.bound(resp.Errors)
	}
	return resp
}

func (b errorBound) bound(errs gqlerror.List) gqlerror.List {
	if b.maxMessage > 0 {
		for _, e := range errs {
			if e != nil && len(e.Message) > b.maxMessage {
				e.Message = cut(e.Message, b.maxMessage)
			}
		}
	}
	if b.max <= 0 || len(errs) <= b.max {
		return errs
	}
	more := len(errs) - (b.max - 1)
	code := model.CodeInvalid
	if c, ok := errs[b.max-1].Extensions["code"].(string); ok {
		code = c
	}
	out := append(gqlerror.List{}, errs[:b.max-1]...)
	return append(out, &gqlerror.Error{
		Message:    fmt.Sprintf("and %d more errors", more),
		Extensions: map[string]any{"code": code, "omitted": more},
	})
}
