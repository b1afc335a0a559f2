package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// OrganizationByID returns the organization, or NOT_FOUND.
func (s *Store) OrganizationByID(ctx context.Context, id int64) (*model.Organization, error) {
	var r organizationRow
	if err := s.idb.NewSelect().Model(&r).Where("o.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "organization %d not found", id)
	}
	return &r.Organization, nil
}

// OrganizationByPublicID returns the organization with that "org_…" id, or NOT_FOUND.
func (s *Store) OrganizationByPublicID(ctx context.Context, publicID string) (*model.Organization, error) {
	var r organizationRow
	if err := s.idb.NewSelect().Model(&r).Where("o.public_id = ?", publicID).Scan(ctx); err != nil {
		return nil, notFound(err, "organization %s not found", publicID)
	}
	return &r.Organization, nil
}

// OrganizationsByIDs returns the organizations that exist among ids.
func (s *Store) OrganizationsByIDs(ctx context.Context, ids []int64) ([]model.Organization, error) {
	var rows []organizationRow
	if err := s.idb.NewSelect().Model(&rows).Where("o.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *organizationRow) model.Organization { return r.Organization }), nil
}

// UserByID returns the user, or NOT_FOUND.
func (s *Store) UserByID(ctx context.Context, id int64) (*model.User, error) {
	var r userRow
	if err := s.idb.NewSelect().Model(&r).Where("u.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "user %d not found", id)
	}
	return &r.User, nil
}

// UserByPublicID returns the user with that "usr_…" id, or NOT_FOUND.
func (s *Store) UserByPublicID(ctx context.Context, publicID string) (*model.User, error) {
	var r userRow
	if err := s.idb.NewSelect().Model(&r).Where("u.public_id = ?", publicID).Scan(ctx); err != nil {
		return nil, notFound(err, "user %s not found", publicID)
	}
	return &r.User, nil
}

// UsersByIDs returns the users that exist among ids.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) ([]model.User, error) {
	var rows []userRow
	if err := s.idb.NewSelect().Model(&rows).Where("u.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *userRow) model.User { return r.User }), nil
}

// TeamsByIDs returns the teams that exist among ids.
func (s *Store) TeamsByIDs(ctx context.Context, ids []int64) ([]model.Team, error) {
	var rows []teamRow
	if err := s.idb.NewSelect().Model(&rows).Where("t.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *teamRow) model.Team { return r.Team }), nil
}

// TeamsByOrganization lists an organization's teams by name.
func (s *Store) TeamsByOrganization(ctx context.Context, orgID int64) ([]model.Team, error) {
	var rows []teamRow
	if err := s.idb.NewSelect().Model(&rows).Where("t.organization_id = ?", orgID).OrderExpr("t.name, t.id").Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *teamRow) model.Team { return r.Team }), nil
}

// CustomRoleByID returns the custom role, or NOT_FOUND.
func (s *Store) CustomRoleByID(ctx context.Context, id int64) (*model.CustomRole, error) {
	var r customRoleRow
	if err := s.idb.NewSelect().Model(&r).Where("cr.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "custom role %d not found", id)
	}
	return &r.CustomRole, nil
}

// EventTypeByID returns the event type, or NOT_FOUND.
func (s *Store) EventTypeByID(ctx context.Context, id int64) (*model.EventType, error) {
	var r eventTypeRow
	if err := s.idb.NewSelect().Model(&r).Where("et.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "Event type with id %d not found", id)
	}
	return &r.EventType, nil
}

// AttributesByOrganization lists an organization's attributes by name.
func (s *Store) AttributesByOrganization(ctx context.Context, orgID int64) ([]model.Attribute, error) {
	var rows []attributeRow
	if err := s.idb.NewSelect().Model(&rows).Where("a.organization_id = ?", orgID).OrderExpr("a.name, a.id").Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *attributeRow) model.Attribute { return r.Attribute }), nil
}

// OptionsByAttributeIDs lists the options of the attributes.
func (s *Store) OptionsByAttributeIDs(ctx context.Context, ids []string) ([]model.AttributeOption, error) {
	var rows []attributeOptionRow
	if err := s.idb.NewSelect().Model(&rows).Where("ao.attribute_id IN (?)", bun.List(ids)).OrderExpr("ao.value, ao.id").Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *attributeOptionRow) model.AttributeOption { return r.AttributeOption }), nil
}

