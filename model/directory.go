package model

import (
	"strconv"
	"strings"
	"time"
)

// Role is a membership role in an organization or a team.
type Role string

const (
	RoleOwner  Role = "OWNER"
	RoleAdmin  Role = "ADMIN"
	RoleMember Role = "MEMBER"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// IsAdmin reports whether r is OWNER or ADMIN, the roles that may read audit history.
func (r Role) IsAdmin() bool { return r == RoleOwner || r == RoleAdmin }

// PermissionReadAttributeAuditLogs lets a custom-role holder read attribute
// assignment history without being an organization admin.
const PermissionReadAttributeAuditLogs = "organization.attributes.readAuditLogs"

// Organization is a tenant. It has a numeric id (the Cal.com-style REST paths
// use it) and a stable public id "org_…" (the /v1 REST paths use that).
type Organization struct {
	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	PublicID  string    `bun:"public_id" json:"publicId"`
	Slug      string    `bun:"slug" json:"slug"`
	Name      string    `bun:"name" json:"name"`
	CreatedAt time.Time `bun:"created_at" json:"createdAt"`
}

// Team groups members; it may belong to an organization.
type Team struct {
	ID             int64  `bun:"id,pk,autoincrement" json:"id"`
	OrganizationID *int64 `bun:"organization_id" json:"organizationId"`
	Slug           string `bun:"slug" json:"slug"`
	Name           string `bun:"name" json:"name"`
}

// User is a person of the platform, with a numeric id and a public id "usr_…".
type User struct {
	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	PublicID  string    `bun:"public_id" json:"publicId"`
	Email     string    `bun:"email" json:"email"`
	Name      *string   `bun:"name" json:"name"`
	AvatarURL *string   `bun:"avatar_url" json:"avatarUrl"`
	CreatedAt time.Time `bun:"created_at" json:"createdAt"`
}

// CustomRole is an organization-defined role carrying permissions.
type CustomRole struct {
	ID             int64    `bun:"id,pk,autoincrement" json:"id"`
	OrganizationID int64    `bun:"organization_id" json:"organizationId"`
	Name           string   `bun:"name" json:"name"`
	Permissions    []string `bun:"permissions,type:text" json:"permissions"`
}

// Membership puts a user in exactly one organization or one team.
type Membership struct {
	ID             int64  `bun:"id,pk,autoincrement" json:"id"`
	UserID         int64  `bun:"user_id" json:"userId"`
	OrganizationID *int64 `bun:"organization_id" json:"organizationId"`
	TeamID         *int64 `bun:"team_id" json:"teamId"`
	Role           Role   `bun:"role" json:"role"`
	CustomRoleID   *int64 `bun:"custom_role_id" json:"customRoleId"`
}

// Ref names a directory record by its numeric ID or, when ID is 0, by its
// public id ("org_…", "usr_…").
type Ref struct {
	ID       int64
	PublicID string
}

// ParseID reads a database id: a positive decimal number.
func ParseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// ParseRef reads a numeric id, or a public id starting with prefix ("org_",
// "usr_") of at most 64 bytes.
func ParseRef(s, prefix string) (Ref, bool) {
	if n, ok := ParseID(s); ok {
		return Ref{ID: n}, true
	}
	if strings.HasPrefix(s, prefix) && len(s) <= 64 {
		return Ref{PublicID: s}, true
	}
	return Ref{}, false
}

// String is the id the caller gave, for messages.
func (r Ref) String() string {
	if r.ID != 0 {
		return strconv.FormatInt(r.ID, 10)
	}
	return r.PublicID
}

// Access is a user's membership in an organization or team.
type Access struct {
	MembershipID int64
	Role         Role
	Permissions  []string
}

// Has reports whether the access carries permission p.
func (a *Access) Has(p string) bool {
	if a == nil {
		return false
	}
	for _, q := range a.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

// EventType is personal (OwnerUserID set), a team's (TeamID set), or a managed
// child of a team event type (ParentID set, OwnerUserID the assigned member).
type EventType struct {
	ID          int64  `bun:"id,pk,autoincrement" json:"id"`
	Title       string `bun:"title" json:"title"`
	Slug        string `bun:"slug" json:"slug"`
	OwnerUserID *int64 `bun:"owner_user_id" json:"ownerUserId"`
	TeamID      *int64 `bun:"team_id" json:"teamId"`
	ParentID    *int64 `bun:"parent_id" json:"parentId"`
}

// EventTypeOwnership is the resolved chain that decides who may read an event
// type's history: a managed child resolves through its parent's team.
type EventTypeOwnership struct {
	EventTypeID int64
	// OwnerUserID is the owner of a personal event type (nil for team ones).
	OwnerUserID *int64
	// TeamID is the owning team, the parent's team for a managed child.
	TeamID *int64
	// OrganizationID is the organization of that team, if any.
	OrganizationID *int64
}

// EventTypeAccess is an event type's ownership together with one user's
// roles where it is owned: what deciding that user's access takes.
type EventTypeAccess struct {
	EventTypeOwnership
	// TeamRole is the user's role in TeamID; empty when not a member.
	TeamRole Role
	// OrganizationRole is the user's role in OrganizationID; empty when not
	// a member.
	OrganizationRole Role
}

// AttributeType is the input type of an attribute.
type AttributeType string

const (
	AttributeText         AttributeType = "TEXT"
	AttributeNumber       AttributeType = "NUMBER"
	AttributeSingleSelect AttributeType = "SINGLE_SELECT"
	AttributeMultiSelect  AttributeType = "MULTI_SELECT"
)

// Valid reports whether t is a known attribute type.
func (t AttributeType) Valid() bool {
	switch t {
	case AttributeText, AttributeNumber, AttributeSingleSelect, AttributeMultiSelect:
		return true
	}
	return false
}

// Attribute is an organization's member attribute ("Department").
type Attribute struct {
	ID             string        `bun:"id,pk" json:"id"`
	OrganizationID int64         `bun:"organization_id" json:"organizationId"`
	Slug           string        `bun:"slug" json:"slug"`
	Name           string        `bun:"name" json:"name"`
	Type           AttributeType `bun:"type" json:"type"`
}

// AttributeOption is one value of a select attribute.
type AttributeOption struct {
	ID          string `bun:"id,pk" json:"id"`
	AttributeID string `bun:"attribute_id" json:"attributeId"`
	Slug        string `bun:"slug" json:"slug"`
	Value       string `bun:"value" json:"value"`
}
