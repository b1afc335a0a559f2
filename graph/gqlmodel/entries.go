package gqlmodel

import (
	"github.com/auditgraph/auditgraph/model"
)

// The history entries as GraphQL shows them. Each embeds the stored entry,
// so gqlgen resolves a stored column straight from it by name (it looks
// into embedded structs when the outer one has no field of that name): a
// column declared in package model and named in the schema needs no code
// here or in the presenters. An event type entry holds a copy of its row,
// which the entry cache keeps and compares (resolvers/entrycache.go); the
// others point at the row they were read into, which lives as long as the
// response. The fields declared here are the computed
// ones; where one has a stored column's name (actor, changes, …) it hides
// that column from GraphQL and shows what is computed from it instead.

// EventTypeHistoryEntry is an event type history entry as shown.
type EventTypeHistoryEntry struct {
	model.EventTypeEntry
	// Actor and ImpersonatedBy are the stored snapshots, as displayed.
	Actor          *Actor
	ImpersonatedBy *ImpersonatedBy
	// ActionDisplayTitle, DisplayFields, DisplayJSON and HasError are
	// rendered from the stored payload by model/display.
	ActionDisplayTitle string
	DisplayFields      []*DisplayField
	DisplayJSON        JSON
	HasError           bool
}

// AttributeAssignmentEntry is an attribute assignment history entry as
// shown.
type AttributeAssignmentEntry struct {
	*model.AttributeAssignmentEntry
	// Actor is the stored snapshot, as displayed.
	Actor *Actor
	// SourceContext is the stored one, or {} when it is not JSON.
	SourceContext JSON
	// Changes are the stored changes parsed; HasError says they could not be.
	Changes  []*AttributeAssignmentChange
	HasError bool
}

// MemberChangeLog is a member change log as shown; its actor is loaded in
// batches when it was recorded without a snapshot.
type MemberChangeLog struct {
	*model.MemberChangeLog
	// Actor is the actor as recorded; nil for an entry recorded without.
	Actor *model.User
	// Action and ResourceType are the stored ones in the schema's enum case.
	Action       string
	ResourceType string
	// Changes are the stored changes parsed (empty when they cannot be).
	Changes []*MemberChange
}
