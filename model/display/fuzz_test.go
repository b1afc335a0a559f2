package display

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/. The action argument is
// an index into fuzzActions so that mutations keep exercising the three real
// actions instead of mostly producing unknown ones.
var fuzzActions = [...]string{ActionEventTypeCreated, ActionEventTypeModified, ActionEventTypeDeleted, "EVENT_TYPE_RENAMED"}

func fuzzAction(i uint8) string { return fuzzActions[int(i)%len(fuzzActions)] }

func decodeForTest(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return v
}

func FuzzRenderEventTypePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, actionIndex uint8, payload []byte) {
		action := fuzzAction(actionIndex)
		r := RenderEventTypePayload(action, payload)
		if r.DisplayFields == nil {
			t.Fatal("nil DisplayFields")
		}
		if err := CheckEventTypePayload(action, payload); (err != nil) != r.HasError {
			t.Fatalf("CheckEventTypePayload says %v, the rendering HasError %v", err, r.HasError)
		}
		if r.HasError {
			if len(r.DisplayFields) != 0 || r.DisplayJSON != nil {
				t.Fatalf("HasError with output: %#v", r)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("invalid JSON %q rendered without error", payload)
		}
		if RecordType(action) == "" {
			t.Fatalf("unknown action %q rendered without error", action)
		}
		if !json.Valid(r.DisplayJSON) {
			t.Fatalf("DisplayJSON is not valid JSON: %q", r.DisplayJSON)
		}
		if !reflect.DeepEqual(decodeForTest(t, payload), decodeForTest(t, r.DisplayJSON)) {
			t.Fatalf("DisplayJSON %s does not hold the payload %s", r.DisplayJSON, payload)
		}
		for _, df := range r.DisplayFields {
			if df.FieldValue == nil {
				t.Fatalf("nil FieldValue for %q", df.Label)
			}
			wantRaw := action != ActionEventTypeModified
			var isRaw bool
			switch df.FieldValue.(type) {
			case RawValue, RawValues:
				isRaw = true
			}
			if isRaw != wantRaw {
				t.Fatalf("%s shows a %T field", action, df.FieldValue)
			}
			switch v := df.FieldValue.(type) {
			case RawValues:
				if v.Values == nil {
					t.Fatal("nil RawValues.Values")
				}
			case Diff:
				for _, side := range []string{v.Previous, v.Next} {
					if _, isList := decodeForTest(t, []byte(side)).([]any); !isList {
						t.Fatalf("diff side is not a JSON array: %q", side)
					}
					var compact, indented bytes.Buffer
					if err := json.Compact(&compact, []byte(side)); err != nil {
						t.Fatal(err)
					}
					if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
						t.Fatal(err)
					}
					if indented.String() != side {
						t.Fatalf("diff side is not two-space indented:\n%s", side)
					}
				}
			}
		}
		if _, err := json.Marshal(r.DisplayFields); err != nil {
			t.Fatalf("marshalling fields: %v", err)
		}
		again := RenderEventTypePayload(action, r.DisplayJSON)
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("rendering DisplayJSON differs:\n%#v\n%#v", again, r)
		}
	})
}

func FuzzParseAttributeChanges(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		changes, err := ParseAttributeChanges(raw)
		if err != nil {
			if changes != nil {
				t.Fatalf("changes %+v with error %v", changes, err)
			}
			return
		}
		if changes == nil || !json.Valid(raw) {
			t.Fatalf("accepted %q as %#v", raw, changes)
		}
		for _, c := range changes {
			if c.Previous != nil && c.Current != nil {
				if c.Type != AttributeValueChanged && c.Type != AttributeWeightChanged {
					t.Fatalf("%s with both sides", c.Type)
				}
			} else if got, ok := ClassifyAttributeChange(c.Previous, c.Current); !ok || got != c.Type {
				t.Fatalf("%s does not match its sides (%q, %v)", c.Type, got, ok)
			}
		}
		b, err := json.Marshal(changes)
		if err != nil {
			t.Fatalf("marshalling: %v", err)
		}
		again, err := ParseAttributeChanges(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(again, changes) {
			t.Fatalf("round trip differs:\n%+v\n%+v", again, changes)
		}
	})
}

func FuzzParseMemberChanges(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		changes, err := ParseMemberChanges(raw)
		if err != nil {
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		b, err := json.Marshal(changes)
		if err != nil {
			t.Fatalf("marshalling: %v", err)
		}
		again, err := ParseMemberChanges(b)
		if err != nil || !reflect.DeepEqual(again, changes) {
			t.Fatalf("round trip of %s: %+v, %v", b, again, err)
		}
	})
}

func FuzzEventTypeChangePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, actionIndex uint8, before, after []byte) {
		action := fuzzAction(actionIndex)
		// Below 128 the side an action must not have is dropped, so that most
		// inputs reach the comparison; from 128 on both sides go in as given.
		if actionIndex < 128 {
			switch action {
			case ActionEventTypeCreated:
				before = nil
			case ActionEventTypeDeleted:
				after = nil
			}
		}
		payload, changed, err := EventTypeChangePayload(action, before, after)
		if err != nil {
			if payload != nil || changed {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("invalid payload %q", payload)
		}
		r := RenderEventTypePayload(action, payload)
		if r.HasError {
			t.Fatalf("payload does not render: %s", payload)
		}
		var stored struct {
			Version       int
			ChangedFields []string
		}
		if err := json.Unmarshal(payload, &stored); err != nil {
			t.Fatal(err)
		}
		if stored.Version != 1 || len(stored.ChangedFields) != len(r.DisplayFields) || changed != (len(r.DisplayFields) > 0) {
			t.Fatalf("inconsistent payload (changed=%v): %s", changed, payload)
		}
		if !slices.IsSorted(stored.ChangedFields) {
			t.Fatalf("changedFields not sorted: %s", payload)
		}
		if action == ActionEventTypeModified {
			same, sameChanged, err := EventTypeChangePayload(action, after, after)
			if err != nil || sameChanged || string(same) != `{"version":1,"changedFields":[],"changes":[]}` {
				t.Fatalf("comparing after with itself: %s, %v, %v", same, sameChanged, err)
			}
			back, _, err := EventTypeChangePayload(action, after, before)
			if err != nil {
				t.Fatal(err)
			}
			var reverse struct{ ChangedFields []string }
			if err := json.Unmarshal(back, &reverse); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(reverse.ChangedFields, stored.ChangedFields) {
				t.Fatalf("changed fields depend on direction: %v vs %v", stored.ChangedFields, reverse.ChangedFields)
			}
		}
	})
}
