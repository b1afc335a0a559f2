package gqlmodel

import (
	"context"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// Counter counts the entries of a connection; it runs only when totalCount is
// selected, so a page read without it costs no COUNT.
type Counter func(ctx context.Context) (int, error)

// Edge is one entry of a connection with its cursor.
type Edge[N any] struct {
	Cursor string
	Node   N
}

// Connection is one page of a history, whatever its kind: the schema's three
// connection types are this type (see the aliases below), so paging, nodes
// and totalCount are written once.
type Connection[N any] struct {
	Edges    []*Edge[N]
	PageInfo *PageInfo
	Count    Counter
}

// Nodes are the page's entries, in order.
func (c *Connection[N]) Nodes() []N {
	out := make([]N, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

// TotalCount counts all entries matching the filter.
func (c *Connection[N]) TotalCount(ctx context.Context) (int, error) {
	return c.Count(ctx)
}

// The schema's connection and edge types, bound by name (gqlgen's autobind).
type (
	AttributeAssignmentConnection = Connection[*AttributeAssignmentEntry]
	AttributeAssignmentEdge       = Edge[*AttributeAssignmentEntry]
	EventTypeHistoryConnection    = Connection[*EventTypeHistoryEntry]
	EventTypeHistoryEdge          = Edge[*EventTypeHistoryEntry]
	MemberChangeLogConnection     = Connection[*MemberChangeLog]
	MemberChangeLogEdge           = Edge[*MemberChangeLog]
)

// MemberChangeLog is one change log entry; its actor is loaded in batches.
type MemberChangeLog struct {
	ID          string
	ActorUserID int64
	// Actor is the actor as recorded; nil for an entry recorded without.
	Actor        *model.User
	Action       string
	Timestamp    time.Time
	ResourceType string
	ResourceID   string
	ResourceName *string
	Changes      []*MemberChange
}

// Member is a user in their organization membership.
type Member struct {
	User         *model.User
	Organization *model.Organization
	MembershipID int64
	Role         model.Role
}

// Access is the member's membership.
func (m *Member) Access() *model.Access {
	return &model.Access{MembershipID: m.MembershipID, Role: m.Role}
}