func (s *Store) access(ctx context.Context, column string, userID, scopeID int64) (*model.Access, error) {
	var row accessColumns
	err := s.idb.NewSelect().TableExpr("memberships AS m").
		ColumnExpr(accessColumnList).
		Join("LEFT JOIN custom_roles AS cr ON cr.id = m.custom_role_id").
		Where("m.user_id = ?", userID).Where("m."+column+" = ?", scopeID).
		Limit(1).Scan(ctx, &row)
	if err != nil {
		return nil, notFound(err, "user %d is not a member", userID)
	}
	return row.access()
}

// accessColumns are the membership columns read along a directory record:
// m is the membership, cr its custom role.
type accessColumns struct {
	MembershipID *int64         `bun:"membership_id,scanonly"`
	Role         *model.Role    `bun:"membership_role,scanonly"`
	Permissions  sql.NullString `bun:"membership_permissions,scanonly"`
}

func (c *accessColumns) access() (*model.Access, error) {
	if c.MembershipID == nil || c.Role == nil {
		return nil, nil
	}
	a := &model.Access{MembershipID: *c.MembershipID, Role: *c.Role}
	if c.Permissions.Valid && c.Permissions.String != "" {
		if err := json.Unmarshal([]byte(c.Permissions.String), &a.Permissions); err != nil {
			return nil, err
		}
	}
	return a, nil
}

const accessColumnList = "m.id AS membership_id, m.role AS membership_role, cr.permissions AS membership_permissions"

// withAccess adds the membership of the join condition on to q.
func withAccess(q *bun.SelectQuery, on string, args ...any) *bun.SelectQuery {
	return q.ColumnExpr(accessColumnList).
		Join("LEFT JOIN memberships AS m ON "+on, args...).
		Join("LEFT JOIN custom_roles AS cr ON cr.id = m.custom_role_id")
}

func whereRef(q *bun.SelectQuery, alias string, r model.Ref) *bun.SelectQuery {
	if r.ID != 0 {
		return q.Where(alias+".id = ?", r.ID)
	}
	return q.Where(alias+".public_id = ?", r.PublicID)
}

// OrganizationWithAccess returns the organization and userID's membership
// in it (nil when none) in one query, or NOT_FOUND.
func (s *Store) OrganizationWithAccess(ctx context.Context, org model.Ref, userID int64) (*model.Organization, *model.Access, error) {
	var r organizationAccessRow
	q := withAccess(s.idb.NewSelect().Model(&r).ColumnExpr("o.*"), "m.organization_id = o.id AND m.user_id = ?", userID)
	if err := whereRef(q, "o", org).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "organization %s not found", org)
	}
	a, err := r.access()
	return &r.Organization, a, err
}

// UserWithAccess returns the user and their membership in orgID (nil when
// none) in one query, or NOT_FOUND.
func (s *Store) UserWithAccess(ctx context.Context, user model.Ref, orgID int64) (*model.User, *model.Access, error) {
	var r userAccessRow
	q := withAccess(s.idb.NewSelect().Model(&r).ColumnExpr("u.*"), "m.user_id = u.id AND m.organization_id = ?", orgID)
	if err := whereRef(q, "u", user).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "user %s not found", user)
	}
	a, err := r.access()
	return &r.User, a, err
}

// EventTypeOwnership resolves the owner chain of an event type in one query:
// the event type, its parent (managed children) and the team's organization.
func (s *Store) EventTypeOwnership(ctx context.Context, eventTypeID int64) (*model.EventTypeOwnership, error) {
	a, err := s.eventTypeAccess(ctx, eventTypeID, 0)
	if err != nil {
		return nil, err
	}
	return &a.EventTypeOwnership, nil
}

