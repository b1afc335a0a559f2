package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The published /v2 documents, copied verbatim from the contract (the copy
// is checked against the original when the contract directory is present).
const (
	attributeDocument = "testdata/contract/cal-attribute-assignment-history.md"
	eventTypeDocument = "testdata/contract/cal-event-type-history.md"
	sharedContract    = "../../shared/contract"
)

// TestContract validates every response of the golden cases: the /v2
// successes against the response schema of their document's OpenAPI, /v2
// errors against the envelope of the contract README, and /v1 against the
// schema written from its document.
func TestContract(t *testing.T) {
	attribute := openAPISchema(t, attributeDocument, func(schemas map[string]any) {
		// The README wins over the document: on the last page nextCursor is
		// null, which the document's schema does not allow.
		props := schemas["AttributeAssignmentHistoryDataOutput"].(map[string]any)["properties"].(map[string]any)
		props["nextCursor"].(map[string]any)["nullable"] = true
	})
	eventType := openAPISchema(t, eventTypeDocument, nil)
	calError := fileSchema(t, "testdata/cal-error.schema.json")
	changeLogs := fileSchema(t, "testdata/change-logs.schema.json")

	// The schemas must be able to fail: a page without its pagination, and a
	// log with a field the document does not name.
	for _, bad := range []struct {
		sch  *jsonschema.Schema
		body string
	}{
		{eventType, `{"status":"success","data":{"eventTypeId":1,"auditLogs":[]}}`},
		{attribute, `{"status":"success","data":{"userId":1,"membershipId":2,"auditLogs":[{"id":"x","timestamp":"t","source":"s","actor":{"type":"USER","displayName":"A"},"sourceContext":{},"changes":[],"extra":1}],"hasMore":false}}`},
		{changeLogs, `{"logs":[],"total_count":0,"skip":0}`},
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad.body))
		if bad.sch.Validate(inst) == nil {
			t.Errorf("a schema accepts %s", bad.body)
		}
	}

	f := newFixture(t, testConfig())
	for _, suite := range []struct {
		name    string
		cases   []goldenCase
		success *jsonschema.Schema
		failure *jsonschema.Schema
	}{
		{"attribute-history", attributeCases(), attribute, calError},
		{"event-type-history", eventTypeCases(), eventType, calError},
		{"change-logs", changeLogsCases(), changeLogs, changeLogs},
	} {
		for _, c := range suite.cases {
			t.Run(suite.name+"/"+c.name, func(t *testing.T) {
				resp := runCase(t, f, c)
				sch := suite.success
				if resp.status >= 400 {
					sch = suite.failure
				}
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(resp.body))
				if err != nil {
					t.Fatalf("%v: %s", err, resp.body)
				}
				if err := sch.Validate(inst); err != nil {
					t.Errorf("%v\n%s", err, resp.body)
				}
			})
		}
	}
}

// TestContractDocumentsAreCopies keeps testdata/contract equal to the
// published documents it was copied from.
func TestContractDocumentsAreCopies(t *testing.T) {
	for _, doc := range []string{attributeDocument, eventTypeDocument} {
		orig, err := os.ReadFile(filepath.Join(sharedContract, filepath.Base(doc)))
		if os.IsNotExist(err) {
			t.Skipf("%s is not here to compare with", sharedContract)
		}
		if err != nil {
			t.Fatal(err)
		}
		copied, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(orig, copied) {
			t.Errorf("%s differs from the published %s", doc, filepath.Base(doc))
		}
	}
}

// openAPISchema reads the ```yaml block of a published document and compiles
// the schema of its 200 response, OpenAPI 3.0 turned into JSON Schema.
// Objects with properties are closed (additionalProperties: false) so a
// field the document does not name fails too. patch may amend the schemas.
func openAPISchema(t *testing.T, doc string, patch func(schemas map[string]any)) *jsonschema.Schema {
	t.Helper()
	md, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(md), "````yaml")
	if !ok {
		t.Fatalf("%s has no yaml block", doc)
	}
	block, _, _ = strings.Cut(block, "````")
	_, block, _ = strings.Cut(block, "\n") // the fence's info string
	var api struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal([]byte(block), &api); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	var root string
	for _, ops := range api.Paths {
		ref := dig(ops, "get", "responses", "200", "content", "application/json", "schema", "$ref")
		root, _ = ref.(string)
	}
	if root == "" || len(api.Components.Schemas) == 0 {
		t.Fatalf("%s: no 200 response schema", doc)
	}
	if patch != nil {
		patch(api.Components.Schemas)
	}
	schemas := map[string]any{}
	for name, s := range api.Components.Schemas {
		schemas[name] = toJSONSchema(s)
	}
	return compile(t, map[string]any{
		"$schema":    "https://json-schema.org/draft/2020-12/schema",
		"$ref":       root,
		"components": map[string]any{"schemas": schemas},
	})
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// toJSONSchema turns an OpenAPI 3.0 schema into JSON Schema: nullable
// becomes a union with null; example and discriminator, which only
// annotate, are dropped (the variants' type enums already discriminate).
func toJSONSchema(v any) any {
	switch s := v.(type) {
	case []any:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = toJSONSchema(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range s {
			switch k {
			case "nullable", "example", "discriminator":
				continue
			case "properties":
				props := map[string]any{}
				for name, p := range e.(map[string]any) {
					props[name] = toJSONSchema(p)
				}
				out[k] = props
			default:
				out[k] = toJSONSchema(e)
			}
		}
		if _, ok := out["properties"]; ok {
			out["additionalProperties"] = false
		}
		if nullable, _ := s["nullable"].(bool); nullable {
			if typ, ok := out["type"].(string); ok {
				out["type"] = []any{typ, "null"}
			} else {
				return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, out}}
			}
		}
		return out
	}
	return v
}

func fileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return compile(t, doc)
}

// compile goes through JSON so YAML's number types become JSON's.
func compile(t *testing.T, doc any) *jsonschema.Schema {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	url := fmt.Sprintf("mem://schema/%p.json", &b)
	if err := c.AddResource(url, parsed); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return sch
}
