package gqlmodel

import (
	"time"

	"context"

	"github.com/auditgraph/auditgraph/model"
)

// Counter counts the entries of a connection; it runs only when totalCount is
// selected, so a page read without it costs no COUNT.
type Counter func(ctx context.Context) (int, error)

// nodes are the nodes of edges, in order.
func nodes[E, N any](edges []*E, node func(*E) N) []N {
	out := make([]N, len(edges))
	for i, e := range edges {
		out[i] = node(e)
	}
	return out
}

// AttributeAssignmentConnection is a page of attribute assignment history.
type AttributeAssignmentConnection struct {
	Edges    []*AttributeAssignmentEdge
	PageInfo *PageInfo
	Count    Counter
}

// Nodes are the page's entries, in order.
func (c *AttributeAssignmentConnection) Nodes() []*AttributeAssignmentEntry {
	return nodes(c.Edges, func(e *AttributeAssignmentEdge) *AttributeAssignmentEntry { return e.Node })
}

// TotalCount counts all entries matching the filter.
func (c *AttributeAssignmentConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Count(ctx)
}

// EventTypeHistoryConnection is a page of event type history.
type EventTypeHistoryConnection struct {
	Edges    []*EventTypeHistoryEdge
	PageInfo *PageInfo
	Count    Counter
}

// Nodes are the page's entries, in order.
func (c *EventTypeHistoryConnection) Nodes() []*EventTypeHistoryEntry {
	return nodes(c.Edges, func(e *EventTypeHistoryEdge) *EventTypeHistoryEntry { return e.Node })
}

// TotalCount counts all entries matching the filter.
func (c *EventTypeHistoryConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Count(ctx)
}

// MemberChangeLogConnection is a page of member change logs.
type MemberChangeLogConnection struct {
	Edges    []*MemberChangeLogEdge
	PageInfo *PageInfo
	Count    Counter
}

// Nodes are the page's entries, in order.
func (c *MemberChangeLogConnection) Nodes() []*MemberChangeLog {
	return nodes(c.Edges, func(e *MemberChangeLogEdge) *MemberChangeLog { return e.Node })
}

// TotalCount counts all logs matching the filter.
func (c *MemberChangeLogConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Count(ctx)
}

// MemberChangeLog is one change log entry; its actor is loaded in batches.
type MemberChangeLog struct {
	ID          string
	ActorUserID int64
	// Actor is the actor as recorded; nil for an entry recorded without.
	Actor        *model.User
	Action       ChangeLogAction
	Timestamp    time.Time
	ResourceType ResourceType
	ResourceID   string
	ResourceName *string
	Changes      []*MemberChange
}

// Member is a user in their organization membership.
type Member struct {
	User         *model.User
	Organization *model.Organization
	MembershipID int64
	Role         Role
}

// Access is the member's membership.
func (m *Member) Access() *model.Access {
	return &model.Access{MembershipID: m.MembershipID, Role: model.Role(m.Role)}
}