// eventTypeAccess is EventTypeAccess; userID 0 (no user has it) looks up the
// ownership alone.
func (s *Store) eventTypeAccess(ctx context.Context, eventTypeID, userID int64) (*model.EventTypeAccess, error) {
	var row struct {
		OwnerUserID      *int64      `bun:"owner_user_id"`
		TeamID           *int64      `bun:"team_id"`
		OrganizationID   *int64      `bun:"organization_id"`
		TeamRole         *model.Role `bun:"team_role"`
		OrganizationRole *model.Role `bun:"organization_role"`
	}
	q := s.idb.NewSelect().TableExpr("event_types AS et").
		ColumnExpr("et.owner_user_id, COALESCE(et.team_id, p.team_id) AS team_id, t.organization_id").
		Join("LEFT JOIN event_types AS p ON p.id = et.parent_id").
		Join("LEFT JOIN teams AS t ON t.id = COALESCE(et.team_id, p.team_id)")
	if userID != 0 {
		// The memberships indexes are unique per (user, team) and (user,
		// organization): each join adds at most one row.
		q = q.ColumnExpr("tm.role AS team_role, om.role AS organization_role").
			Join("LEFT JOIN memberships AS tm ON tm.user_id = ? AND tm.team_id = COALESCE(et.team_id, p.team_id)", userID).
			Join("LEFT JOIN memberships AS om ON om.user_id = ? AND om.organization_id = t.organization_id", userID)
	}
	if err := q.Where("et.id = ?", eventTypeID).Scan(ctx, &row); err != nil {
		return nil, notFound(err, "Event type with id %d not found", eventTypeID)
	}
	a := &model.EventTypeAccess{EventTypeOwnership: model.EventTypeOwnership{
		EventTypeID: eventTypeID, TeamID: row.TeamID, OrganizationID: row.OrganizationID,
	}}
	// Only a personal event type has an owner who may read its history; the
	// member assigned a managed child does not.
	if row.TeamID == nil {
		a.OwnerUserID = row.OwnerUserID
	}
	if row.TeamRole != nil {
		a.TeamRole = *row.TeamRole
	}
	if row.OrganizationRole != nil {
		a.OrganizationRole = *row.OrganizationRole
	}
	return a, nil
}

// MembershipsOfUser lists all of a user's memberships.
func (s *Store) MembershipsOfUser(ctx context.Context, userID int64) ([]model.Membership, error) {
	var rows []membershipRow
	if err := s.idb.NewSelect().Model(&rows).Where("m.user_id = ?", userID).OrderExpr("m.id").Scan(ctx); err != nil {
		return nil, err
	}
	return unwrap(rows, func(r *membershipRow) model.Membership { return r.Membership }), nil
}

// UserBelongings reads a user's memberships with their teams' organizations
// in one statement.
func (s *Store) UserBelongings(ctx context.Context, userID int64) (model.UserFacts, error) {
	var rows []struct {
		OrganizationID *int64 `bun:"organization_id"`
		TeamID         *int64 `bun:"team_id"`
		TeamOrgID      *int64 `bun:"team_org_id"`
	}
	err := s.idb.NewSelect().TableExpr("memberships AS m").
		ColumnExpr("m.organization_id, m.team_id, t.organization_id AS team_org_id").
		Join("LEFT JOIN teams AS t ON t.id = m.team_id").
		Where("m.user_id = ?", userID).Scan(ctx, &rows)
	var f model.UserFacts
	if err != nil {
		return f, err
	}
	for _, r := range rows {
		switch {
		case r.OrganizationID != nil:
			f.Orgs = append(f.Orgs, *r.OrganizationID)
		case r.TeamID != nil:
			f.Teams = append(f.Teams, *r.TeamID)
			if r.TeamOrgID != nil {
				f.Orgs = append(f.Orgs, *r.TeamOrgID)
			} else {
				f.LooseTeams = append(f.LooseTeams, *r.TeamID)
			}
		}
	}
	return f, nil
}

// MembershipByID returns the membership, or NOT_FOUND.
func (s *Store) MembershipByID(ctx context.Context, id int64) (*model.Membership, error) {
	var r membershipRow
	if err := s.idb.NewSelect().Model(&r).Where("m.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "membership not found")
	}
	return &r.Membership, nil
}

// AttributeByID returns the attribute, or NOT_FOUND.
func (s *Store) AttributeByID(ctx context.Context, id string) (*model.Attribute, error) {
	var r attributeRow
	if err := s.idb.NewSelect().Model(&r).Where("a.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "attribute not found")
	}
	return &r.Attribute, nil
}

// Directory upserts key on the platform's own ids: sending the same record
// twice leaves one row, updated in place.

// UpsertOrganization inserts or updates an organization by id; a new one
// without a public id gets one, an existing one keeps its own.
func (s *Store) UpsertOrganization(ctx context.Context, o *model.Organization) error {
	defer s.wrote()
	if o.PublicID == "" {
		o.PublicID = model.NewPublicID("org")
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now().UTC()
	}
	r := organizationRow{Organization: *o}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("slug = EXCLUDED.slug").Set("name = EXCLUDED.name").
		Returning("public_id").Exec(ctx)
	o.PublicID = r.PublicID
	return conflict(err)
}

