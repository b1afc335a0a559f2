package display

import (
	"encoding/json"
	"testing"
)

// For text without <, > or &, the writers must agree byte for byte with
// encoding/json, whose layout the contract's diff sides follow.
func TestJSONTextMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`null`, `true`, `"a\"b\\c\n\u0001é"`, `2335925`, `1.50`, `-1e-7`,
		`[]`, `{}`, `[[]]`, `[{}]`, `{"a":{}}`,
		`[{"z":1,"a":[true,false,null],"m":{"y":"x","b":[]}},"s",[1,[2,[3]]]]`,
		`{"b":{"d":1,"c":[{"f":null,"e":0}]},"a":""}`,
	}
	for _, in := range inputs {
		v, err := decodeJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		wantCompact, _ := json.Marshal(v)
		if got := appendCompact(nil, v); string(got) != string(wantCompact) {
			t.Errorf("compact %s:\n got %s\nwant %s", in, got, wantCompact)
		}
		wantIndent, _ := json.MarshalIndent(v, "", "  ")
		if got := appendIndented(nil, v); string(got) != string(wantIndent) {
			t.Errorf("indented %s:\n got %s\nwant %s", in, got, wantIndent)
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`<a href="x">&amp;</a>`, `"<a href=\"x\">&amp;</a>"`},
		{"\b\f\n\r\t\x00\x1f\x7f", `"\b\f\n\r\t\u0000\u001f` + "\x7f" + `"`},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"a\xffb\xc3", "\"a\uFFFDb\uFFFD\""},
		{"日本語 🎉", `"日本語 🎉"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
