package integrity

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// Entry types as they would be with columns added at their end (where
// ALTER TABLE … ADD COLUMN puts them): nullable, so NULL on every entry
// logged before them. The model types may have gained columns of their own
// since version 1; these come after them.
type (
	attributeLater struct {
		model.AttributeAssignmentEntry
		LaterNote *string `bun:"later_note"`
	}
	eventTypeLater struct {
		model.EventTypeEntry
		LaterNote   *string    `bun:"later_note"`
		LaterScore  *int64     `bun:"later_score"`
		LaterUntil  *time.Time `bun:"later_until"`
		LaterIgnore string     `bun:"-"`
		LaterScan   string     `bun:"later_scanned,scanonly"`
	}
	changeLogLater struct {
		model.MemberChangeLog
		LaterNote *string `bun:"later_note"`
	}
)

// The rule that keeps logged entries verifying when a history gains a
// column: a column after version 1's, NULL, adds no byte; set, it adds its
// tagged value, with a NULL tag for each NULL column before it.
func TestAColumnAddedLaterKeepsOldLeaves(t *testing.T) {
	attrs := newLayout[attributeLater](AttributeHistory, 14)
	events := newLayout[eventTypeLater](EventTypeHistory, 16)
	logs := newLayout[changeLogLater](MemberChangeLogs, 14)
	s := func(v string) *string { return &v }
	n := int64(-5)
	until := time.Date(2027, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, e := range goldenEntries() {
		var old, later, set []byte
		var extra []byte // the bytes set's added columns must add
		switch {
		case e.attribute != nil:
			x := attributeLater{AttributeAssignmentEntry: *e.attribute}
			old, later = EncodeAttribute(&x.AttributeAssignmentEntry), attrs.encode(&x)
			x.LaterNote = s("réason")
			set, extra = attrs.encode(&x), appendText(gained(AttributeHistory, 0), "réason")
		case e.eventType != nil:
			x := eventTypeLater{EventTypeEntry: *e.eventType, LaterIgnore: "not stored", LaterScan: "not stored"}
			old, later = EncodeEventType(&x.EventTypeEntry), events.encode(&x)
			x.LaterUntil = &until
			set, extra = events.encode(&x), appendInt(gained(EventTypeHistory, 2), tagTime, until.UnixMicro())
			x.LaterScore = &n
			want := appendInt(appendInt(append(slices.Clone(old), gained(EventTypeHistory, 1)...), tagInt, n), tagTime, until.UnixMicro())
			if got := events.encode(&x); !bytes.Equal(got, want) {
				t.Errorf("%s with score and until:\n%x\nwant\n%x", e.name, got, want)
			}
		default:
			x := changeLogLater{MemberChangeLog: *e.changeLog}
			old, later = EncodeChangeLog(&x.MemberChangeLog), logs.encode(&x)
			x.LaterNote = s("")
			set, extra = logs.encode(&x), appendText(gained(MemberChangeLogs, 0), "")
		}
		if !bytes.Equal(old, e.bytes) {
			t.Fatalf("%s: the golden entry was not rebuilt", e.name)
		}
		if !bytes.Equal(later, old) {
			t.Errorf("%s: a NULL column added later changed the bytes:\n%x\nwant\n%x", e.name, later, old)
		}
		if want := append(slices.Clone(old), extra...); !bytes.Equal(set, want) {
			t.Errorf("%s: a set column added later:\n%x\nwant\n%x", e.name, set, want)
		}
	}
	if got, want := events.names()[len(Columns(EventTypeHistory)):], []string{"later_note", "later_score", "later_until"}; !slices.Equal(got, want) {
		t.Errorf("added columns %v, want %v", got, want)
	}
}

// gained is the NULL tags of the columns history h's model type has
// gained since version 1 (NULL on the golden entries, which predate them),
// then of n more added columns: what precedes a set column added after
// them.
func gained(h History, n int) []byte {
	fixed := map[History]int{AttributeHistory: attributeLayout.fixed, EventTypeHistory: eventTypeLayout.fixed, MemberChangeLogs: changeLogLayout.fixed}[h]
	return bytes.Repeat([]byte{tagNull}, len(Columns(h))-fixed+n)
}

// Version 1's columns are always encoded, NULL or not: dropping a trailing
// NULL among them would change the leaves already logged.
func TestVersionColumnsAreAlwaysEncoded(t *testing.T) {
	x := model.MemberChangeLog{ID: "1", Action: "created"}
	e := EncodeChangeLog(&x)
	if !bytes.HasSuffix(e, []byte{tagNull, tagNull, tagNull, tagNull, tagNull}) {
		t.Fatalf("the trailing NULLs of version 1 (idempotency key, actor snapshot) are not all encoded: %x", e)
	}
}

// The encoding's columns are the entry types' stored columns in
// declaration order, which is the order the package doc documents and the
// tables have (db's TestEncodingFollowsTableColumns checks the tables).
func TestColumnsAreVersionOnes(t *testing.T) {
	want := map[History]string{
		AttributeHistory: "id organization_id user_id membership_id created_at source actor_type actor_ref actor_name " +
			"actor_email actor_avatar source_context changes idempotency_key",
		EventTypeHistory: "id event_type_id action type created_at source actor_type actor_ref actor_name actor_email " +
			"actor_avatar impersonated_by_name impersonated_by_email impersonated_by_avatar payload idempotency_key",
		MemberChangeLogs: "id organization_id actor_user_id action created_at resource_type resource_id resource_name " +
			"changes idempotency_key actor_public_id actor_name actor_email actor_avatar",
	}
	for _, h := range Histories {
		cols := Columns(h)
		if got := strings.Join(cols[:min(len(cols), 16)], " "); !strings.HasPrefix(got, want[h]) {
			t.Errorf("%s: version 1 columns\n%s\nwant\n%s", h, got, want[h])
		}
	}
}

// A type the encoding cannot take fails when its layout is built, that is
// when the package is initialized: before any entry is logged.
func TestLayoutRefusesWhatItCannotEncode(t *testing.T) {
	type notNullLater struct {
		model.MemberChangeLog
		Reason string `bun:"reason"`
	}
	type noTag struct {
		ID  string `bun:"id"`
		Odd bool   `bun:"odd"`
	}
	type noTagInt struct {
		ID  string `bun:"id"`
		Odd *int32 `bun:"odd"`
	}
	type noName struct {
		ID   string `bun:"id"`
		Name *string
	}
	type pointerEmbed struct {
		*model.ActorSnapshot
		ID string `bun:"id"`
	}
	for name, build := range map[string]func(){
		"NOT NULL after version 1": func() { newLayout[notNullLater](MemberChangeLogs, 14) },
		"fewer columns":            func() { newLayout[model.MemberChangeLog](MemberChangeLogs, 15) },
		"no tag for bool":          func() { newLayout[noTag](MemberChangeLogs, 1) },
		"no tag for int32":         func() { newLayout[noTagInt](MemberChangeLogs, 1) },
		"no column name":           func() { newLayout[noName](MemberChangeLogs, 1) },
		"embedded pointer":         func() { newLayout[pointerEmbed](MemberChangeLogs, 1) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if !strings.Contains(r.(string), "integrity:") {
					t.Errorf("%s: %v", name, r)
				}
			}()
			build()
		}()
	}
}

// A named string or int64 type is a column like its kind: an entry type
// may give a column a domain type without changing its bytes.
func TestNamedTypesEncodeAsTheirKind(t *testing.T) {
	type label string
	type count int64
	type plain struct {
		A string  `bun:"a"`
		B int64   `bun:"b"`
		C *string `bun:"c"`
	}
	type named struct {
		A label  `bun:"a"`
		B count  `bun:"b"`
		C *label `bun:"c"`
	}
	c := label("ç")
	got := newLayout[named](EventTypeHistory, 3).encode(&named{A: "a", B: -2, C: &c})
	want := newLayout[plain](EventTypeHistory, 3).encode(&plain{A: "a", B: -2, C: (*string)(&c)})
	if !bytes.Equal(got, want) {
		t.Fatalf("named types:\n%x\nwant\n%x", got, want)
	}
}
