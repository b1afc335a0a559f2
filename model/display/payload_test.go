package display

import (
	"reflect"
	"testing"
)

func TestEventTypeChangePayload(t *testing.T) {
	tests := []struct {
		name          string
		action        string
		before, after string // "" means nil
		want          string
		changed       bool
		fields        []DisplayField // rendering of want under the same action
	}{
		{
			name:    "modified scalars in sorted order with table and fallback labels",
			action:  ActionEventTypeModified,
			before:  `{"title":"Intro","length":30,"hidden":false,"slug":"intro","customThing":1,"description":null}`,
			after:   `{"slug":"intro-call","length":45,"hidden":false,"title":"Intro","customThing":1.0,"description":"Say hi <b>&</b>"}`,
			want:    `{"version":1,"changedFields":["description","length","slug"],"changes":[{"field":"description","label":"Description","type":"value","previousValue":null,"newValue":"Say hi <b>&</b>"},{"field":"length","label":"Duration","type":"value","previousValue":30,"newValue":45},{"field":"slug","label":"URL","type":"value","previousValue":"intro","newValue":"intro-call"}]}`,
			changed: true,
			fields: []DisplayField{
				{"Description", ValueChange{"null", "Say hi <b>&</b>"}},
				{"Duration", ValueChange{"30", "45"}},
				{"URL", ValueChange{"intro", "intro-call"}},
			},
		},
		{
			name:    "fields appearing and disappearing, numbers keep text",
			action:  ActionEventTypeModified,
			before:  `{"price":1.50,"oldFlag":true}`,
			after:   `{"price":2335925,"newSetting":{"b":[1,2],"a":"x"}}`,
			want:    `{"version":1,"changedFields":["newSetting","oldFlag","price"],"changes":[{"field":"newSetting","label":"New Setting","type":"value","newValue":{"a":"x","b":[1,2]}},{"field":"oldFlag","label":"Old Flag","type":"value","previousValue":true},{"field":"price","label":"Price","type":"value","previousValue":1.50,"newValue":2335925}]}`,
			changed: true,
			fields: []DisplayField{
				{"New Setting", ValueChange{"—", `{"a":"x","b":[1,2]}`}},
				{"Old Flag", ValueChange{"true", "—"}},
				{"Price", ValueChange{"1.50", "2335925"}},
			},
		},
		{
			name:    "identical snapshots up to key order and number spelling",
			action:  ActionEventTypeModified,
			before:  `{"a":{"x":1,"y":[1,2]},"b":100,"c":-0,"d":0.5}`,
			after:   `{"d":5e-1,"c":0,"b":1e2,"a":{"y":[1.0,2],"x":1}}`,
			want:    `{"version":1,"changedFields":[],"changes":[]}`,
			changed: false,
			fields:  []DisplayField{},
		},
		{
			name:    "collection matched by id",
			action:  ActionEventTypeModified,
			before:  `{"hosts":[{"id":1,"userId":10,"isFixed":false},{"id":2,"userId":20},{"id":3,"userId":30}]}`,
			after:   `{"hosts":[{"id":3,"userId":30},{"id":1,"userId":10,"isFixed":true},{"id":4,"userId":40}]}`,
			want:    `{"version":1,"changedFields":["hosts"],"changes":[{"field":"hosts","label":"Hosts","type":"collection","added":[{"id":4,"userId":40}],"removed":[{"id":2,"userId":20}],"updated":[{"previousValue":{"id":1,"isFixed":false,"userId":10},"newValue":{"id":1,"isFixed":true,"userId":10}}]}]}`,
			changed: true,
			fields: []DisplayField{{"Hosts", Diff{
				Previous: "[\n  {\n    \"id\": 2,\n    \"userId\": 20\n  },\n  {\n    \"id\": 1,\n    \"isFixed\": false,\n    \"userId\": 10\n  }\n]",
				Next:     "[\n  {\n    \"id\": 4,\n    \"userId\": 40\n  },\n  {\n    \"id\": 1,\n    \"isFixed\": true,\n    \"userId\": 10\n  }\n]",
			}}},
		},
		{
			name:    "collection without ids is a multiset difference",
			action:  ActionEventTypeModified,
			before:  `{"bookingFields":[{"name":"email"},{"name":"notes"},{"name":"notes"}]}`,
			after:   `{"bookingFields":[{"name":"notes"},{"name":"phone"},{"name":"email"}]}`,
			want:    `{"version":1,"changedFields":["bookingFields"],"changes":[{"field":"bookingFields","label":"Booking questions","type":"collection","added":[{"name":"phone"}],"removed":[{"name":"notes"}],"updated":[]}]}`,
			changed: true,
			fields: []DisplayField{{"Booking questions", Diff{
				Previous: "[\n  {\n    \"name\": \"notes\"\n  }\n]",
				Next:     "[\n  {\n    \"name\": \"phone\"\n  }\n]",
			}}},
		},
		{
			name:    "duplicate ids fall back to equality",
			action:  ActionEventTypeModified,
			before:  `{"locations":[{"id":"a","v":1},{"id":"a","v":2}]}`,
			after:   `{"locations":[{"id":"a","v":1},{"id":"a","v":3}]}`,
			want:    `{"version":1,"changedFields":["locations"],"changes":[{"field":"locations","label":"Locations","type":"collection","added":[{"id":"a","v":3}],"removed":[{"id":"a","v":2}],"updated":[]}]}`,
			changed: true,
			fields:  []DisplayField{{"Locations", Diff{"[\n  {\n    \"id\": \"a\",\n    \"v\": 2\n  }\n]", "[\n  {\n    \"id\": \"a\",\n    \"v\": 3\n  }\n]"}}},
		},
		{
			name:    "a reordering is stored as a value change",
			action:  ActionEventTypeModified,
			before:  `{"bookingFields":[{"name":"a"},{"name":"b"}]}`,
			after:   `{"bookingFields":[{"name":"b"},{"name":"a"}]}`,
			want:    `{"version":1,"changedFields":["bookingFields"],"changes":[{"field":"bookingFields","label":"Booking questions","type":"value","previousValue":[{"name":"a"},{"name":"b"}],"newValue":[{"name":"b"},{"name":"a"}]}]}`,
			changed: true,
			fields:  []DisplayField{{"Booking questions", ValueChange{`[{"name":"a"},{"name":"b"}]`, `[{"name":"b"},{"name":"a"}]`}}},
		},
		{
			name:    "arrays of scalars, null to list and mixed lists are value changes",
			action:  ActionEventTypeModified,
			before:  `{"tags":["a"],"hosts":null,"mixed":[{"a":1}]}`,
			after:   `{"tags":["a","b"],"hosts":[{"id":1}],"mixed":[{"a":1},2]}`,
			want:    `{"version":1,"changedFields":["hosts","mixed","tags"],"changes":[{"field":"hosts","label":"Hosts","type":"value","previousValue":null,"newValue":[{"id":1}]},{"field":"mixed","label":"Mixed","type":"value","previousValue":[{"a":1}],"newValue":[{"a":1},2]},{"field":"tags","label":"Tags","type":"value","previousValue":["a"],"newValue":["a","b"]}]}`,
			changed: true,
			fields: []DisplayField{
				{"Hosts", ValueChange{"null", `[{"id":1}]`}},
				{"Mixed", ValueChange{`[{"a":1}]`, `[{"a":1},2]`}},
				{"Tags", ValueChange{`["a"]`, `["a","b"]`}},
			},
		},
		{
			name:    "empty list to objects is a collection",
			action:  ActionEventTypeModified,
			before:  `{"hosts":[]}`,
			after:   `{"hosts":[{"userId":1}]}`,
			want:    `{"version":1,"changedFields":["hosts"],"changes":[{"field":"hosts","label":"Hosts","type":"collection","added":[{"userId":1}],"removed":[],"updated":[]}]}`,
			changed: true,
			fields:  []DisplayField{{"Hosts", Diff{"[]", "[\n  {\n    \"userId\": 1\n  }\n]"}}},
		},
		{
			name:    "created writes every field with newValue only",
			action:  ActionEventTypeCreated,
			after:   `{"title":"Intro","length":30,"hosts":[{"userId":1},{"userId":2}],"locations":[],"price":null,"schedulingType":"ROUND_ROBIN"}`,
			want:    `{"version":1,"changedFields":["hosts","length","locations","price","schedulingType","title"],"changes":[{"field":"hosts","label":"Hosts","type":"collection","added":[{"userId":1},{"userId":2}],"removed":[],"updated":[]},{"field":"length","label":"Duration","type":"value","newValue":30},{"field":"locations","label":"Locations","type":"value","newValue":[]},{"field":"price","label":"Price","type":"value","newValue":null},{"field":"schedulingType","label":"Scheduling type","type":"value","newValue":"ROUND_ROBIN"},{"field":"title","label":"Title","type":"value","newValue":"Intro"}]}`,
			changed: true,
			fields: []DisplayField{
				{"Hosts", RawValues{[]string{`{"userId":1}`, `{"userId":2}`}}},
				{"Duration", RawValue{"30"}},
				{"Locations", RawValues{[]string{}}},
				{"Price", RawValue{"null"}},
				{"Scheduling type", RawValue{"ROUND_ROBIN"}},
				{"Title", RawValue{"Intro"}},
			},
		},
		{
			name:    "created from an empty snapshot, before given as JSON null",
			action:  ActionEventTypeCreated,
			before:  `null`,
			after:   `{}`,
			want:    `{"version":1,"changedFields":[],"changes":[]}`,
			changed: false,
			fields:  []DisplayField{},
		},
		{
			name:    "deleted writes every field with previousValue only",
			action:  ActionEventTypeDeleted,
			before:  `{"title":"Intro","bookingFields":[{"id":"f1","name":"email"}],"requiresConfirmation":true}`,
			want:    `{"version":1,"changedFields":["bookingFields","requiresConfirmation","title"],"changes":[{"field":"bookingFields","label":"Booking questions","type":"collection","added":[],"removed":[{"id":"f1","name":"email"}],"updated":[]},{"field":"requiresConfirmation","label":"Requires confirmation","type":"value","previousValue":true},{"field":"title","label":"Title","type":"value","previousValue":"Intro"}]}`,
			changed: true,
			fields: []DisplayField{
				{"Booking questions", RawValues{[]string{`{"id":"f1","name":"email"}`}}},
				{"Requires confirmation", RawValue{"true"}},
				{"Title", RawValue{"Intro"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := EventTypeChangePayload(tt.action, bytesOrNil(tt.before), bytesOrNil(tt.after))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("payload\n got %s\nwant %s", got, tt.want)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			r := RenderEventTypePayload(tt.action, got)
			if r.HasError {
				t.Fatalf("rendering the payload fails")
			}
			if !reflect.DeepEqual(r.DisplayFields, tt.fields) {
				t.Errorf("rendered\n got %#v\nwant %#v", r.DisplayFields, tt.fields)
			}
		})
	}
}

func TestEventTypeChangePayloadErrors(t *testing.T) {
	tests := []struct {
		name, action, before, after string
	}{
		{"unknown action", "EVENT_TYPE_RENAMED", `{}`, `{}`},
		{"created with a before snapshot", ActionEventTypeCreated, `{}`, `{}`},
		{"created without after", ActionEventTypeCreated, "", ""},
		{"created with after null", ActionEventTypeCreated, "", "null"},
		{"deleted with an after snapshot", ActionEventTypeDeleted, `{}`, `{}`},
		{"deleted without before", ActionEventTypeDeleted, "", ""},
		{"modified without before", ActionEventTypeModified, "", `{}`},
		{"modified without after", ActionEventTypeModified, `{}`, ""},
		{"invalid JSON", ActionEventTypeModified, `{`, `{}`},
		{"not an object", ActionEventTypeModified, `{}`, `[]`},
		{"trailing data", ActionEventTypeModified, `{} {}`, `{}`},
		{"empty field name", ActionEventTypeModified, `{"":1}`, `{"":2}`},
		{"empty field name when created", ActionEventTypeCreated, "", `{"title":"x","":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := EventTypeChangePayload(tt.action, bytesOrNil(tt.before), bytesOrNil(tt.after))
			if err == nil || got != nil || changed {
				t.Errorf("got (%s, %v, %v), want an error", got, changed, err)
			}
		})
	}
}

func TestFieldLabel(t *testing.T) {
	tests := map[string]string{
		"title": "Title", "slug": "URL", "description": "Description", "length": "Duration", "hidden": "Hidden",
		"locations": "Locations", "bookingFields": "Booking questions", "hosts": "Hosts", "scheduleId": "Schedule",
		"minimumBookingNotice": "Minimum booking notice", "beforeEventBuffer": "Before event buffer",
		"afterEventBuffer": "After event buffer", "slotInterval": "Slot interval", "price": "Price", "currency": "Currency",
		"requiresConfirmation": "Requires confirmation", "seatsPerTimeSlot": "Seats per time slot",
		"periodType": "Period type", "schedulingType": "Scheduling type",
		"lockTimeZoneToggleOnBookingPage": "Lock Time Zone Toggle On Booking Page",
	}
	for field, want := range tests {
		if got := FieldLabel(field); got != want {
			t.Errorf("FieldLabel(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"0e5", "0"},
		{"1", "1e0"}, {"1.0", "1e0"}, {"10e-1", "1e0"}, {"0.1e1", "1e0"}, {"1E+0", "1e0"},
		{"100", "1e2"}, {"1e2", "1e2"}, {"-1.50", "-15e-1"}, {"2335925", "2335925e0"},
		{"12345678901234567890123", "12345678901234567890123e0"},
		{"1e0000000000000000000002", "1e2"},
		{"1e123456789012345678", "1e123456789012345678"},
	}
	for _, tt := range tests {
		if got := normalizeNumber(tt.in); got != tt.want {
			t.Errorf("normalizeNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func bytesOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
