package db

import (
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// The row types give the domain types their tables and aliases. The domain
// types carry the column names as bun struct tags (text in a tag: package
// model does not import bun), so one struct is both the domain value and the
// row's columns, and no copy between the two can drift.

type organizationRow struct {
	bun.BaseModel `bun:"table:organizations,alias:o"`
	model.Organization
}

type teamRow struct {
	bun.BaseModel `bun:"table:teams,alias:t"`
	model.Team
}

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`
	model.User
}

type customRoleRow struct {
	bun.BaseModel `bun:"table:custom_roles,alias:cr"`
	model.CustomRole
}

// organizationAccessRow is an organization with one user's membership.
type organizationAccessRow struct {
	bun.BaseModel `bun:"table:organizations,alias:o"`
	model.Organization
	accessColumns
}

// userAccessRow is a user with their membership in one organization.
type userAccessRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`
	model.User
	accessColumns
}

type membershipRow struct {
	bun.BaseModel `bun:"table:memberships,alias:m"`
	model.Membership
}

type eventTypeRow struct {
	bun.BaseModel `bun:"table:event_types,alias:et"`
	model.EventType
}

type attributeRow struct {
	bun.BaseModel `bun:"table:attributes,alias:a"`
	model.Attribute
}

type attributeOptionRow struct {
	bun.BaseModel `bun:"table:attribute_options,alias:ao"`
	model.AttributeOption
}

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys,alias:k"`
	model.APIKey
}

// apiKeyUserRow is a key with its owner, read in one query.
type apiKeyUserRow struct {
	bun.BaseModel `bun:"table:api_keys,alias:k"`
	model.APIKey
	User *userRow `bun:"rel:belongs-to,join:user_id=id"`
}

type attributeEntryRow struct {
	bun.BaseModel `bun:"table:attribute_assignment_history,alias:h"`
	model.AttributeAssignmentEntry
}

type eventTypeEntryRow struct {
	bun.BaseModel `bun:"table:event_type_history,alias:h"`
	model.EventTypeEntry
}

type changeLogRow struct {
	bun.BaseModel `bun:"table:member_change_logs,alias:h"`
	model.MemberChangeLog
}

func (r *eventTypeEntryRow) entry() model.EventTypeEntry { return r.EventTypeEntry }

// unwrap copies the domain values out of rows.
func unwrap[R any, T any](rows []R, get func(*R) T) []T {
	out := make([]T, len(rows))
	for i := range rows {
		out[i] = get(&rows[i])
	}
	return out
}