// UpsertTeam inserts or updates a team by id.
func (s *Store) UpsertTeam(ctx context.Context, t *model.Team) error {
	defer s.wrote()
	r := teamRow{Team: *t}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("organization_id = EXCLUDED.organization_id").
		Set("slug = EXCLUDED.slug").Set("name = EXCLUDED.name").Exec(ctx)
	return conflict(err)
}

// UpsertUser inserts or updates a user by id.
func (s *Store) UpsertUser(ctx context.Context, u *model.User) error {
	defer s.wrote()
	if u.PublicID == "" {
		u.PublicID = model.NewPublicID("usr")
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	r := userRow{User: *u}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("email = EXCLUDED.email").Set("name = EXCLUDED.name").
		Set("avatar_url = EXCLUDED.avatar_url").Returning("public_id").Exec(ctx)
	u.PublicID = r.PublicID
	return conflict(err)
}

// UpsertCustomRole inserts or updates a custom role by id.
func (s *Store) UpsertCustomRole(ctx context.Context, cr *model.CustomRole) error {
	defer s.wrote()
	if cr.Permissions == nil {
		cr.Permissions = []string{}
	}
	r := customRoleRow{CustomRole: *cr}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("name = EXCLUDED.name").Set("permissions = EXCLUDED.permissions").Exec(ctx)
	return s.accessChanged(ctx, err)
}

// UpsertMembership inserts or updates a membership by id.
func (s *Store) UpsertMembership(ctx context.Context, m *model.Membership) error {
	defer s.wrote()
	r := membershipRow{Membership: *m}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("role = EXCLUDED.role").Set("custom_role_id = EXCLUDED.custom_role_id").Exec(ctx)
	return s.accessChanged(ctx, err)
}

// accessChanged announces, after a directory write that may change who may
// read what (a role, a custom role's permissions, an event type's owner),
// that live subscribers re-check their access.
func (s *Store) accessChanged(ctx context.Context, err error) error {
	if err != nil {
		return conflict(err)
	}
	if err := s.notify(ctx, s.idb, AccessChanged, nil); err != nil {
		return err
	}
	s.publish(AccessChanged, nil)
	return nil
}

// UpsertEventType inserts or updates an event type by id.
func (s *Store) UpsertEventType(ctx context.Context, e *model.EventType) error {
	defer s.wrote()
	r := eventTypeRow{EventType: *e}
	_, err := s.idb.NewInsert().Model(&r).
		On("CONFLICT (id) DO UPDATE").Set("title = EXCLUDED.title").Set("slug = EXCLUDED.slug").
		Set("owner_user_id = EXCLUDED.owner_user_id").Set("team_id = EXCLUDED.team_id").
		Set("parent_id = EXCLUDED.parent_id").Exec(ctx)
	return s.accessChanged(ctx, err)
}

// UpsertAttribute inserts or updates an attribute and its options by id.
func (s *Store) UpsertAttribute(ctx context.Context, a *model.Attribute, options []model.AttributeOption) error {
	return s.InTx(ctx, func(ms model.Store) error {
		tx := ms.(*Store).idb
		r := attributeRow{Attribute: *a}
		if _, err := tx.NewInsert().Model(&r).
			On("CONFLICT (id) DO UPDATE").Set("slug = EXCLUDED.slug").Set("name = EXCLUDED.name").
			Set("type = EXCLUDED.type").Exec(ctx); err != nil {
			return conflict(err)
		}
		if len(options) == 0 {
			return nil
		}
		rows := make([]attributeOptionRow, len(options))
		for i, o := range options {
			o.AttributeID = a.ID
			rows[i].AttributeOption = o
		}
		_, err := tx.NewInsert().Model(&rows).
			On("CONFLICT (id) DO UPDATE").Set("slug = EXCLUDED.slug").Set("value = EXCLUDED.value").Exec(ctx)
		return conflict(err)
	})
}

// conflict turns a unique or foreign key violation into a CONFLICT error the
// caller can act on; the database's text names the constraint, not data.
func conflict(err error) error {
	if err == nil {
		return nil
	}
	var me *model.Error
	if errors.As(err, &me) {
		return err
	}
	if isConstraintViolation(err) {
		// The database's text names constraints and values of other
		// tenants' records: it goes to the log, not to the caller.
		return &model.Error{Code: model.CodeConflict, Message: "the record conflicts with a stored record (a slug, email or public id already taken)"}
	}
	return err
}

// Empty reports whether the directory holds no organization yet: a database
// the demo may be seeded into.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	exists, err := s.idb.NewSelect().Model((*organizationRow)(nil)).Exists(ctx)
	return !exists, err
}
