package model

import (
	"time"
)

// Actor types of the Cal.com-style histories.
const (
	ActorUser     = "USER"
	ActorGuest    = "GUEST"
	ActorAttendee = "ATTENDEE"
	ActorSystem   = "SYSTEM"
	ActorApp      = "APP"
)

// ActorTypes lists every actor type, in schema order.
var ActorTypes = []string{ActorUser, ActorGuest, ActorAttendee, ActorSystem, ActorApp}

// Sources of an audit event.
var Sources = []string{"WEBAPP", "API_V1", "API_V2", "WEBHOOK", "SYSTEM", "DSYNC", "INTEGRATION"}

// Event type actions.
const (
	EventTypeCreated  = "EVENT_TYPE_CREATED"
	EventTypeModified = "EVENT_TYPE_MODIFIED"
	EventTypeDeleted  = "EVENT_TYPE_DELETED"
)

// EventTypeActions lists every event type action.
var EventTypeActions = []string{EventTypeCreated, EventTypeModified, EventTypeDeleted}

// AttributeChangeTypes lists the attribute change types.
var AttributeChangeTypes = []string{"ASSIGNED", "UNASSIGNED", "VALUE_CHANGED", "WEIGHT_CHANGED"}

// Member change log actions and resource types, as the /v1 contract spells them.
var (
	ChangeLogActions       = []string{"created", "updated", "deleted", "added", "removed", "restored", "entity_attached", "entity_detached"}
	ChangeLogResourceTypes = []string{"organization_user", "assistant", "rule", "document"}
)

// ResourceOrganizationUser is the resource type of changes done to a member.
const ResourceOrganizationUser = "organization_user"

// OneOf reports whether s is in list.
func OneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ActorSnapshot is who did it, as they were when the entry was written: history
// must keep showing a renamed or deleted user as they were.
type ActorSnapshot struct {
	Type   string  `bun:"actor_type" json:"type"`
	Ref    *string `bun:"actor_ref" json:"ref,omitempty"`
	Name   *string `bun:"actor_name" json:"name,omitempty"`
	Email  *string `bun:"actor_email" json:"email,omitempty"`
	Avatar *string `bun:"actor_avatar" json:"avatar,omitempty"`
}

// PersonSnapshot is the impersonating user of an event type change.
type PersonSnapshot struct {
	Name   *string `bun:"impersonated_by_name" json:"name,omitempty"`
	Email  *string `bun:"impersonated_by_email" json:"email,omitempty"`
	Avatar *string `bun:"impersonated_by_avatar" json:"avatar,omitempty"`
}

// Present reports whether the snapshot names anybody.
func (p PersonSnapshot) Present() bool { return p.Name != nil || p.Email != nil }

// AttributeAssignmentEntry is one entry of a member's attribute assignment
// history. Changes is kept raw: it is parsed when read, so one damaged row is
// shown with hasError instead of failing the page.
type AttributeAssignmentEntry struct {
	ID             string        `bun:"id,pk" json:"id"`
	OrganizationID int64         `bun:"organization_id" json:"organizationId"`
	UserID         int64         `bun:"user_id" json:"userId"`
	MembershipID   int64         `bun:"membership_id" json:"membershipId"`
	Timestamp      time.Time     `bun:"created_at" json:"timestamp"`
	Source         string        `bun:"source" json:"source"`
	Actor          ActorSnapshot `bun:"embed:" json:"actor"`
	SourceContext  string        `bun:"source_context" json:"sourceContext"`
	Changes        string        `bun:"changes" json:"changes"`
	IdempotencyKey *string       `bun:"idempotency_key" json:"-"`
}

// EventTypeEntry is one entry of an event type's change history; Payload is
// the stored change (see model/display for its format), kept raw.
type EventTypeEntry struct {
	ID             string         `bun:"id,pk" json:"id"`
	EventTypeID    int64          `bun:"event_type_id" json:"eventTypeId"`
	Action         string         `bun:"action" json:"action"`
	Type           string         `bun:"type" json:"type"`
	Timestamp      time.Time      `bun:"created_at" json:"timestamp"`
	Source         string         `bun:"source" json:"source"`
	Actor          ActorSnapshot  `bun:"embed:" json:"actor"`
	ImpersonatedBy PersonSnapshot `bun:"embed:" json:"impersonatedBy"`
	Payload        string         `bun:"payload" json:"payload"`
	IdempotencyKey *string        `bun:"idempotency_key" json:"-"`
}

// MemberChangeLog is one entry of an organization's member change log.
// ResourceID holds a public id ("usr_…" for organization_user resources).
type MemberChangeLog struct {
	ID             string    `bun:"id,pk" json:"id"`
	OrganizationID int64     `bun:"organization_id" json:"organizationId"`
	ActorUserID    int64     `bun:"actor_user_id" json:"actorUserId"`
	Action         string    `bun:"action" json:"action"`
	Timestamp      time.Time `bun:"created_at" json:"timestamp"`
	ResourceType   string    `bun:"resource_type" json:"resourceType"`
	ResourceID     string    `bun:"resource_id" json:"resourceId"`
	ResourceName   *string   `bun:"resource_name" json:"resourceName"`
	Changes        string    `bun:"changes" json:"changes"`
	IdempotencyKey *string   `bun:"idempotency_key" json:"-"`
	// The actor as they were when the entry was written: an audit entry
	// shows who acted as recorded, whatever the directory says later.
	// Last, where the migration that added them put them in the table
	// (the integrity encoding follows declaration order).
	ActorPublicID *string `bun:"actor_public_id" json:"actorPublicId,omitempty"`
	ActorName     *string `bun:"actor_name" json:"actorName,omitempty"`
	ActorEmail    *string `bun:"actor_email" json:"actorEmail,omitempty"`
	ActorAvatar   *string `bun:"actor_avatar" json:"actorAvatar,omitempty"`
}
