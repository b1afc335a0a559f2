package resolvers

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model/display"
)

// The event type history page is the hottest operation, and gqlgen spends
// most of its CPU on it marshalling field by field: a field context and a
// marshaller per field of every entry, a goroutine per list element. Entries
// never change once written, so their JSON can be written once.
//
// FastPages wraps the executable schema. An operation whose only root field
// is eventTypeHistory, selecting nothing but the entries' own fields (no
// totalCount, no directives), runs through gqlgen with its selection cut
// down to __typename: arguments, the access directive, the resolver and
// errors stay gqlgen's. The connection the resolver returned is then
// written from the operation's real selection by the plan below, each
// entry's JSON taken from a bounded cache keyed by the presented entry (the
// entry cache hands out one per stored row) and the selection.
// TestFastPageMatchesGqlgen holds the output byte for byte to gqlgen's;
// anything else, and anything unexpected on the way, goes to gqlgen whole.
func FastPages(inner graphql.ExecutableSchema) graphql.ExecutableSchema {
	s := &fastPages{ExecutableSchema: inner}
	s.plans, _ = lru.New[*ast.Field, *fastPlan](fastPlanCacheSize)
	s.nodes, _ = lru.New[nodeKey, []byte](fastNodeCacheSize)
	return s
}

const (
	fastPlanCacheSize = 256  // distinct operations; a plan holds its AST
	fastNodeCacheSize = 4096 // entries × selections, a kilobyte or two each
)

type fastPages struct {
	graphql.ExecutableSchema
	plans *lru.Cache[*ast.Field, *fastPlan]
	nodes *lru.Cache[nodeKey, []byte]
	// served counts the pages written by the fast path (tests read it).
	served atomic.Int64
}

type nodeKey struct {
	entry *gqlmodel.EventTypeHistoryEntry
	plan  *[]planField
}

// fastPlan is the selection of one eventTypeHistory field; nil fields:
// not served by the fast path.
type fastPlan struct {
	root    *ast.Field
	reduced *ast.OperationDefinition
	fields  []planField // of the connection
}

type planField struct {
	alias, name string
	sub         []planField
	// union is the selection of a FieldValue by concrete type.
	union map[string]*[]planField
	// node is the entry selection, shared by edges.node and nodes.
	node *[]planField
}

type captureKey struct{}

// captured is where the resolver leaves the connection of a fast page.
type captured struct {
	conn *gqlmodel.EventTypeHistoryConnection
}

// capture hands conn to the fast path when it asked for it.
func capture(ctx context.Context, conn *gqlmodel.EventTypeHistoryConnection) {
	if c, ok := ctx.Value(captureKey{}).(*captured); ok {
		c.conn = conn
	}
}

func (s *fastPages) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	plan := s.plan(oc)
	if plan == nil {
		return s.ExecutableSchema.Exec(ctx)
	}
	c := &captured{}
	reduced := &graphql.OperationContext{
		RawQuery: oc.RawQuery, Variables: oc.Variables, OperationName: oc.OperationName, Doc: oc.Doc,
		Extensions: oc.Extensions, Headers: oc.Headers, Operation: plan.reduced,
		DisableIntrospection: oc.DisableIntrospection, RecoverFunc: oc.RecoverFunc,
		ResolverMiddleware: oc.ResolverMiddleware, RootResolverMiddleware: oc.RootResolverMiddleware,
	}
	inner := s.ExecutableSchema.Exec(context.WithValue(graphql.WithOperationContext(ctx, reduced), captureKey{}, c))
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		resp := inner(context.WithValue(graphql.WithOperationContext(ctx, reduced), captureKey{}, c))
		if resp == nil || len(resp.Errors) > 0 || c.conn == nil {
			return resp
		}
		var buf bytes.Buffer
		buf.Grow(32 << 10)
		buf.WriteByte('{')
		writeQuoted(&buf, plan.root.Alias)
		buf.WriteByte(':')
		if !s.writeConnection(&buf, plan.fields, c.conn) {
			// Something gqlgen would report (a null where the schema
			// forbids one): let it.
			return s.ExecutableSchema.Exec(ctx)(ctx)
		}
		buf.WriteByte('}')
		resp.Data = buf.Bytes()
		s.served.Add(1)
		return resp
	}
}

