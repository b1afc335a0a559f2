package graph_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/graph"
	"github.com/vektah/gqlparser/v2/ast"
)

// Every element of the schema a client sees (types, fields, arguments,
// input fields, enum values, directives and their arguments) carries a
// description: GraphiQL's Docs pane and generated clients show nothing else.
// The test lists every element without one.
func TestEverySchemaElementHasADescription(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var missing []string
	need := func(desc, what string) {
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, what)
		}
	}
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			need(a.Description, "argument "+owner+"("+a.Name+":)")
		}
	}
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		need(def.Description, strings.ToLower(string(def.Kind))+" "+name)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			kind := "field "
			if def.Kind == ast.InputObject {
				kind = "input field "
			}
			need(f.Description, kind+name+"."+f.Name)
			args(name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			need(v.Description, "enum value "+name+"."+v.Name)
		}
	}
	for name, d := range schema.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		need(d.Description, "directive @"+name)
		args("@"+name, d.Arguments)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// The server answers @defer non-incrementally, so introspection must not
// offer it.
func TestDeferIsNotAdvertised(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name := range schema.Directives {
		if name == "defer" {
			t.Fatal("the schema declares @defer")
		}
	}
}
