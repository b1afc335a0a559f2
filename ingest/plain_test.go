package ingest

import (
	"errors"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/model"
)

// plainColumns checks every text field of a plain column group without
// naming any: storable text, at most MaxTextBytes, named by json name.
func TestPlainColumnsChecksEveryTextField(t *testing.T) {
	type plain struct {
		Reason *string `json:"reason,omitempty"`
		Ticket string  `json:"ticket"`
		Weight *int64  `json:"weight,omitempty"`
	}
	str := func(s string) *string { return &s }
	n := int64(3)
	if err := plainColumns(plain{Reason: str("moved to Monday"), Ticket: "T-1", Weight: &n}); err != nil {
		t.Fatalf("good columns refused: %v", err)
	}
	if err := plainColumns(plain{}); err != nil {
		t.Fatalf("empty columns refused: %v", err)
	}
	if err := plainColumns(model.EventTypePlain{}); err != nil {
		t.Fatalf("the event type's columns refused: %v", err)
	}
	for _, c := range []struct {
		in    plain
		field string
	}{
		{plain{Reason: str(strings.Repeat("r", MaxTextBytes+1))}, "reason"},
		{plain{Ticket: strings.Repeat("t", MaxTextBytes+1)}, "ticket"},
		{plain{Reason: str("a\x00b")}, "reason"},
		{plain{Ticket: "\xff"}, "ticket"},
	} {
		err := plainColumns(c.in)
		var me *model.Error
		if !errors.As(err, &me) || me.Code != model.CodeInvalid || me.Field != c.field {
			t.Errorf("%s: got %#v, want BAD_USER_INPUT about %s", c.field, err, c.field)
		}
	}
	if err := plainColumns(plain{Reason: str(strings.Repeat("r", MaxTextBytes))}); err != nil {
		t.Errorf("a text of MaxTextBytes refused: %v", err)
	}
}

// An import line names its fields without the embedded groups' Go names
// (EntryHead, the plain columns), which encoding/json puts in its errors'
// paths.
func TestDecodeNamesFieldsAsTheLine(t *testing.T) {
	type Reasons struct {
		Reason *string `json:"reason,omitempty"`
	}
	type withPlain struct {
		EntryHead
		Actor Actor `json:"actor"`
		Reasons
	}
	for _, c := range []struct {
		line  string
		dst   any
		field string
	}{
		{`{"timestamp":5}`, &EventTypeEntry{}, "timestamp"},
		{`{"idempotencyKey":true}`, &ChangeLogEntry{}, "idempotencyKey"},
		{`{"actor":{"name":5}}`, &AttributeEntry{}, "actor.name"},
		{`{"reason":5}`, &withPlain{}, "reason"},
		{`{"timestamp":[]}`, &withPlain{}, "timestamp"},
	} {
		err := decode([]byte(c.line), c.dst)
		var me *model.Error
		if !errors.As(err, &me) || me.Code != model.CodeInvalid || me.Field != c.field || !strings.HasPrefix(me.Message, c.field+": ") {
			t.Errorf("%s: got %#v, want BAD_USER_INPUT about %s", c.line, err, c.field)
		}
	}
}