// plan returns the fast plan of the operation, nil when it is not one.
func (s *fastPages) plan(oc *graphql.OperationContext) *fastPlan {
	op := oc.Operation
	if op == nil || op.Operation != ast.Query || len(op.SelectionSet) != 1 || len(op.Directives) > 0 {
		return nil
	}
	root, ok := op.SelectionSet[0].(*ast.Field)
	if !ok || root.Name != "eventTypeHistory" || len(root.Directives) > 0 {
		return nil
	}
	if p, ok := s.plans.Get(root); ok {
		if p.fields == nil {
			return nil
		}
		return p
	}
	p := &fastPlan{root: root}
	if fields, ok := compile(oc, root.SelectionSet, "EventTypeHistoryConnection"); ok {
		p.fields = fields
		cut := *root
		cut.SelectionSet = ast.SelectionSet{&ast.Field{Alias: "__typename", Name: "__typename", Position: root.Position}}
		reducedOp := *op
		reducedOp.SelectionSet = ast.SelectionSet{&cut}
		p.reduced = &reducedOp
	}
	s.plans.Add(root, p)
	if p.fields == nil {
		return nil
	}
	return p
}

// fastTypes are the fields the fast path writes, by type: the child type of
// each ("" for a leaf). Any other field sends the operation to gqlgen.
var fastTypes = map[string]map[string]string{
	"EventTypeHistoryConnection": {"edges": "EventTypeHistoryEdge", "nodes": "EventTypeHistoryEntry", "pageInfo": "PageInfo"},
	"EventTypeHistoryEdge":       {"cursor": "", "node": "EventTypeHistoryEntry"},
	"EventTypeHistoryEntry": {"id": "", "action": "", "type": "", "timestamp": "", "source": "", "actor": "Actor",
		"impersonatedBy": "ImpersonatedBy", "actionDisplayTitle": "", "displayFields": "DisplayField", "displayJson": "", "hasError": ""},
	"Actor":          {"type": "", "displayName": "", "displayEmail": "", "displayAvatar": ""},
	"ImpersonatedBy": {"displayName": "", "displayEmail": "", "displayAvatar": ""},
	"DisplayField":   {"label": "", "fieldValue": "FieldValue"},
	"PageInfo":       {"hasNextPage": "", "hasPreviousPage": "", "startCursor": "", "endCursor": ""},
	"RawValue":       {"kind": "", "value": ""},
	"RawValues":      {"kind": "", "values": ""},
	"ValueChange":    {"kind": "", "previous": "", "next": ""},
	"Diff":           {"kind": "", "previous": "", "next": ""},
}

// fieldValueTypes are FieldValue's members.
var fieldValueTypes = []string{"RawValue", "RawValues", "ValueChange", "Diff"}

// compile collects sel on typ as gqlgen does (its own CollectFields, so
// order, merging and fragments are the same), or reports false.
func compile(oc *graphql.OperationContext, sel ast.SelectionSet, typ string) ([]planField, bool) {
	if hasDirectives(oc, sel, 0) {
		return nil, false
	}
	satisfies := []string{typ}
	if fastTypes[typ] != nil && typ != "FieldValue" {
		for _, m := range fieldValueTypes {
			if m == typ {
				satisfies = append(satisfies, "FieldValue")
			}
		}
	}
	var out []planField
	for _, f := range graphql.CollectFields(oc, sel, satisfies) {
		pf := planField{alias: f.Alias, name: f.Name}
		if f.Name == "__typename" {
			out = append(out, pf)
			continue
		}
		child, ok := fastTypes[typ][f.Name]
		if !ok || len(f.Arguments) > 0 {
			return nil, false
		}
		switch {
		case child == "FieldValue":
			pf.union = map[string]*[]planField{}
			for _, m := range fieldValueTypes {
				sub, ok := compile(oc, f.Selections, m)
				if !ok {
					return nil, false
				}
				pf.union[m] = &sub
			}
		case child == "EventTypeHistoryEntry":
			sub, ok := compile(oc, f.Selections, child)
			if !ok {
				return nil, false
			}
			pf.node = &sub
		case child != "":
			sub, ok := compile(oc, f.Selections, child)
			if !ok {
				return nil, false
			}
			pf.sub = sub
		}
		out = append(out, pf)
	}
	return out, true
}

