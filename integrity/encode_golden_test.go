package integrity

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

var update = flag.Bool("update", false, "rewrite testdata/entries.golden with the encodings seen")

// golden is a fixed entry of one of the histories and its bytes.
type golden struct {
	name      string
	attribute *model.AttributeAssignmentEntry
	eventType *model.EventTypeEntry
	changeLog *model.MemberChangeLog
	bytes     []byte
}

// goldenEntries are fixed entries of every history: every optional column
// NULL, every one set (empty text, unicode, extreme numbers, a time that is
// not UTC with nanoseconds), and mixes with NULLs before and after values.
// Their bytes in testdata/entries.golden were recorded when version 1 was
// the only encoding; entries already logged must keep verifying, so these
// bytes must never change.
func goldenEntries() []golden {
	s := func(v string) *string { return &v }
	zero := time.Time{}
	berlin := time.FixedZone("CET", 3600)
	t1 := time.Date(2026, 3, 29, 1, 59, 59, 123456789, berlin)
	t2 := time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)
	full := model.ActorSnapshot{Type: "USER", Ref: s("usr_01ABC"), Name: s("Zoë Ågren 李"), Email: s("zoe@例え.jp"), Avatar: s("")}
	none := model.ActorSnapshot{Type: "SYSTEM"}
	var out []golden
	add := func(name string, x any) {
		g := golden{name: name}
		switch x := x.(type) {
		case *model.AttributeAssignmentEntry:
			g.attribute, g.bytes = x, EncodeAttribute(x)
		case *model.EventTypeEntry:
			g.eventType, g.bytes = x, EncodeEventType(x)
		case *model.MemberChangeLog:
			g.changeLog, g.bytes = x, EncodeChangeLog(x)
		}
		out = append(out, g)
	}

	add("attribute/nulls", &model.AttributeAssignmentEntry{ID: "0190f1e2-0000-7000-8000-000000000001",
		OrganizationID: 1, UserID: 2, MembershipID: 3, Timestamp: zero, Source: "WEBAPP", Actor: none,
		SourceContext: "{}", Changes: "[]"})
	add("attribute/full", &model.AttributeAssignmentEntry{ID: "0190f1e2-0000-7000-8000-000000000002",
		OrganizationID: 9223372036854775807, UserID: -1, MembershipID: 0, Timestamp: t1, Source: "API_V2", Actor: full,
		SourceContext: `{"app":"✓"}`, Changes: `[{"type":"ASSIGNED","attribute":"Ünit"}]`, IdempotencyKey: s("key-α")})
	add("attribute/mixed", &model.AttributeAssignmentEntry{ID: "0190f1e2-0000-7000-8000-000000000003",
		OrganizationID: 7, UserID: 8, MembershipID: 9, Timestamp: t2, Source: "", Actor: model.ActorSnapshot{Type: "APP", Email: s("a@b.c")},
		SourceContext: "", Changes: "", IdempotencyKey: s("")})

	add("event-type/nulls", &model.EventTypeEntry{ID: "0190f1e2-0000-7000-8000-000000000011",
		EventTypeID: 1, Action: model.EventTypeCreated, Type: "RECORD_CREATED", Timestamp: zero, Source: "SYSTEM", Actor: none,
		Payload: "{}"})
	add("event-type/full", &model.EventTypeEntry{ID: "0190f1e2-0000-7000-8000-000000000012",
		EventTypeID: -9223372036854775808, Action: model.EventTypeModified, Type: "RECORD_MODIFIED", Timestamp: t1, Source: "WEBHOOK",
		Actor: full, ImpersonatedBy: model.PersonSnapshot{Name: s("Ίρις"), Email: s("iris@example.com"), Avatar: s("https://a.example/🙂.png")},
		Payload: `{"changes":[{"field":"title","previous":"a\u0000b","next":"ß"}]}`, IdempotencyKey: s("k")})
	add("event-type/mixed", &model.EventTypeEntry{ID: "0190f1e2-0000-7000-8000-000000000013",
		EventTypeID: 42, Action: model.EventTypeDeleted, Type: "RECORD_DELETED", Timestamp: t2, Source: "DSYNC",
		Actor: model.ActorSnapshot{Type: "GUEST", Name: s("")}, ImpersonatedBy: model.PersonSnapshot{Avatar: s("x")},
		Payload: ""})

	add("change-log/nulls", &model.MemberChangeLog{ID: "1", OrganizationID: 1, ActorUserID: 0,
		Action: "created", Timestamp: zero, ResourceType: "organization_user", ResourceID: "usr_1", Changes: "[]"})
	add("change-log/full", &model.MemberChangeLog{ID: "9223372036854775807", OrganizationID: 5, ActorUserID: 77,
		ActorPublicID: s("usr_77"), ActorName: s("Łukasz Ñúñez"), ActorEmail: s("l@ñ.example"), ActorAvatar: s(""),
		Action: "entity_attached", Timestamp: t1, ResourceType: "document", ResourceID: "doc_9", ResourceName: s("Ρόλος ✓"),
		Changes: `[{"field":"role","old":"MEMBER","new":"ADMIN"}]`, IdempotencyKey: s("idem-1")})
	add("change-log/mixed", &model.MemberChangeLog{ID: "3", OrganizationID: -2, ActorUserID: 3,
		ActorName: s("only name"), Action: "removed", Timestamp: t2, ResourceType: "rule", ResourceID: "",
		Changes: "", IdempotencyKey: s("key")})
	add("change-log/actor-last", &model.MemberChangeLog{ID: "4", OrganizationID: 1, ActorUserID: 1,
		ActorAvatar: s("https://a.example/x.png"), Action: "updated", Timestamp: t1, ResourceType: "assistant", ResourceID: "ast_1",
		Changes: "{}"})
	return out
}

func goldenNamed(t *testing.T, name string) golden {
	t.Helper()
	for _, g := range goldenEntries() {
		if g.name == name {
			return g
		}
	}
	t.Fatalf("no golden entry %s", name)
	return golden{}
}

// TestEncodingGolden pins the bytes and leaf hashes of version 1 entries
// (testdata/entries.golden: name, leaf hash, bytes, hex). A change here
// means entries already logged no longer verify.
func TestEncodingGolden(t *testing.T) {
	var got strings.Builder
	for _, e := range goldenEntries() {
		fmt.Fprintf(&got, "%s %x %x\n", e.name, LeafHash(e.bytes), e.bytes)
	}
	const path = "testdata/entries.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, []byte(got.String())) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")
		for i := range max(len(wl), len(gl)) {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Errorf("line %d:\nwant %s\ngot  %s", i+1, w, g)
			}
		}
	}
	// The hex is what the hashes are of: a golden file edited by hand
	// without its hash is caught too.
	for i, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("line %d: %q", i+1, line)
		}
		b, err := hex.DecodeString(f[2])
		if err != nil || hex.EncodeToString(LeafHash(b)) != f[1] {
			t.Errorf("line %d (%s): the leaf hash is not of the bytes", i+1, f[0])
		}
	}
}
