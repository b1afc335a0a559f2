package ingest

import (
	"encoding/json"
	"testing"
)

// TestScanHead checks that scanHead agrees with decoding the line whenever
// it reports ok, and that it defers to the decoder on what it does not read.
func TestScanHead(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{`{"kind":"attributeChange","organizationId":1}`, true},
		{`{"kind":"eventTypeChange","organizationId":"org_acme"}`, true},
		{` { "organizationId" : "12" , "kind" : "memberChangeLog" } `, true},
		{`{"actor":{"kind":"x","organizationId":9},"kind":"memberChangeLog","changes":[{"a":"}\"]"},[1,2]],"organizationId":3}`, true},
		{`{"kind":"user","id":5,"name":"A \"quoted\" name"}`, true},
		{`{"kind":"attributeChange"}`, true},
		{`{}`, true},
		{`{"kind":"attributeChange","kind":"eventTypeChange","organizationId":1}`, true},
		{`{"kind":"member\u0043hangeLog","organizationId":1}`, false},
		{`{"Kind":"memberChangeLog","organizationId":1}`, false},
		{"{\"\u212aind\":\"memberChangeLog\",\"organizationId\":1}", false}, // Kelvin sign
		{"{\"kind\":\"\xf0\",\"organizationId\":1}", false},
		{`{"kind":"memberChangeLog","organizationID":1}`, false},
		{`{"kind":"memberChangeLog","organizationId":null}`, false},
		{`{"kind":"memberChangeLog","organizationId":-1}`, false},
		{`{"kind":7,"organizationId":1}`, false},
		{`{"kind":"memberChangeLog","organizationId":1} x`, false},
		{`{"kind":"memberChangeLog"`, false},
		{`["kind"]`, false},
		{``, false},
	} {
		kind, org, ok := scanHead([]byte(tc.line))
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.line, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		var head struct {
			Kind           string `json:"kind"`
			OrganizationID ID     `json:"organizationId"`
		}
		if err := json.Unmarshal([]byte(tc.line), &head); err != nil {
			t.Errorf("%s: scanned, but does not decode: %v", tc.line, err)
			continue
		}
		if kind != head.Kind || org != head.OrganizationID {
			t.Errorf("%s: scanned %q %q, decoded %q %q", tc.line, kind, org, head.Kind, head.OrganizationID)
		}
	}
}

// FuzzScanHead: whenever scanHead reads a line that decodes, it reads what
// the decoder reads.
func FuzzScanHead(f *testing.F) {
	f.Add([]byte(`{"kind":"attributeChange","organizationId":1}`))
	f.Add([]byte(`{"actor":{"kind":"x"},"kind":"memberChangeLog","changes":[{"a":"}\"]"}],"organizationId":"org_x"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		kind, org, ok := scanHead(line)
		if !ok {
			return
		}
		var head struct {
			Kind           string `json:"kind"`
			OrganizationID ID     `json:"organizationId"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return // the full decode rejects the line
		}
		if kind != head.Kind || org != head.OrganizationID {
			t.Fatalf("%q: scanned %q %q, decoded %q %q", line, kind, org, head.Kind, head.OrganizationID)
		}
	})
}
