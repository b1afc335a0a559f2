package display

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseAttributeChanges(t *testing.T) {
	raw := `[
	 {"type":"ASSIGNED","attribute":{"id":"attr_dept","slug":"department","name":"Department","type":"SINGLE_SELECT"},
	  "previous":null,"current":{"optionId":"opt_eng","optionSlug":"engineering","value":"Engineering","weight":100}},
	 {"type":"UNASSIGNED","attribute":{"id":"attr_loc","slug":"location","name":"Location","type":"MULTI_SELECT"},
	  "previous":{"optionId":"opt_zrh","optionSlug":"zurich","value":"Zürich","weight":null}},
	 {"type":"VALUE_CHANGED","attribute":{"id":"attr_lvl","slug":"level","name":"Level","type":"NUMBER","extra":1},
	  "previous":{"optionId":"o1","optionSlug":"o1","value":"3"},"current":{"optionId":"o2","optionSlug":"o2","value":"4"},"note":"ignored"},
	 {"type":"WEIGHT_CHANGED","attribute":{"id":"attr_dept","slug":"department","name":"Department","type":"SINGLE_SELECT"},
	  "previous":{"optionId":"opt_eng","optionSlug":"engineering","value":"Engineering","weight":1.5},
	  "current":{"optionId":"opt_eng","optionSlug":"engineering","value":"Engineering","weight":2e1}},
	 {"type":"ASSIGNED","attribute":{"id":"attr_bio","slug":"","name":"","type":"TEXT"},"current":{"optionId":"","optionSlug":"","value":"Hello"}}
	]`
	w := func(f float64) *float64 { return &f }
	want := []AttributeChange{
		{AttributeAssigned, Attribute{"attr_dept", "department", "Department", "SINGLE_SELECT"}, nil, &AttributeValue{"opt_eng", "engineering", "Engineering", w(100)}},
		{AttributeUnassigned, Attribute{"attr_loc", "location", "Location", "MULTI_SELECT"}, &AttributeValue{"opt_zrh", "zurich", "Zürich", nil}, nil},
		{AttributeValueChanged, Attribute{"attr_lvl", "level", "Level", "NUMBER"}, &AttributeValue{"o1", "o1", "3", nil}, &AttributeValue{"o2", "o2", "4", nil}},
		{AttributeWeightChanged, Attribute{"attr_dept", "department", "Department", "SINGLE_SELECT"}, &AttributeValue{"opt_eng", "engineering", "Engineering", w(1.5)}, &AttributeValue{"opt_eng", "engineering", "Engineering", w(20)}},
		{AttributeAssigned, Attribute{"attr_bio", "", "", "TEXT"}, nil, &AttributeValue{"", "", "Hello", nil}},
	}
	got, err := ParseAttributeChanges([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	b, err := json.Marshal(got[1])
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"type":"UNASSIGNED","attribute":{"id":"attr_loc","slug":"location","name":"Location","type":"MULTI_SELECT"},"previous":{"optionId":"opt_zrh","optionSlug":"zurich","value":"Zürich","weight":null},"current":null}`
	if string(b) != wantJSON {
		t.Errorf("JSON\n got %s\nwant %s", b, wantJSON)
	}

	if got, err := ParseAttributeChanges([]byte(`[]`)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty list: %#v, %v", got, err)
	}
}

func TestParseAttributeChangesErrors(t *testing.T) {
	const attr = `"attribute":{"id":"a","slug":"s","name":"n","type":"TEXT"}`
	const val = `{"optionId":"o","optionSlug":"s","value":"v"}`
	tests := []struct{ name, raw string }{
		{"empty", ``},
		{"invalid", `[`},
		{"null", `null`},
		{"object", `{}`},
		{"trailing", `[] []`},
		{"item not an object", `[1]`},
		{"missing type", `[{` + attr + `,"current":` + val + `}]`},
		{"unknown type", `[{"type":"RENAMED",` + attr + `,"current":` + val + `}]`},
		{"lower-case type", `[{"type":"assigned",` + attr + `,"current":` + val + `}]`},
		{"missing attribute", `[{"type":"ASSIGNED","current":` + val + `}]`},
		{"attribute not an object", `[{"type":"ASSIGNED","attribute":"a","current":` + val + `}]`},
		{"attribute without id", `[{"type":"ASSIGNED","attribute":{"slug":"s","name":"n","type":"TEXT"},"current":` + val + `}]`},
		{"attribute with empty id", `[{"type":"ASSIGNED","attribute":{"id":"","slug":"s","name":"n","type":"TEXT"},"current":` + val + `}]`},
		{"attribute name not a string", `[{"type":"ASSIGNED","attribute":{"id":"a","slug":"s","name":1,"type":"TEXT"},"current":` + val + `}]`},
		{"unknown attribute type", `[{"type":"ASSIGNED","attribute":{"id":"a","slug":"s","name":"n","type":"DATE"},"current":` + val + `}]`},
		{"key case matters", `[{"TYPE":"ASSIGNED",` + attr + `,"current":` + val + `}]`},
		{"current not an object", `[{"type":"ASSIGNED",` + attr + `,"current":"v"}]`},
		{"value missing", `[{"type":"ASSIGNED",` + attr + `,"current":{"optionId":"o","optionSlug":"s"}}]`},
		{"weight as string", `[{"type":"ASSIGNED",` + attr + `,"current":{"optionId":"o","optionSlug":"s","value":"v","weight":"1"}}]`},
		{"weight out of range", `[{"type":"ASSIGNED",` + attr + `,"current":{"optionId":"o","optionSlug":"s","value":"v","weight":1e999}}]`},
		{"assigned without current", `[{"type":"ASSIGNED",` + attr + `}]`},
		{"assigned with previous", `[{"type":"ASSIGNED",` + attr + `,"previous":` + val + `,"current":` + val + `}]`},
		{"unassigned with current", `[{"type":"UNASSIGNED",` + attr + `,"current":` + val + `}]`},
		{"value change missing a side", `[{"type":"VALUE_CHANGED",` + attr + `,"previous":` + val + `}]`},
		{"weight change missing a side", `[{"type":"WEIGHT_CHANGED",` + attr + `,"current":` + val + `}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseAttributeChanges([]byte(tt.raw)); err == nil {
				t.Errorf("no error, got %+v", got)
			}
		})
	}
}

