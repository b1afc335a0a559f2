package server_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
)

// firstCursor returns the cursor of the newest entry of a connection.
func firstCursor(t *testing.T, e *env, field string) string {
	t.Helper()
	r := e.query("owner", fmt.Sprintf(`{ h: %s first: 1) { edges { cursor } } }`, field), nil)
	var data struct {
		H struct {
			Edges []struct{ Cursor string } `json:"edges"`
		} `json:"h"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.H.Edges) != 1 {
		t.Fatalf("no cursor from %s: %s", field, r.Body)
	}
	return data.H.Edges[0].Cursor
}

func TestRejectedArguments(t *testing.T) {
	e := newEnv(t, nil)
	const (
		et = `eventTypeHistory(eventTypeId: "2",`
		aa = `attributeAssignmentHistory(orgId: "1", userId: "3",`
		cl = `memberChangeLogs(organizationId: "1", userId: "3",`
	)
	etCursor := firstCursor(t, e, et)
	otherETCursor := firstCursor(t, e, `eventTypeHistory(eventTypeId: "3",`)
	aaCursor := firstCursor(t, e, aa)
	otherMemberCursor := firstCursor(t, e, `attributeAssignmentHistory(orgId: "1", userId: "2",`)
	clCursor := firstCursor(t, e, cl)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	cases := []struct {
		name, field, args string
		ok                bool
	}{
		{"et/first-and-last", et, `first: 5, last: 5`, false},
		{"et/negative-first", et, `first: -1`, false},
		{"et/negative-last", et, `last: -1`, false},
		{"et/first-over-max", et, `first: 51`, false},
		{"et/last-over-max", et, `last: 51`, false},
		{"et/first-at-max", et, `first: 50`, true},
		{"et/first-zero", et, `first: 0`, true},
		{"et/after-and-before", et, fmt.Sprintf(`after: %q, before: %q`, etCursor, etCursor), false},
		{"et/first-with-before", et, fmt.Sprintf(`first: 2, before: %q`, etCursor), false},
		{"et/malformed-cursor", et, `after: "!!not-a-cursor!!"`, false},
		{"et/empty-cursor", et, `after: ""`, false},
		{"et/cursor-with-bad-id", et, fmt.Sprintf(`after: %q`, b64("eth:not-a-uuid")), false},
		{"et/cursor-of-unknown-entry", et, fmt.Sprintf(`after: %q`, b64("eth:019bcf08-539f-7578-b47d-000000000000")), false},
		{"et/cursor-of-another-event-type", et, fmt.Sprintf(`after: %q`, otherETCursor), false},
		{"et/before-cursor-of-another-event-type", et, fmt.Sprintf(`before: %q`, otherETCursor), false},
		{"et/cursor-of-another-history", et, fmt.Sprintf(`after: %q`, aaCursor), false},
		{"et/own-cursor", et, fmt.Sprintf(`after: %q`, etCursor), true},
		{"et/id-letters", `eventTypeHistory(eventTypeId: "abc",`, `first: 1`, false},
		{"et/id-zero", `eventTypeHistory(eventTypeId: "0",`, `first: 1`, false},
		{"et/id-negative", `eventTypeHistory(eventTypeId: "-2",`, `first: 1`, false},
		{"et/id-decimal", `eventTypeHistory(eventTypeId: "2.0",`, `first: 1`, false},
		{"et/id-global-of-user", fmt.Sprintf(`eventTypeHistory(eventTypeId: %q,`, globalID("User", 2)), `first: 1`, false},

		{"aa/first-and-last", aa, `first: 1, last: 1`, false},
		{"aa/negative-first", aa, `first: -3`, false},
		{"aa/first-over-max", aa, `first: 51`, false},
		{"aa/cursor-of-another-member", aa, fmt.Sprintf(`after: %q`, otherMemberCursor), false},
		{"aa/cursor-of-change-logs", aa, fmt.Sprintf(`before: %q`, clCursor), false},
		{"aa/org-id-letters", `attributeAssignmentHistory(orgId: "acme", userId: "3",`, `first: 1`, false},
		{"aa/org-id-user-public-id", fmt.Sprintf(`attributeAssignmentHistory(orgId: %q, userId: "3",`, carolPublicID), `first: 1`, false},
		{"aa/org-id-global-of-user", fmt.Sprintf(`attributeAssignmentHistory(orgId: %q, userId: "3",`, globalID("User", 1)), `first: 1`, false},
		{"aa/user-id-org-public-id", fmt.Sprintf(`attributeAssignmentHistory(orgId: "1", userId: %q,`, acmePublicID), `first: 1`, false},
		{"aa/user-id-empty", `attributeAssignmentHistory(orgId: "1", userId: "",`, `first: 1`, false},

		{"cl/first-and-last", cl, `first: 1, last: 1`, false},
		{"cl/negative-last", cl, `last: -1`, false},
		{"cl/first-over-max", cl, `first: 101`, false},
		{"cl/last-over-max", cl, `last: 101`, false},
		{"cl/first-at-max", cl, `first: 100`, true},
		{"cl/negative-offset", cl, `first: 5, offset: -1`, false},
		{"cl/offset-with-cursor", cl, fmt.Sprintf(`first: 5, offset: 2, after: %q`, clCursor), false},
		{"cl/offset-with-last", cl, `last: 5, offset: 2`, false},
		{"cl/cursor-of-event-types", cl, fmt.Sprintf(`after: %q`, etCursor), false},
		{"cl/after-and-before", cl, fmt.Sprintf(`after: %q, before: %q`, clCursor, clCursor), false},
		{"cl/org-id-decimal", `memberChangeLogs(organizationId: "1e3", userId: "3",`, `first: 1`, false},
		{"cl/user-id-global-of-org", fmt.Sprintf(`memberChangeLogs(organizationId: "1", userId: %q,`, globalID("Organization", 1)), `first: 1`, false},
	}
	before := e.rowCounts()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.query("owner", fmt.Sprintf(`{ h: %s %s) { edges { cursor node { id } } } }`, tc.field, tc.args), nil)
			if tc.ok {
				if len(r.Errors) > 0 {
					t.Fatalf("valid arguments refused: %s", r.Body)
				}
				return
			}
			if got := r.code(); got != "BAD_USER_INPUT" {
				t.Fatalf("code %q, want BAD_USER_INPUT: %s", got, r.Body)
			}
			if conn, _ := historyOf(t, r.Data); conn != nil || contains(r.Body, `"edges"`) {
				t.Fatalf("rejected read returned data: %s", r.Body)
			}
		})
	}

	// Arguments of the wrong type are refused with a code, before anything runs.
	typed := []struct {
		name, query string
		vars        map[string]any
	}{
		{"string-for-int-variable", `query($n: Int) { eventTypeHistory(eventTypeId: "2", first: $n) { totalCount } }`, map[string]any{"n": "ten"}},
		{"float-for-int-variable", `query($n: Int) { eventTypeHistory(eventTypeId: "2", first: $n) { totalCount } }`, map[string]any{"n": 2.5}},
		{"object-for-id-variable", `query($id: ID!) { eventTypeHistory(eventTypeId: $id) { totalCount } }`, map[string]any{"id": map[string]any{"x": 1}}},
		{"missing-required-variable", `query($id: ID!) { eventTypeHistory(eventTypeId: $id) { totalCount } }`, nil},
		{"string-literal-for-int", `{ eventTypeHistory(eventTypeId: "2", first: "5") { totalCount } }`, nil},
		{"unknown-enum", `{ eventTypeHistory(eventTypeId: "2", filter: { actions: [NOPE] }) { totalCount } }`, nil},
		{"bad-datetime", `{ eventTypeHistory(eventTypeId: "2", filter: { timestamp: { from: "yesterday" } }) { totalCount } }`, nil},
		{"int-variable-over-32-bits", `query($n: Int) { eventTypeHistory(eventTypeId: "2", first: $n) { totalCount } }`, map[string]any{"n": 1 << 40}},
	}
	for _, tc := range typed {
		t.Run("types/"+tc.name, func(t *testing.T) {
			r := e.query("owner", tc.query, tc.vars)
			if len(r.Errors) == 0 {
				t.Fatalf("accepted: %s", r.Body)
			}
			code := r.code()
			if code == "" || code == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("code %q: %s", code, r.Body)
			}
			if contains(r.Body, `"totalCount"`) {
				t.Fatalf("ran anyway: %s", r.Body)
			}
			t.Logf("%d %s", r.Status, code)
		})
	}
	if after := e.rowCounts(); !maps.Equal(before, after) {
		t.Errorf("rejected reads changed stored rows: before %v, after %v", before, after)
	}
}
