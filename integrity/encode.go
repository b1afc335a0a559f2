package integrity

import (
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

// The layouts of the three histories, derived from their entry types once.
// The numbers are the columns of encoding version 1: fixed forever, since
// entries logged under it must keep verifying.
var (
	attributeLayout = newLayout[model.AttributeAssignmentEntry](AttributeHistory, 14)
	eventTypeLayout = newLayout[model.EventTypeEntry](EventTypeHistory, 16)
	changeLogLayout = newLayout[model.MemberChangeLog](MemberChangeLogs, 14)
)

// EncodeAttribute is the canonical encoding of an attribute assignment entry.
func EncodeAttribute(x *model.AttributeAssignmentEntry) []byte { return attributeLayout.encode(x) }

// EncodeEventType is the canonical encoding of an event type entry.
func EncodeEventType(x *model.EventTypeEntry) []byte { return eventTypeLayout.encode(x) }

// EncodeChangeLog is the canonical encoding of a member change log.
func EncodeChangeLog(x *model.MemberChangeLog) []byte { return changeLogLayout.encode(x) }

// Columns lists the stored columns of history h in encoding order (the
// entry type's bun columns in declaration order).
func Columns(h History) []string {
	switch h {
	case AttributeHistory:
		return attributeLayout.names()
	case EventTypeHistory:
		return eventTypeLayout.names()
	case MemberChangeLogs:
		return changeLogLayout.names()
	}
	return nil
}

// LeafHash is the RFC 6962 leaf hash of encoded entry bytes:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(entry) }

// IsUUID reports whether id is a uuid in any of the forms PostgreSQL reads.
func IsUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
