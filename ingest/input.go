package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// The input records. They are both the NDJSON line format of
// `auditgraph import` (their JSON tags) and the GraphQL write inputs, bound
// by gqlgen (gqlgen.yml), so that one set of rules validates both and a
// field is declared once.

// ID is a user, an organization or an event type as an input names it: a
// number, or a string holding a number or a public id ("usr_…", "org_…").
// JSON accepts both forms, since producers write ids either way. The
// validator reads it into a model.Ref (model.ParseRef) once it knows which
// record it names.
type ID string

// UnmarshalJSON implements json.Unmarshaler.
func (r *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ID(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*r = ""
		return nil
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
		return fmt.Errorf("%s is not an id", b)
	}
	*r = ID(b)
	return nil
}

// Actor is who made a change, as they were at the time.
type Actor struct {
	Type   string  `json:"type"`
	Ref    *string `json:"ref,omitempty"`
	Name   *string `json:"name,omitempty"`
	Email  *string `json:"email,omitempty"`
	Avatar *string `json:"avatar,omitempty"`
}

// Person is the impersonating user of an event type change.
type Person struct {
	Name   *string `json:"name,omitempty"`
	Email  *string `json:"email,omitempty"`
	Avatar *string `json:"avatar,omitempty"`
}

// AttributeValue is one side of an assignment change. OptionSlug, and Value
// for select attributes, default to the stored option's.
type AttributeValue struct {
	OptionID   string   `json:"optionId"`
	OptionSlug *string  `json:"optionSlug,omitempty"`
	Value      *string  `json:"value,omitempty"`
	Weight     *float64 `json:"weight,omitempty"`
}

// AttributeChange is one change of an attribute entry. Type, when given,
// must be what ClassifyAttributeChange makes of Previous and Current.
type AttributeChange struct {
	AttributeID string          `json:"attributeId"`
	Type        *string         `json:"type,omitempty"`
	Previous    *AttributeValue `json:"previous,omitempty"`
	Current     *AttributeValue `json:"current,omitempty"`
}

// AttributeEntry is an attribute assignment history entry: either Changes,
// or AttributeID with Previous and/or Current for a single change.
type AttributeEntry struct {
	// ID keeps the entry's id from an export (import only); empty: a new id.
	ID *string `json:"id,omitempty"`
	// Unreadable is an exported entry's stored change that could not be
	// read (shown with hasError), kept as it was; only with ID.
	Unreadable     *string           `json:"unreadable,omitempty"`
	IdempotencyKey *string           `json:"idempotencyKey,omitempty"`
	Timestamp      *string           `json:"timestamp,omitempty"`
	UserID         ID                `json:"userId"`
	Source         string            `json:"source"`
	Actor          Actor             `json:"actor"`
	SourceContext  json.RawMessage   `json:"sourceContext,omitempty"`
	Changes        []AttributeChange `json:"changes,omitempty"`
	AttributeID    *string           `json:"attributeId,omitempty"`
	Previous       *AttributeValue   `json:"previous,omitempty"`
	Current        *AttributeValue   `json:"current,omitempty"`
}

// EventTypeEntry is an event type history entry: either Payload in the
// stored format, or Before/After snapshots the payload is computed from.
type EventTypeEntry struct {
	// ID keeps the entry's id from an export (import only); empty: a new id.
	ID *string `json:"id,omitempty"`
	// Unreadable is an exported entry's stored change that could not be
	// read (shown with hasError), kept as it was; only with ID.
	Unreadable     *string         `json:"unreadable,omitempty"`
	IdempotencyKey *string         `json:"idempotencyKey,omitempty"`
	Timestamp      *string         `json:"timestamp,omitempty"`
	EventTypeID    ID              `json:"eventTypeId"`
	Action         string          `json:"action"`
	Source         string          `json:"source"`
	Actor          Actor           `json:"actor"`
	ImpersonatedBy *Person         `json:"impersonatedBy,omitempty"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	Before         json.RawMessage `json:"before,omitempty"`
	After          json.RawMessage `json:"after,omitempty"`
}

// ChangeLogEntry is a member change log. Action and ResourceType are
// accepted in either case ("updated", "UPDATED").
type ChangeLogEntry struct {
	// ID keeps the entry's id from an export (import only); empty: a new id.
	ID *string `json:"id,omitempty"`
	// Unreadable is an exported entry's stored change that could not be
	// read (shown with hasError), kept as it was; only with ID.
	Unreadable     *string         `json:"unreadable,omitempty"`
	IdempotencyKey *string         `json:"idempotencyKey,omitempty"`
	Timestamp      *string         `json:"timestamp,omitempty"`
	ActorID        ID              `json:"actorId"`
	Action         string          `json:"action"`
	ResourceType   string          `json:"resourceType"`
	ResourceID     string          `json:"resourceId"`
	ResourceName   *string         `json:"resourceName,omitempty"`
	Changes        json.RawMessage `json:"changes,omitempty"`
}

// Attribute is an attribute with its options; an option's AttributeID need
// not be given (the store sets it to the attribute's).
type Attribute struct {
	model.Attribute
	Options []model.AttributeOption `json:"options"`
}

// Directory is one directory sync of an organization: GraphQL's
// DirectoryInput, whose nested inputs are the model's records (their ids are
// the platform's numbers; the organization's ids are filled in by
// SyncDirectory).
type Directory struct {
	Organization *model.Organization
	Teams        []model.Team
	Users        []model.User
	CustomRoles  []model.CustomRole
	Memberships  []model.Membership
	EventTypes   []model.EventType
	Attributes   []Attribute
}

// SyncCounts says how many records of each kind a sync wrote.
type SyncCounts struct {
	Organizations, Teams, Users, CustomRoles, Memberships, EventTypes, Attributes, AttributeOptions int
}

// Recorded is what a recorded entry returns.
type Recorded struct {
	ID string
	// IdempotencyKey is the key as the caller sent it, without its namespace.
	IdempotencyKey *string
	// Created is false when the key was already recorded.
	Created   bool
	Timestamp time.Time
}
