package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

type fieldValue struct {
	Typename string   `json:"__typename"`
	Kind     string   `json:"kind"`
	Value    string   `json:"value"`
	Values   []string `json:"values"`
	Previous string   `json:"previous"`
	Next     string   `json:"next"`
}

type historyEntry struct {
	ID                 string `json:"id"`
	Action             string `json:"action"`
	Type               string `json:"type"`
	ActionDisplayTitle string `json:"actionDisplayTitle"`
	HasError           bool   `json:"hasError"`
	DisplayJSON        any    `json:"displayJson"`
	DisplayFields      []struct {
		Label      string     `json:"label"`
		FieldValue fieldValue `json:"fieldValue"`
	} `json:"displayFields"`
}

const entriesQuery = `query($after: String) {
  eventTypeHistory(eventTypeId: "2", first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id action type actionDisplayTitle hasError displayJson
      displayFields { label fieldValue {
        __typename
        ... on RawValue { kind value }
        ... on RawValues { kind values }
        ... on ValueChange { kind previous next }
        ... on Diff { kind previous next }
      } }
    } }
  }
}`

// allEntries reads the team event type's whole history, 50 at a time.
func allEntries(t *testing.T, e *env) []historyEntry {
	t.Helper()
	var out []historyEntry
	var after *string
	for {
		vars := map[string]any{}
		if after != nil {
			vars["after"] = *after
		}
		r := e.query("owner", entriesQuery, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %s", r.Body)
		}
		var data struct {
			EventTypeHistory struct {
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
				Edges []struct {
					Node historyEntry `json:"node"`
				} `json:"edges"`
			} `json:"eventTypeHistory"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		for _, edge := range data.EventTypeHistory.Edges {
			out = append(out, edge.Node)
		}
		if !data.EventTypeHistory.PageInfo.HasNextPage {
			return out
		}
		after = &data.EventTypeHistory.PageInfo.EndCursor
	}
}

// canonicalDiff is a Diff side as it must be written: JSON with sorted keys
// and two-space indentation.
func canonicalDiff(s string) (string, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

func TestFieldValueKinds(t *testing.T) {
	e := newEnv(t, nil)
	entries := allEntries(t, e)
	if len(entries) != 150 {
		t.Fatalf("%d entries, want 150", len(entries))
	}
	kinds := map[string]int{}
	var nullChanges, absentChanges, damaged int
	for _, en := range entries {
		if en.ActionDisplayTitle == "" {
			t.Errorf("%s: empty actionDisplayTitle", en.ID)
		}
		if en.HasError {
			damaged++
			if len(en.DisplayFields) != 0 || en.DisplayJSON != nil {
				t.Errorf("%s: hasError entry shows displayFields %v and displayJson %v, want [] and null",
					en.ID, en.DisplayFields, en.DisplayJSON)
			}
			continue
		}
		if en.DisplayJSON == nil {
			t.Errorf("%s: readable entry without displayJson", en.ID)
		}
		if len(en.DisplayFields) == 0 && en.Action == "EVENT_TYPE_CREATED" {
			t.Errorf("%s: creation shows no fields", en.ID)
		}
		for _, f := range en.DisplayFields {
			fv := f.FieldValue
			kinds[fv.Typename]++
			if want := map[string]string{"RawValue": "rawValue", "RawValues": "rawValues", "ValueChange": "valueChange", "Diff": "diff"}[fv.Typename]; fv.Kind != want {
				t.Errorf("%s: a %s has kind %q, want %q", en.ID, fv.Typename, fv.Kind, want)
			}
			if f.Label == "" {
				t.Errorf("%s: field without a label", en.ID)
			}
			switch en.Action {
			case "EVENT_TYPE_CREATED", "EVENT_TYPE_DELETED":
				if fv.Typename != "RawValue" && fv.Typename != "RawValues" {
					t.Errorf("%s %s: %s shows %s, want RawValue or RawValues", en.ID, en.Action, f.Label, fv.Typename)
				}
			case "EVENT_TYPE_MODIFIED":
				if fv.Typename != "ValueChange" && fv.Typename != "Diff" {
					t.Errorf("%s modified: %s shows %s, want ValueChange or Diff", en.ID, f.Label, fv.Typename)
				}
			}
			switch fv.Typename {
			case "RawValue":
				if fv.Value == "" && f.Label != "Description" {
					t.Errorf("%s: %s RawValue is empty", en.ID, f.Label)
				}
			case "RawValues":
				if fv.Values == nil {
					t.Errorf("%s: %s RawValues without values", en.ID, f.Label)
				}
			case "ValueChange":
				if fv.Previous == fv.Next {
					t.Errorf("%s: %s ValueChange %q -> %q changes nothing", en.ID, f.Label, fv.Previous, fv.Next)
				}
				if fv.Previous == "null" || fv.Next == "null" {
					nullChanges++
				}
				if fv.Previous == "—" || fv.Next == "—" {
					absentChanges++
				}
			case "Diff":
				for _, side := range []string{fv.Previous, fv.Next} {
					want, err := canonicalDiff(side)
					if err != nil {
						t.Errorf("%s: %s Diff side is not JSON: %v\n%s", en.ID, f.Label, err, side)
					} else if side != want {
						t.Errorf("%s: %s Diff side is not sorted two-space JSON:\n%s\nwant\n%s", en.ID, f.Label, side, want)
					}
				}
			default:
				t.Errorf("%s: unknown FieldValue %q", en.ID, fv.Typename)
			}
		}
	}
	created := entries[len(entries)-1]
	if created.Action != "EVENT_TYPE_CREATED" || created.Type != "RECORD_CREATED" {
		t.Errorf("oldest entry is %s/%s, want the creation", created.Action, created.Type)
	}
	for _, kind := range []string{"RawValue", "RawValues", "ValueChange", "Diff"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s in the history (kinds seen: %v)", kind, kinds)
		}
	}
	if nullChanges == 0 {
		t.Error(`no ValueChange spells out "null"`)
	}
	if absentChanges == 0 {
		t.Error(`no ValueChange spells out an absent side as "—"`)
	}
	if damaged != 1 {
		t.Errorf("%d damaged entries, want the demo's one", damaged)
	}
	t.Logf("kinds %v, null changes %d, absent changes %d", kinds, nullChanges, absentChanges)
}

// The damaged entry's page is served whole, without errors, and the entry
// reads hasError with an empty fields list and a null displayJson.
func TestDamagedEntryPageSucceeds(t *testing.T) {
	e := newEnv(t, nil)
	var id string
	err := e.db.NewSelect().TableExpr("event_type_history").Column("id").
		Where("event_type_id = 2 AND payload NOT LIKE '%}'").Scan(t.Context(), &id)
	if err != nil {
		t.Fatalf("finding the damaged entry: %v", err)
	}
	entries := allEntries(t, e)
	for i, en := range entries {
		if en.ID != id {
			continue
		}
		if !en.HasError {
			t.Errorf("entry %d (%s) is damaged but hasError is false", i, id)
		}
		raw, _ := json.Marshal(en.DisplayFields)
		if string(raw) != "[]" || en.DisplayJSON != nil {
			t.Errorf("damaged entry: displayFields %s, displayJson %v", raw, en.DisplayJSON)
		}
		return
	}
	t.Fatalf("damaged entry %s not in the history", id)
}

// Attribute changes: the demo's damaged attribute entry reads hasError with
// no changes; the others carry typed changes.
func TestAttributeEntries(t *testing.T) {
	e := newEnv(t, nil)
	r := e.query("auditor", `{ attributeAssignmentHistory(orgId: "1", userId: "3", first: 50) {
		edges { node { id hasError sourceContext actor { type displayName }
			changes { type attribute { id slug name type } previous { optionId value weight } current { optionId value weight } } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Body)
	}
	var data struct {
		H struct {
			Edges []struct {
				Node struct {
					ID            string         `json:"id"`
					HasError      bool           `json:"hasError"`
					SourceContext map[string]any `json:"sourceContext"`
					Changes       []struct {
						Type     string          `json:"type"`
						Previous json.RawMessage `json:"previous"`
						Current  json.RawMessage `json:"current"`
					} `json:"changes"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"attributeAssignmentHistory"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	damaged := 0
	for _, edge := range data.H.Edges {
		n := edge.Node
		if n.HasError {
			damaged++
			if len(n.Changes) != 0 {
				t.Errorf("%s: hasError with %d changes", n.ID, len(n.Changes))
			}
			continue
		}
		if len(n.Changes) == 0 || n.SourceContext["requestId"] == nil {
			t.Errorf("%s: %d changes, sourceContext %v", n.ID, len(n.Changes), n.SourceContext)
		}
		for _, c := range n.Changes {
			types[c.Type]++
			null := func(m json.RawMessage) bool { return string(m) == "null" }
			switch c.Type {
			case "ASSIGNED":
				if !null(c.Previous) || null(c.Current) {
					t.Errorf("%s: ASSIGNED with previous %s current %s", n.ID, c.Previous, c.Current)
				}
			case "UNASSIGNED":
				if null(c.Previous) || !null(c.Current) {
					t.Errorf("%s: UNASSIGNED with previous %s current %s", n.ID, c.Previous, c.Current)
				}
			}
		}
	}
	if damaged != 1 {
		t.Errorf("%d damaged attribute entries on the first page, want 1", damaged)
	}
	if types["ASSIGNED"] == 0 || types["UNASSIGNED"] == 0 {
		t.Errorf("change types seen: %v", types)
	}
	t.Log(fmt.Sprint("attribute change types ", types))
}
