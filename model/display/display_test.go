package display

import (
	"reflect"
	"testing"
)

func TestRenderEventTypePayload(t *testing.T) {
	const (
		mod = ActionEventTypeModified
		cre = ActionEventTypeCreated
		del = ActionEventTypeDeleted
	)
	tests := []struct {
		name    string
		action  string
		payload string
		want    []DisplayField
		json    string // expected DisplayJSON; "" means the payload is already canonical
	}{
		{
			name:    "contract example value change",
			action:  mod,
			payload: `{"version":1,"changedFields":["title"],"changes":[{"field":"title","label":"Title","type":"value","previousValue":"A","newValue":"B"}]}`,
			want:    []DisplayField{{"Title", ValueChange{"A", "B"}}},
			json:    `{"changedFields":["title"],"changes":[{"field":"title","label":"Title","newValue":"B","previousValue":"A","type":"value"}],"version":1}`,
		},
		{
			name:    "numbers keep their text",
			action:  mod,
			payload: `{"changes":[{"field":"scheduleId","type":"value","previousValue":2335925,"newValue":1.5},{"field":"price","label":"Price","type":"value","previousValue":1.50,"newValue":1e3},{"field":"n","label":"N","type":"value","previousValue":-0,"newValue":12345678901234567890123}]}`,
			want: []DisplayField{
				{"Schedule Id", ValueChange{"2335925", "1.5"}},
				{"Price", ValueChange{"1.50", "1e3"}},
				{"N", ValueChange{"-0", "12345678901234567890123"}},
			},
			json: `{"changes":[{"field":"scheduleId","newValue":1.5,"previousValue":2335925,"type":"value"},{"field":"price","label":"Price","newValue":1e3,"previousValue":1.50,"type":"value"},{"field":"n","label":"N","newValue":12345678901234567890123,"previousValue":-0,"type":"value"}]}`,
		},
		{
			name:    "booleans",
			action:  mod,
			payload: `{"changes":[{"field":"hidden","label":"Hidden","type":"value","previousValue":false,"newValue":true}]}`,
			want:    []DisplayField{{"Hidden", ValueChange{"false", "true"}}},
			json:    `{"changes":[{"field":"hidden","label":"Hidden","newValue":true,"previousValue":false,"type":"value"}]}`,
		},
		{
			name:    "null is the text null, absent is an em dash",
			action:  mod,
			payload: `{"changes":[{"field":"description","label":"Description","type":"value","previousValue":null,"newValue":"Intro call"},{"field":"slotInterval","label":"Slot interval","type":"value","newValue":15},{"field":"x","label":"X","type":"value","previousValue":"gone"}]}`,
			want: []DisplayField{
				{"Description", ValueChange{"null", "Intro call"}},
				{"Slot interval", ValueChange{"—", "15"}},
				{"X", ValueChange{"gone", "\u2014"}},
			},
			json: `{"changes":[{"field":"description","label":"Description","newValue":"Intro call","previousValue":null,"type":"value"},{"field":"slotInterval","label":"Slot interval","newValue":15,"type":"value"},{"field":"x","label":"X","previousValue":"gone","type":"value"}]}`,
		},
		{
			name:    "objects and arrays in a value change are compact sorted JSON",
			action:  mod,
			payload: `{"changes":[{"field":"metadata","type":"value","previousValue":{"b":1,"a":[true,null,"<x>&"]},"newValue":["z",{"y":2,"x":1.0}]}]}`,
			want:    []DisplayField{{"Metadata", ValueChange{`{"a":[true,null,"<x>&"],"b":1}`, `["z",{"x":1.0,"y":2}]`}}},
			json:    `{"changes":[{"field":"metadata","newValue":["z",{"x":1.0,"y":2}],"previousValue":{"a":[true,null,"<x>&"],"b":1},"type":"value"}]}`,
		},
		{
			name:    "label fallback for absent, empty and null labels",
			action:  mod,
			payload: `{"changes":[{"field":"minimumBookingNotice","type":"value","previousValue":120,"newValue":60},{"field":"scheduleId","label":"","type":"value","previousValue":1,"newValue":2},{"field":"eventTypeURL","label":null,"type":"value","previousValue":"a","newValue":"b"}]}`,
			want: []DisplayField{
				{"Minimum Booking Notice", ValueChange{"120", "60"}},
				{"Schedule Id", ValueChange{"1", "2"}},
				{"Event Type URL", ValueChange{"a", "b"}},
			},
			json: `{"changes":[{"field":"minimumBookingNotice","newValue":60,"previousValue":120,"type":"value"},{"field":"scheduleId","label":"","newValue":2,"previousValue":1,"type":"value"},{"field":"eventTypeURL","label":null,"newValue":"b","previousValue":"a","type":"value"}]}`,
		},
		{
			name:   "collection change is an indented sorted diff",
			action: mod,
			payload: `{"version":1,"changedFields":["bookingFields"],"changes":[{"field":"bookingFields","label":"Booking questions","type":"collection",` +
				`"added":[{"name":"phone","type":"phone","required":true}],"removed":[{"name":"notes","type":"textarea"}],` +
				`"updated":[{"previousValue":{"required":false,"name":"email","sources":[]},"newValue":{"name":"email","required":true,"sources":[{"id":"default","weight":2.50}]}}]}]}`,
			want: []DisplayField{{"Booking questions", Diff{
				Previous: "[\n  {\n    \"name\": \"notes\",\n    \"type\": \"textarea\"\n  },\n  {\n    \"name\": \"email\",\n    \"required\": false,\n    \"sources\": []\n  }\n]",
				Next:     "[\n  {\n    \"name\": \"phone\",\n    \"required\": true,\n    \"type\": \"phone\"\n  },\n  {\n    \"name\": \"email\",\n    \"required\": true,\n    \"sources\": [\n      {\n        \"id\": \"default\",\n        \"weight\": 2.50\n      }\n    ]\n  }\n]",
			}}},
			json: `{"changedFields":["bookingFields"],"changes":[{"added":[{"name":"phone","required":true,"type":"phone"}],"field":"bookingFields","label":"Booking questions","removed":[{"name":"notes","type":"textarea"}],"type":"collection","updated":[{"newValue":{"name":"email","required":true,"sources":[{"id":"default","weight":2.50}]},"previousValue":{"name":"email","required":false,"sources":[]}}]}],"version":1}`,
		},
		{
			name:    "collection with nothing listed shows empty lists",
			action:  mod,
			payload: `{"changes":[{"field":"hosts","label":"Hosts","type":"collection","added":[],"removed":null}]}`,
			want:    []DisplayField{{"Hosts", Diff{"[]", "[]"}}},
			json:    `{"changes":[{"added":[],"field":"hosts","label":"Hosts","removed":null,"type":"collection"}]}`,
		},
		{
			name:    "collection of scalars and an empty object",
			action:  mod,
			payload: `{"changes":[{"field":"tags","type":"collection","added":["b",{}],"removed":[1]}]}`,
			want:    []DisplayField{{"Tags", Diff{"[\n  1\n]", "[\n  \"b\",\n  {}\n]"}}},
			json:    `{"changes":[{"added":["b",{}],"field":"tags","removed":[1],"type":"collection"}]}`,
		},
		{
			name:    "display order is payload order, not changedFields order",
			action:  mod,
			payload: `{"changedFields":["a","b"],"changes":[{"field":"b","type":"value","previousValue":1,"newValue":2},{"field":"a","type":"value","previousValue":3,"newValue":4}]}`,
			want:    []DisplayField{{"B", ValueChange{"1", "2"}}, {"A", ValueChange{"3", "4"}}},
			json:    `{"changedFields":["a","b"],"changes":[{"field":"b","newValue":2,"previousValue":1,"type":"value"},{"field":"a","newValue":4,"previousValue":3,"type":"value"}]}`,
		},
		{
			name:    "created scalars, lists and objects",
			action:  cre,
			payload: `{"version":1,"changes":[{"field":"title","label":"Title","type":"value","newValue":"Intro"},{"field":"length","label":"Duration","type":"value","newValue":30},{"field":"price","type":"value","newValue":null},{"field":"tags","type":"value","newValue":["a",2.50,true,null]},{"field":"locations","label":"Locations","type":"value","newValue":[{"type":"integrations:daily"},"x",[1]]},{"field":"metadata","type":"value","newValue":{"b":2,"a":1}},{"field":"empty","type":"value","newValue":[]},{"field":"odd","type":"value","previousValue":"only before"}]}`,
			want: []DisplayField{
				{"Title", RawValue{"Intro"}},
				{"Duration", RawValue{"30"}},
				{"Price", RawValue{"null"}},
				{"Tags", RawValues{[]string{"a", "2.50", "true", "null"}}},
				{"Locations", RawValues{[]string{`{"type":"integrations:daily"}`, `"x"`, `[1]`}}},
				{"Metadata", RawValue{`{"a":1,"b":2}`}},
				{"Empty", RawValues{[]string{}}},
				{"Odd", RawValue{"—"}},
			},
			json: `{"changes":[{"field":"title","label":"Title","newValue":"Intro","type":"value"},{"field":"length","label":"Duration","newValue":30,"type":"value"},{"field":"price","newValue":null,"type":"value"},{"field":"tags","newValue":["a",2.50,true,null],"type":"value"},{"field":"locations","label":"Locations","newValue":[{"type":"integrations:daily"},"x",[1]],"type":"value"},{"field":"metadata","newValue":{"a":1,"b":2},"type":"value"},{"field":"empty","newValue":[],"type":"value"},{"field":"odd","previousValue":"only before","type":"value"}],"version":1}`,
		},
		{
			name:    "created collection shows added",
			action:  cre,
			payload: `{"changes":[{"field":"hosts","label":"Hosts","type":"collection","added":[{"userId":7,"isFixed":true}],"removed":[{"userId":1}],"updated":[]},{"field":"none","type":"collection"}]}`,
			want: []DisplayField{
				{"Hosts", RawValues{[]string{`{"isFixed":true,"userId":7}`}}},
				{"None", RawValues{[]string{}}},
			},
			json: `{"changes":[{"added":[{"isFixed":true,"userId":7}],"field":"hosts","label":"Hosts","removed":[{"userId":1}],"type":"collection","updated":[]},{"field":"none","type":"collection"}]}`,
		},
		{
			name:    "deleted takes previous values and removed items",
			action:  del,
			payload: `{"changes":[{"field":"title","label":"Title","type":"value","previousValue":"Intro","newValue":"ignored"},{"field":"hosts","label":"Hosts","type":"collection","added":[{"userId":9}],"removed":[{"userId":7},{"userId":8}]},{"field":"hidden","type":"value","newValue":true}]}`,
			want: []DisplayField{
				{"Title", RawValue{"Intro"}},
				{"Hosts", RawValues{[]string{`{"userId":7}`, `{"userId":8}`}}},
				{"Hidden", RawValue{"—"}},
			},
			json: `{"changes":[{"field":"title","label":"Title","newValue":"ignored","previousValue":"Intro","type":"value"},{"added":[{"userId":9}],"field":"hosts","label":"Hosts","removed":[{"userId":7},{"userId":8}],"type":"collection"},{"field":"hidden","newValue":true,"type":"value"}]}`,
		},
		{
			name:    "empty changes, unknown keys and version 1.0 are fine",
			action:  mod,
			payload: ` {"version":1.0,"changes":[],"extra":{"z":1,"a":"<&>"}} `,
			want:    []DisplayField{},
			json:    `{"changes":[],"extra":{"a":"<&>","z":1},"version":1.0}`,
		},
		{
			name:    "strings are escaped like JSON.stringify and duplicate keys keep the last",
			action:  mod,
			payload: `{"changes":[{"field":"description","type":"value","previousValue":"line\n\"q\"\\ \u0001 é","newValue":"a","newValue":"b"}]}`,
			want:    []DisplayField{{"Description", ValueChange{"line\n\"q\"\\ \x01 é", "b"}}},
			json:    `{"changes":[{"field":"description","newValue":"b","previousValue":"line\n\"q\"\\ \u0001 é","type":"value"}]}`,
		},
		{
			name:    "invalid UTF-8 becomes U+FFFD",
			action:  mod,
			payload: "{\"changes\":[{\"field\":\"title\",\"type\":\"value\",\"previousValue\":\"a\xffb\",\"newValue\":\"c\"}]}",
			want:    []DisplayField{{"Title", ValueChange{"a\uFFFDb", "c"}}},
			json:    "{\"changes\":[{\"field\":\"title\",\"newValue\":\"c\",\"previousValue\":\"a\uFFFDb\",\"type\":\"value\"}]}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenderEventTypePayload(tt.action, []byte(tt.payload))
			if got.HasError {
				t.Fatalf("HasError for %s", tt.payload)
			}
			if !reflect.DeepEqual(got.DisplayFields, tt.want) {
				t.Errorf("DisplayFields\n got %#v\nwant %#v", got.DisplayFields, tt.want)
			}
			if string(got.DisplayJSON) != tt.json {
				t.Errorf("DisplayJSON\n got %s\nwant %s", got.DisplayJSON, tt.json)
			}
		})
	}
}