func TestClassifyAttributeChange(t *testing.T) {
	w := func(f float64) *float64 { return &f }
	v := func(id, value string, weight *float64) *AttributeValue {
		return &AttributeValue{OptionID: id, OptionSlug: id + "-slug", Value: value, Weight: weight}
	}
	tests := []struct {
		name      string
		prev, cur *AttributeValue
		want      string
		ok        bool
	}{
		{"both nil", nil, nil, "", false},
		{"assigned", nil, v("o1", "A", nil), "ASSIGNED", true},
		{"unassigned", v("o1", "A", w(1)), nil, "UNASSIGNED", true},
		{"option changed", v("o1", "A", nil), v("o2", "A", nil), "VALUE_CHANGED", true},
		{"value changed", v("o1", "A", nil), v("o1", "B", nil), "VALUE_CHANGED", true},
		{"value and weight changed", v("o1", "A", w(1)), v("o2", "B", w(2)), "VALUE_CHANGED", true},
		{"weight changed", v("o1", "A", w(1)), v("o1", "A", w(2)), "WEIGHT_CHANGED", true},
		{"weight set", v("o1", "A", nil), v("o1", "A", w(0)), "WEIGHT_CHANGED", true},
		{"weight cleared", v("o1", "A", w(0)), v("o1", "A", nil), "WEIGHT_CHANGED", true},
		{"same", v("o1", "A", w(1.5)), v("o1", "A", w(1.5)), "", false},
		{"same without weights", v("o1", "A", nil), v("o1", "A", nil), "", false},
		{"slug only", &AttributeValue{"o1", "old", "A", nil}, &AttributeValue{"o1", "new", "A", nil}, "", false},
	}
	for _, tt := range tests {
		got, ok := ClassifyAttributeChange(tt.prev, tt.cur)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got (%q, %v), want (%q, %v)", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseMemberChanges(t *testing.T) {
	s := func(v string) *string { return &v }
	raw := `[{"field":"status_id","old_value":"status_active","new_value":"status_inactive"},
	 {"field":"role","old_value":null,"new_value":"admin"},
	 {"field":"seats","old_value":5,"new_value":1.50},
	 {"field":"flags","old_value":true,"new_value":{"b":[1,"<x>"],"a":null},"extra":1},
	 {"field":"removed","old_value":["x",2]}]`
	want := []MemberChange{
		{"status_id", s("status_active"), s("status_inactive")},
		{"role", nil, s("admin")},
		{"seats", s("5"), s("1.50")},
		{"flags", s("true"), s(`{"a":null,"b":[1,"<x>"]}`)},
		{"removed", s(`["x",2]`), nil},
	}
	got, err := ParseMemberChanges([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	b, err := json.Marshal(got[1])
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"field":"role","old_value":null,"new_value":"admin"}` {
		t.Errorf("JSON = %s", b)
	}
	if got, err := ParseMemberChanges([]byte(` [] `)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty list: %#v, %v", got, err)
	}

	for _, bad := range []string{``, `{`, `null`, `{}`, `"x"`, `[1]`, `[{}]`, `[{"field":""}]`, `[{"field":7}]`, `[{"Field":"a"}]`, `[] 1`} {
		if got, err := ParseMemberChanges([]byte(bad)); err == nil {
			t.Errorf("ParseMemberChanges(%q) = %+v, want an error", bad, got)
		}
	}
}
