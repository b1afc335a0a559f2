package model

import (
	"context"
	"time"
)

// HistoryReader reads the three histories. Page reads return entries newest
// first; a Cursor that names no entry of the history being read is
// BAD_USER_INPUT.
type HistoryReader interface {
	AttributeHistory(ctx context.Context, f AttributeHistoryFilter, p PageArgs) (Page[AttributeAssignmentEntry], error)
	CountAttributeHistory(ctx context.Context, f AttributeHistoryFilter) (int, error)
	EventTypeHistory(ctx context.Context, f EventTypeHistoryFilter, p PageArgs) (Page[EventTypeEntry], error)
	CountEventTypeHistory(ctx context.Context, f EventTypeHistoryFilter) (int, error)
	MemberChangeLogs(ctx context.Context, f MemberChangeLogFilter, p PageArgs) (Page[MemberChangeLog], error)
	CountMemberChangeLogs(ctx context.Context, f MemberChangeLogFilter) (int, error)
}

// HistoryWriter appends entries. Each call is all-or-nothing. An entry whose
// IdempotencyKey is already stored is not written again; the stored entry is
// returned in its place.
type HistoryWriter interface {
	AppendAttributeHistory(ctx context.Context, entries []AttributeAssignmentEntry) ([]AttributeAssignmentEntry, error)
	AppendEventTypeHistory(ctx context.Context, entries []EventTypeEntry) ([]EventTypeEntry, error)
	AppendMemberChangeLogs(ctx context.Context, entries []MemberChangeLog) ([]MemberChangeLog, error)
}

// Directory looks up the directory. Lookups of one record return NOT_FOUND
// when it does not exist; batch lookups return what exists, in any order.
type Directory interface {
	OrganizationByID(ctx context.Context, id int64) (*Organization, error)
	OrganizationByPublicID(ctx context.Context, publicID string) (*Organization, error)
	OrganizationsByIDs(ctx context.Context, ids []int64) ([]Organization, error)
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByPublicID(ctx context.Context, publicID string) (*User, error)
	UsersByIDs(ctx context.Context, ids []int64) ([]User, error)
	TeamsByIDs(ctx context.Context, ids []int64) ([]Team, error)
	TeamsByOrganization(ctx context.Context, orgID int64) ([]Team, error)
	CustomRoleByID(ctx context.Context, id int64) (*CustomRole, error)
	EventTypeByID(ctx context.Context, id int64) (*EventType, error)
	AttributesByOrganization(ctx context.Context, orgID int64) ([]Attribute, error)
	OptionsByAttributeIDs(ctx context.Context, ids []string) ([]AttributeOption, error)

	// OrganizationAccess is the user's organization membership: role and custom
	// role permissions. NOT_FOUND when the user is not a member.
	OrganizationAccess(ctx context.Context, userID, orgID int64) (*Access, error)
	// OrganizationWithAccess returns the organization org names and userID's
	// membership in it (nil when not a member), in one lookup. NOT_FOUND
	// when there is no such organization.
	OrganizationWithAccess(ctx context.Context, org Ref, userID int64) (*Organization, *Access, error)
	// UserWithAccess returns the user user names and their membership in
	// orgID (nil when not a member), in one lookup. NOT_FOUND when there is
	// no such user.
	UserWithAccess(ctx context.Context, user Ref, orgID int64) (*User, *Access, error)
	// TeamAccess is the user's team membership. NOT_FOUND when not a member.
	TeamAccess(ctx context.Context, userID, teamID int64) (*Access, error)
	// EventTypeOwnership resolves who owns an event type (through its parent
	// for managed children). NOT_FOUND when the event type does not exist.
	EventTypeOwnership(ctx context.Context, eventTypeID int64) (*EventTypeOwnership, error)
	// EventTypeAccess is EventTypeOwnership with userID's roles in the owning
	// team and organization, in one lookup. NOT_FOUND when the event type
	// does not exist.
	EventTypeAccess(ctx context.Context, eventTypeID, userID int64) (*EventTypeAccess, error)
	// UserBelongings is where a user belongs, in one lookup: the
	// organizations (directly or through a team), all their teams, and
	// those of their teams without an organization.
	UserBelongings(ctx context.Context, userID int64) (UserFacts, error)
	// MembershipByID and AttributeByID return one record, or NOT_FOUND.
	MembershipByID(ctx context.Context, id int64) (*Membership, error)
	AttributeByID(ctx context.Context, id string) (*Attribute, error)
	// MembershipsOfUser lists all of a user's memberships.
	MembershipsOfUser(ctx context.Context, userID int64) ([]Membership, error)
}

// DirectoryWriter upserts directory records by their natural keys; sending the
// same records twice changes nothing.
type DirectoryWriter interface {
	UpsertOrganization(ctx context.Context, o *Organization) error
	UpsertTeam(ctx context.Context, t *Team) error
	UpsertUser(ctx context.Context, u *User) error
	UpsertCustomRole(ctx context.Context, r *CustomRole) error
	UpsertMembership(ctx context.Context, m *Membership) error
	UpsertEventType(ctx context.Context, e *EventType) error
	UpsertAttribute(ctx context.Context, a *Attribute, options []AttributeOption) error
}

// KeyStore keeps API keys.
type KeyStore interface {
	// APIKeyByHash returns the key with that hash, usable or not; NOT_FOUND if none.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// APIKeyWithUser returns the key with that hash and its owner, in one
	// lookup; NOT_FOUND if there is no such key (or its owner is gone).
	APIKeyWithUser(ctx context.Context, hash string) (*APIKey, *User, error)
	CreateAPIKey(ctx context.Context, k *APIKey) error
	ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id int64, at time.Time) error
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error
}

// Store is everything the server needs from the database.
type Store interface {
	HistoryReader
	HistoryWriter
	Directory
	DirectoryWriter
	KeyStore
	// InTx runs fn with a Store whose operations share one transaction.
	InTx(ctx context.Context, fn func(Store) error) error
	Ping(ctx context.Context) error
	Close() error
}