// hasDirectives reports any directive in sel, fragments included.
func hasDirectives(oc *graphql.OperationContext, sel ast.SelectionSet, depth int) bool {
	if depth > 32 {
		return true
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 || hasDirectives(oc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || hasDirectives(oc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 {
				return true
			}
			f := oc.Doc.Fragments.ForName(s.Name)
			if f == nil || len(f.Directives) > 0 || hasDirectives(oc, f.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *fastPages) writeConnection(w *bytes.Buffer, fields []planField, c *gqlmodel.EventTypeHistoryConnection) bool {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, f.alias)
		w.WriteByte(':')
		switch f.name {
		case "__typename":
			writeQuoted(w, "EventTypeHistoryConnection")
		case "edges":
			w.WriteByte('[')
			for j, e := range c.Edges {
				if e == nil || e.Node == nil {
					return false
				}
				if j > 0 {
					w.WriteByte(',')
				}
				w.WriteByte('{')
				for k, ef := range f.sub {
					if k > 0 {
						w.WriteByte(',')
					}
					writeQuoted(w, ef.alias)
					w.WriteByte(':')
					switch ef.name {
					case "__typename":
						writeQuoted(w, "EventTypeHistoryEdge")
					case "cursor":
						writeQuoted(w, e.Cursor)
					case "node":
						if !s.writeNode(w, ef.node, e.Node) {
							return false
						}
					}
				}
				w.WriteByte('}')
			}
			w.WriteByte(']')
		case "nodes":
			w.WriteByte('[')
			for j, e := range c.Edges {
				if e == nil || e.Node == nil {
					return false
				}
				if j > 0 {
					w.WriteByte(',')
				}
				if !s.writeNode(w, f.node, e.Node) {
					return false
				}
			}
			w.WriteByte(']')
		case "pageInfo":
			if c.PageInfo == nil {
				return false
			}
			writePageInfo(w, f.sub, c.PageInfo)
		default:
			return false
		}
	}
	w.WriteByte('}')
	return true
}

func writePageInfo(w *bytes.Buffer, fields []planField, p *gqlmodel.PageInfo) {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, f.alias)
		w.WriteByte(':')
		switch f.name {
		case "__typename":
			writeQuoted(w, "PageInfo")
		case "hasNextPage":
			writeBool(w, p.HasNextPage)
		case "hasPreviousPage":
			writeBool(w, p.HasPreviousPage)
		case "startCursor":
			writeOptional(w, p.StartCursor)
		case "endCursor":
			writeOptional(w, p.EndCursor)
		}
	}
	w.WriteByte('}')
}

// writeNode writes an entry, from the node cache when it was written with
// this selection before. Presented entries are never modified, so the
// pointer and the selection name the bytes.
func (s *fastPages) writeNode(w *bytes.Buffer, fields *[]planField, e *gqlmodel.EventTypeHistoryEntry) bool {
	k := nodeKey{entry: e, plan: fields}
	if b, ok := s.nodes.Get(k); ok {
		w.Write(b)
		return true
	}
	nb := bufs.Get().(*bytes.Buffer)
	nb.Reset()
	defer bufs.Put(nb)
	if !writeEntry(nb, *fields, e) {
		return false
	}
	b := bytes.Clone(nb.Bytes())
	s.nodes.Add(k, b)
	w.Write(b)
	return true
}

