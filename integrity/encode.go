package integrity

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/rfc6962"
)

// History names which history an entry belongs to; its number is the kind
// byte of the encoding and is stored with each leaf.
type History int16

// The three histories. The numbers are part of the encoding: never renumber.
const (
	AttributeHistory History = 1
	EventTypeHistory History = 2
	MemberChangeLogs History = 3
)

// Histories lists every history in kind order.
var Histories = []History{AttributeHistory, EventTypeHistory, MemberChangeLogs}

// String is the history's table name.
func (h History) String() string {
	switch h {
	case AttributeHistory:
		return "attribute_assignment_history"
	case EventTypeHistory:
		return "event_type_history"
	case MemberChangeLogs:
		return "member_change_logs"
	}
	return "unknown"
}

// Name is the history's name in the API (GraphQL enum and REST path).
func (h History) Name() string {
	switch h {
	case AttributeHistory:
		return "ATTRIBUTE_ASSIGNMENT"
	case EventTypeHistory:
		return "EVENT_TYPE"
	case MemberChangeLogs:
		return "MEMBER_CHANGE_LOG"
	}
	return "UNKNOWN"
}

// ParseHistory is the inverse of Name (case-insensitive).
func ParseHistory(s string) (History, bool) {
	for _, h := range Histories {
		if strings.EqualFold(s, h.Name()) {
			return h, true
		}
	}
	return 0, false
}

// Magic and Version open every encoded entry.
const (
	Magic   = "auditgraph-entry"
	Version = 1
)

// Value tags of the encoding.
const (
	tagNull = 0x00
	tagText = 0x01
	tagInt  = 0x02
	tagTime = 0x03
)

type encoder []byte

func (e encoder) text(s string) encoder {
	e = append(e, tagText)
	e = binary.BigEndian.AppendUint32(e, uint32(len(s)))
	return append(e, s...)
}

func (e encoder) optText(s *string) encoder {
	if s == nil {
		return append(e, tagNull)
	}
	return e.text(*s)
}

func (e encoder) int(v int64) encoder {
	e = append(e, tagInt)
	return binary.BigEndian.AppendUint64(e, uint64(v))
}

func (e encoder) time(t time.Time) encoder {
	e = append(e, tagTime)
	return binary.BigEndian.AppendUint64(e, uint64(t.UnixMicro()))
}

func header(h History, size int) encoder {
	e := make(encoder, 0, size)
	e = append(e, Magic...)
	return append(e, Version, byte(h))
}

// Timestamp is a timestamp as the log records it: UTC, microseconds (the
// precision PostgreSQL stores). Writers store this value, so that what is
// read back encodes to the same bytes.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// UUID is an entry id of the two uuid-keyed histories as PostgreSQL stores
// and prints it: canonical lowercase. Writers on both dialects store this
// form; an id that is no uuid is returned as is (the store refuses it).
func UUID(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

func optLen(s *string) int {
	if s == nil {
		return 0
	}
	return len(*s)
}

// EncodeAttribute is the canonical encoding of an attribute assignment entry.
func EncodeAttribute(x *model.AttributeAssignmentEntry) []byte {
	a := &x.Actor
	e := header(AttributeHistory, 200+len(x.ID)+len(x.Source)+len(a.Type)+optLen(a.Ref)+optLen(a.Name)+
		optLen(a.Email)+optLen(a.Avatar)+len(x.SourceContext)+len(x.Changes)+optLen(x.IdempotencyKey))
	e = e.text(x.ID).int(x.OrganizationID).int(x.UserID).int(x.MembershipID).time(x.Timestamp).text(x.Source).
		text(a.Type).optText(a.Ref).optText(a.Name).optText(a.Email).optText(a.Avatar).
		text(x.SourceContext).text(x.Changes).optText(x.IdempotencyKey)
	return e
}

// EncodeEventType is the canonical encoding of an event type entry.
func EncodeEventType(x *model.EventTypeEntry) []byte {
	a, p := &x.Actor, &x.ImpersonatedBy
	e := header(EventTypeHistory, 200+len(x.ID)+len(x.Action)+len(x.Type)+len(x.Source)+len(a.Type)+optLen(a.Ref)+
		optLen(a.Name)+optLen(a.Email)+optLen(a.Avatar)+optLen(p.Name)+optLen(p.Email)+optLen(p.Avatar)+
		len(x.Payload)+optLen(x.IdempotencyKey))
	e = e.text(x.ID).int(x.EventTypeID).text(x.Action).text(x.Type).time(x.Timestamp).text(x.Source).
		text(a.Type).optText(a.Ref).optText(a.Name).optText(a.Email).optText(a.Avatar).
		optText(p.Name).optText(p.Email).optText(p.Avatar).text(x.Payload).optText(x.IdempotencyKey)
	return e
}

// EncodeChangeLog is the canonical encoding of a member change log. The
// actor snapshot columns come last, where the migration that added them put
// them in the table.
func EncodeChangeLog(x *model.MemberChangeLog) []byte {
	e := header(MemberChangeLogs, 160+len(x.ID)+len(x.Action)+len(x.ResourceType)+len(x.ResourceID)+
		optLen(x.ResourceName)+len(x.Changes)+optLen(x.IdempotencyKey)+
		optLen(x.ActorPublicID)+optLen(x.ActorName)+optLen(x.ActorEmail)+optLen(x.ActorAvatar))
	e = e.text(x.ID).int(x.OrganizationID).int(x.ActorUserID).text(x.Action).time(x.Timestamp).
		text(x.ResourceType).text(x.ResourceID).optText(x.ResourceName).text(x.Changes).optText(x.IdempotencyKey).
		optText(x.ActorPublicID).optText(x.ActorName).optText(x.ActorEmail).optText(x.ActorAvatar)
	return e
}

// LeafHash is the RFC 6962 leaf hash of encoded entry bytes:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(entry) }

// IsUUID reports whether id is a uuid in any of the forms PostgreSQL reads.
func IsUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