func TestRenderEventTypePayloadErrors(t *testing.T) {
	tests := []struct {
		name, action, payload string
	}{
		{"unterminated object", ActionEventTypeModified, `{`},
		{"array", ActionEventTypeModified, `[]`},
		{"changes not an array", ActionEventTypeModified, `{"changes":5}`},
		{"changes missing", ActionEventTypeModified, `{"version":1,"changedFields":[]}`},
		{"changes null", ActionEventTypeModified, `{"changes":null}`},
		{"empty input", ActionEventTypeModified, ``},
		{"whitespace only", ActionEventTypeModified, "  \n"},
		{"null", ActionEventTypeModified, `null`},
		{"string", ActionEventTypeModified, `"{}"`},
		{"trailing garbage", ActionEventTypeModified, `{"changes":[]} x`},
		{"two values", ActionEventTypeModified, `{"changes":[]}{}`},
		{"unknown change type", ActionEventTypeModified, `{"changes":[{"field":"title","type":"rename","previousValue":"A","newValue":"B"}]}`},
		{"missing change type", ActionEventTypeModified, `{"changes":[{"field":"title","previousValue":"A","newValue":"B"}]}`},
		{"change type not a string", ActionEventTypeModified, `{"changes":[{"field":"title","type":1}]}`},
		{"change without field", ActionEventTypeModified, `{"changes":[{"label":"Title","type":"value","previousValue":"A","newValue":"B"}]}`},
		{"empty field", ActionEventTypeModified, `{"changes":[{"field":"","type":"value","newValue":"B"}]}`},
		{"field not a string", ActionEventTypeModified, `{"changes":[{"field":3,"type":"value","newValue":"B"}]}`},
		{"change not an object", ActionEventTypeModified, `{"changes":[5]}`},
		{"label not a string", ActionEventTypeModified, `{"changes":[{"field":"a","label":5,"type":"value"}]}`},
		{"version 2", ActionEventTypeModified, `{"version":2,"changes":[]}`},
		{"version as string", ActionEventTypeModified, `{"version":"1","changes":[]}`},
		{"version null", ActionEventTypeModified, `{"version":null,"changes":[]}`},
		{"changedFields not an array", ActionEventTypeModified, `{"changedFields":"title","changes":[]}`},
		{"changedFields holds a number", ActionEventTypeModified, `{"changedFields":[1],"changes":[]}`},
		{"added not an array", ActionEventTypeModified, `{"changes":[{"field":"a","type":"collection","added":5}]}`},
		{"removed not an array", ActionEventTypeModified, `{"changes":[{"field":"a","type":"collection","removed":{}}]}`},
		{"updated not an array", ActionEventTypeModified, `{"changes":[{"field":"a","type":"collection","updated":"x"}]}`},
		{"updated item not an object", ActionEventTypeModified, `{"changes":[{"field":"a","type":"collection","updated":[5]}]}`},
		{"updated item lacks newValue", ActionEventTypeModified, `{"changes":[{"field":"a","type":"collection","updated":[{"previousValue":1}]}]}`},
		{"unknown action", "EVENT_TYPE_RENAMED", `{"changes":[]}`},
		{"empty action", "", `{"changes":[]}`},
		{"bad second change", ActionEventTypeCreated, `{"changes":[{"field":"a","type":"value","newValue":1},{"field":"b","type":"nope"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenderEventTypePayload(tt.action, []byte(tt.payload))
			if !got.HasError {
				t.Fatalf("no HasError for %q: %#v", tt.payload, got)
			}
			if got.DisplayFields == nil || len(got.DisplayFields) != 0 {
				t.Errorf("DisplayFields = %#v, want empty non-nil", got.DisplayFields)
			}
			if got.DisplayJSON != nil {
				t.Errorf("DisplayJSON = %q, want nil", got.DisplayJSON)
			}
		})
	}
	if got := RenderEventTypePayload(ActionEventTypeModified, nil); !got.HasError || got.DisplayFields == nil {
		t.Errorf("nil payload: %#v", got)
	}
}

func TestRenderDisplayFields(t *testing.T) {
	got := RenderEventTypePayload(ActionEventTypeModified, []byte(`{"changes":[{"field":"title","type":"value","previousValue":null,"newValue":"B"},{"field":"hosts","type":"collection","added":[{"id":1}]}]}`))
	want := []DisplayField{
		{Label: "Title", FieldValue: ValueChange{Previous: "null", Next: "B"}},
		{Label: "Hosts", FieldValue: Diff{Previous: "[]", Next: "[\n  {\n    \"id\": 1\n  }\n]"}},
	}
	if !reflect.DeepEqual(got.DisplayFields, want) {
		t.Errorf("got  %#v\nwant %#v", got.DisplayFields, want)
	}
}

// TestKind pins the discriminators the schema's FieldValue.kind resolves to
// (gqlgen binds kind to these methods): the REST documents name them so.
func TestKind(t *testing.T) {
	tests := []struct {
		v    interface{ Kind() string }
		want string
	}{
		{RawValue{}, "rawValue"},
		{RawValues{}, "rawValues"},
		{ValueChange{}, "valueChange"},
		{Diff{}, "diff"},
	}
	for _, tt := range tests {
		if got := tt.v.Kind(); got != tt.want {
			t.Errorf("%#v.Kind() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	tests := []struct{ field, label, want string }{
		{"title", "Title", "Title"},
		{"slug", "URL", "URL"},
		{"scheduleId", "", "Schedule Id"},
		{"minimumBookingNotice", "", "Minimum Booking Notice"},
		{"seatsPerTimeSlot", "", "Seats Per Time Slot"},
		{"title", "", "Title"},
		{"eventTypeURL", "", "Event Type URL"},
		{"URLSlug", "", "URL Slug"},
		{"hideCalendarNotesInURLs", "", "Hide Calendar Notes In UR Ls"},
		{"status_id", "", "Status Id"},
		{"booking-limits.perDay", "", "Booking Limits Per Day"},
		{"utf8Name", "", "Utf8 Name"},
		{"slot2Url", "", "Slot2 Url"},
		{"__x__", "", "X"},
		{"A", "", "A"},
		{"", "", ""},
		{"_-", "", ""},
		{"élanVital", "", "Élan Vital"},
		{"x", " ", " "},
		{"a\xffB", "", "A\uFFFDB"},
	}
	for _, tt := range tests {
		if got := Label(tt.field, tt.label); got != tt.want {
			t.Errorf("Label(%q, %q) = %q, want %q", tt.field, tt.label, got, tt.want)
		}
	}
}

func TestRecordTypeAndTitle(t *testing.T) {
	tests := []struct{ action, record, title string }{
		{ActionEventTypeCreated, "RECORD_CREATED", "Ada Lovelace created the event type"},
		{ActionEventTypeModified, "RECORD_MODIFIED", "Ada Lovelace modified the event type"},
		{ActionEventTypeDeleted, "RECORD_DELETED", "Ada Lovelace deleted the event type"},
		{"EVENT_TYPE_RENAMED", "", "Ada Lovelace changed the event type"},
		{"event_type_modified", "", "Ada Lovelace changed the event type"},
	}
	for _, tt := range tests {
		if got := RecordType(tt.action); got != tt.record {
			t.Errorf("RecordType(%q) = %q, want %q", tt.action, got, tt.record)
		}
		if got := ActionDisplayTitle(tt.action, "Ada Lovelace"); got != tt.title {
			t.Errorf("ActionDisplayTitle(%q) = %q, want %q", tt.action, got, tt.title)
		}
	}
	if got := ActionDisplayTitle(ActionEventTypeModified, ActorDisplayName(ActorSystem, nil, nil)); got != "Cal.com modified the event type" {
		t.Errorf("system title = %q", got)
	}
}

func TestActorDisplay(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		typ         string
		name, email *string
		wantName    string
		wantEmail   *string
	}{
		{"USER", s("Ada Lovelace"), s("ada@example.com"), "Ada Lovelace", s("ada@example.com")},
		{"USER", nil, s("ada@example.com"), "ada@example.com", s("ada@example.com")},
		{"USER", s(""), s("ada@example.com"), "ada@example.com", s("ada@example.com")},
		{"USER", s("  "), nil, "Deleted User", nil},
		{"USER", nil, nil, "Deleted User", nil},
		{"USER", nil, s(""), "Deleted User", nil},
		{"GUEST", s("Grace"), s("grace@example.com"), "Grace", s("grace@example.com")},
		{"GUEST", nil, s("grace@example.com"), "Guest", s("grace@example.com")},
		{"GUEST", nil, nil, "Guest", nil},
		{"ATTENDEE", s("Alan"), nil, "Alan", nil},
		{"ATTENDEE", nil, s("alan@example.com"), "alan@example.com", s("alan@example.com")},
		{"ATTENDEE", nil, nil, "Deleted Attendee", nil},
		{"APP", s("Zapier"), s("apps@example.com"), "Zapier", nil},
		{"APP", nil, s("apps@example.com"), "Unknown App", nil},
		{"SYSTEM", s("cron"), s("system@example.com"), "Cal.com", s("system@example.com")},
		{"SYSTEM", nil, nil, "Cal.com", nil},
		{"ROBOT", nil, s("r@example.com"), "r@example.com", s("r@example.com")},
		{"ROBOT", nil, nil, "Unknown", nil},
	}
	for _, tt := range tests {
		if got := ActorDisplayName(tt.typ, tt.name, tt.email); got != tt.wantName {
			t.Errorf("ActorDisplayName(%s, %v, %v) = %q, want %q", tt.typ, deref(tt.name), deref(tt.email), got, tt.wantName)
		}
		got := ActorDisplayEmail(tt.typ, tt.email)
		if deref(got) != deref(tt.wantEmail) {
			t.Errorf("ActorDisplayEmail(%s, %v) = %v, want %v", tt.typ, deref(tt.email), deref(got), deref(tt.wantEmail))
		}
	}
	if ProductName != "Cal.com" {
		t.Errorf("ProductName = %q", ProductName)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
