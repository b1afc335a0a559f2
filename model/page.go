package model

import "time"

// Page sizes of the connections.
const (
	DefaultPageSize      = 25
	MaxCalPageSize       = 50  // attribute assignment and event type history
	MaxChangeLogPageSize = 100 // member change logs
)

// PageArgs asks a store for one keyset page. Entries are always ordered newest
// first (timestamp, then id, both descending), whichever way the page is read.
type PageArgs struct {
	// Limit is the number of entries wanted (the store fetches one more to
	// learn whether there are more).
	Limit int
	// Backward reads the page that ends just before Cursor (the newer side)
	// instead of the page that starts just after it (the older side).
	Backward bool
	// Cursor is the id of the entry the page is relative to, or "" for the
	// newest page (forward) or the oldest page (backward).
	Cursor string
	// Offset skips that many entries first (forward only). Offset paging costs
	// what it skips; it exists for the /v1 skip/take contract.
	Offset int
}

// Page is one page of entries, newest first.
type Page[T any] struct {
	Items []T
	// More reports whether entries exist beyond the page in the direction it
	// was read (older for forward, newer for backward).
	More bool
}

// TimeRange bounds entries by timestamp; both ends inclusive, nil is open.
type TimeRange struct {
	From *time.Time
	To   *time.Time
}

// AttributeHistoryFilter selects a member's attribute assignment history.
type AttributeHistoryFilter struct {
	OrganizationID int64
	UserID         int64
	TimeRange
	ActorType string
	ActorRef  string
	Source    string
}

// EventTypeHistoryFilter selects an event type's history.
type EventTypeHistoryFilter struct {
	EventTypeID int64
	TimeRange
	Actions   []string
	ActorType string
	ActorRef  string
}

// MemberChangeLogFilter selects the change logs related to a member of an
// organization: those the member performed, and those done to the member.
type MemberChangeLogFilter struct {
	OrganizationID int64
	UserID         int64
	// UserPublicID is the member's "usr_…" id, the resource id of changes done to them.
	UserPublicID string
	TimeRange
	Action       string
	ResourceType string
	// ActorUserID keeps only entries performed by that user.
	ActorUserID int64
}
