package model

import (
	"fmt"
	"time"
)

// DefaultPageSize is the size of a history page when neither the caller nor
// the server says otherwise.
const DefaultPageSize = 25

// PageSizeCeiling bounds what a configuration may allow: a page is built in
// memory and rendered whole.
const PageSizeCeiling = 1000

// PageSizes are the page sizes a server allows, as its flags set them: the
// size of a page when the caller asks for none, and the largest a caller may
// ask for. For turns them into one history kind's Limits.
type PageSizes struct {
	// Default applies to every history.
	Default int
	// Max bounds the attribute assignment and event type histories.
	Max int
	// MaxChangeLogs bounds the member change logs.
	MaxChangeLogs int
}

// DefaultPageSizes are the kinds' own limits: 25, at most 50, and at most 100
// for change logs.
func DefaultPageSizes() PageSizes {
	return PageSizes{Default: DefaultPageSize, Max: AttributeHistoryKind.Limits.Max, MaxChangeLogs: MemberChangeLogsKind.Limits.Max}
}

// OrDefault returns p, or the default sizes when p is the zero value.
func (p PageSizes) OrDefault() PageSizes {
	if p == (PageSizes{}) {
		return DefaultPageSizes()
	}
	return p
}

// Validate reports a configuration no request could page through sensibly.
func (p PageSizes) Validate() error {
	for _, v := range []struct {
		name string
		n    int
	}{{"default page size", p.Default}, {"maximum page size", p.Max}, {"maximum change-log page size", p.MaxChangeLogs}} {
		if v.n < 1 || v.n > PageSizeCeiling {
			return fmt.Errorf("%s must be between 1 and %d, got %d", v.name, PageSizeCeiling, v.n)
		}
	}
	if p.Default > p.Max || p.Default > p.MaxChangeLogs {
		return fmt.Errorf("default page size %d is larger than a maximum (%d, change logs %d)", p.Default, p.Max, p.MaxChangeLogs)
	}
	return nil
}

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