func writeEntry(w *bytes.Buffer, fields []planField, e *gqlmodel.EventTypeHistoryEntry) bool {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, f.alias)
		w.WriteByte(':')
		switch f.name {
		case "__typename":
			writeQuoted(w, "EventTypeHistoryEntry")
		case "id":
			writeQuoted(w, e.ID)
		case "action":
			w.WriteString(strconv.Quote(e.Action))
		case "type":
			writeQuoted(w, e.Type)
		case "timestamp":
			gqlmodel.MarshalDateTime(e.Timestamp).MarshalGQL(w)
		case "source":
			w.WriteString(strconv.Quote(e.Source))
		case "actor":
			if e.Actor == nil {
				return false
			}
			writePerson(w, f.sub, "Actor", &e.Actor.Type, e.Actor.DisplayName, e.Actor.DisplayEmail, e.Actor.DisplayAvatar)
		case "impersonatedBy":
			if e.ImpersonatedBy == nil {
				w.WriteString("null")
				continue
			}
			p := e.ImpersonatedBy
			writePerson(w, f.sub, "ImpersonatedBy", nil, p.DisplayName, p.DisplayEmail, p.DisplayAvatar)
		case "actionDisplayTitle":
			writeQuoted(w, e.ActionDisplayTitle)
		case "displayFields":
			w.WriteByte('[')
			for j, d := range e.DisplayFields {
				if d == nil {
					return false
				}
				if j > 0 {
					w.WriteByte(',')
				}
				if !writeDisplayField(w, f, d) {
					return false
				}
			}
			w.WriteByte(']')
		case "displayJson":
			e.DisplayJSON.MarshalGQL(w)
		case "hasError":
			writeBool(w, e.HasError)
		default:
			return false
		}
	}
	w.WriteByte('}')
	return true
}

func writePerson(w *bytes.Buffer, fields []planField, typename string, typ *string, name string, email, avatar *string) {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, f.alias)
		w.WriteByte(':')
		switch f.name {
		case "__typename":
			writeQuoted(w, typename)
		case "type":
			w.WriteString(strconv.Quote(*typ))
		case "displayName":
			writeQuoted(w, name)
		case "displayEmail":
			writeOptional(w, email)
		case "displayAvatar":
			writeOptional(w, avatar)
		}
	}
	w.WriteByte('}')
}

func writeDisplayField(w *bytes.Buffer, f planField, d *gqlmodel.DisplayField) bool {
	w.WriteByte('{')
	for i, df := range f.sub {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, df.alias)
		w.WriteByte(':')
		switch df.name {
		case "__typename":
			writeQuoted(w, "DisplayField")
		case "label":
			writeQuoted(w, d.Label)
		case "fieldValue":
			if !writeFieldValue(w, df.union, d.FieldValue) {
				return false
			}
		}
	}
	w.WriteByte('}')
	return true
}

func writeFieldValue(w *bytes.Buffer, union map[string]*[]planField, v display.FieldValue) bool {
	var typename, kind string
	var a, b string
	var list []string
	switch p := v.(type) {
	case *display.RawValue:
		if p == nil {
			return false
		}
		v = *p
	case *display.RawValues:
		if p == nil {
			return false
		}
		v = *p
	case *display.ValueChange:
		if p == nil {
			return false
		}
		v = *p
	case *display.Diff:
		if p == nil {
			return false
		}
		v = *p
	}
	switch v := v.(type) {
	case display.RawValue:
		typename, kind, a = "RawValue", v.Kind(), v.Value
	case display.RawValues:
		typename, kind, list = "RawValues", v.Kind(), v.Values
	case display.ValueChange:
		typename, kind, a, b = "ValueChange", v.Kind(), v.Previous, v.Next
	case display.Diff:
		typename, kind, a, b = "Diff", v.Kind(), v.Previous, v.Next
	default:
		return false // nil: gqlgen's to judge
	}
	w.WriteByte('{')
	for i, f := range *union[typename] {
		if i > 0 {
			w.WriteByte(',')
		}
		writeQuoted(w, f.alias)
		w.WriteByte(':')
		switch f.name {
		case "__typename":
			writeQuoted(w, typename)
		case "kind":
			writeQuoted(w, kind)
		case "value", "previous":
			writeQuoted(w, a)
		case "next":
			writeQuoted(w, b)
		case "values":
			w.WriteByte('[')
			for j, s := range list {
				if j > 0 {
					w.WriteByte(',')
				}
				writeQuoted(w, s)
			}
			w.WriteByte(']')
		}
	}
	w.WriteByte('}')
	return true
}

func writeBool(w *bytes.Buffer, b bool) { w.WriteString(strconv.FormatBool(b)) }

func writeOptional(w *bytes.Buffer, s *string) {
	if s == nil {
		w.WriteString("null")
		return
	}
	writeQuoted(w, *s)
}

// writeQuoted writes s as gqlgen's graphql.MarshalString does.
func writeQuoted(w io.Writer, s string) {
	graphql.MarshalString(s).MarshalGQL(w)
}
