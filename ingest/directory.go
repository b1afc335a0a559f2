package ingest

import (
	"context"
	"fmt"
	"strings"

	"github.com/auditgraph/auditgraph/model"
)

// Field checks of directory records, shared by syncDirectory and import.

func required(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return model.InvalidField(field, v, "%s is required", field)
	}
	if len(v) > max {
		return model.InvalidField(field, nil, "%s is longer than %d bytes", field, max)
	}
	return nil
}

func positive(field string, id int64) error {
	if id <= 0 {
		return model.InvalidField(field, id, "%s must be a positive id", field)
	}
	return nil
}

// checkNamed checks what an organization and a team both have: a positive
// id, a slug and a name.
func checkNamed(id int64, slug, name string) error {
	if err := positive("id", id); err != nil {
		return err
	}
	if err := required("slug", slug, 200); err != nil {
		return err
	}
	return required("name", name, 500)
}

func checkOrganization(o *model.Organization) error { return checkNamed(o.ID, o.Slug, o.Name) }

func checkTeam(t *model.Team) error { return checkNamed(t.ID, t.Slug, t.Name) }

func checkUser(u *model.User) error {
	if err := positive("id", u.ID); err != nil {
		return err
	}
	if u.PublicID != "" && (!strings.HasPrefix(u.PublicID, "usr_") || len(u.PublicID) > 64) {
		return model.InvalidField("publicId", u.PublicID, "publicId must start with usr_ and be at most 64 bytes")
	}
	if err := required("email", u.Email, 320); err != nil {
		return err
	}
	if !strings.Contains(u.Email, "@") {
		return model.InvalidField("email", u.Email, "email %q is not an email address", u.Email)
	}
	return nil
}

func checkCustomRole(r *model.CustomRole) error {
	if err := positive("id", r.ID); err != nil {
		return err
	}
	return required("name", r.Name, 200)
}

func checkMembership(m *model.Membership) error {
	if err := positive("id", m.ID); err != nil {
		return err
	}
	if err := positive("userId", m.UserID); err != nil {
		return err
	}
	if !m.Role.Valid() {
		return model.InvalidField("role", string(m.Role), "role %q is not OWNER, ADMIN or MEMBER", m.Role)
	}
	if (m.OrganizationID == nil) == (m.TeamID == nil) {
		return model.InvalidField("teamId", nil, "a membership is of exactly one organization or one team")
	}
	return nil
}

func checkEventType(e *model.EventType) error {
	if err := positive("id", e.ID); err != nil {
		return err
	}
	if err := required("title", e.Title, 500); err != nil {
		return err
	}
	if err := required("slug", e.Slug, 200); err != nil {
		return err
	}
	if e.OwnerUserID == nil && e.TeamID == nil {
		return model.InvalidField("teamId", nil, "an event type needs a teamId or an ownerUserId")
	}
	if e.ParentID != nil && *e.ParentID == e.ID {
		return model.InvalidField("parentId", *e.ParentID, "an event type cannot be its own parent")
	}
	return nil
}

func checkAttribute(a *Attribute) error {
	if err := required("id", a.ID, 64); err != nil {
		return err
	}
	if err := required("slug", a.Slug, 200); err != nil {
		return err
	}
	if err := required("name", a.Name, 500); err != nil {
		return err
	}
	if !a.Type.Valid() {
		return model.InvalidField("type", string(a.Type), "type %q is not TEXT, NUMBER, SINGLE_SELECT or MULTI_SELECT", a.Type)
	}
	for i, o := range a.Options {
		p := fmt.Sprintf("options[%d]", i)
		if err := required(p+".id", o.ID, 64); err != nil {
			return err
		}
		if err := required(p+".slug", o.Slug, 200); err != nil {
			return err
		}
		if err := required(p+".value", o.Value, 500); err != nil {
			return err
		}
	}
	return nil
}

func forbidden(field string, value any, format string, args ...any) error {
	return &model.Error{Code: model.CodeForbidden, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
}

func ptr[T any](v T) *T { return &v }

// SyncDirectory upserts d into organization orgID in one transaction, by the
// write rules of model/write_access.go: every record must belong to the
// organization, before and after the sync (records of other tenants that
// share an id are refused, not overwritten); links (members, teams, parents,
// owners) stay inside it; an existing user who belongs elsewhere too is left
// as stored. holder is what the writing key's owner holds in orgID: nothing
// beyond it is granted (nil: the operator, uncapped). The caller has
// authorized writing into orgID.
func SyncDirectory(ctx context.Context, s model.Store, orgID int64, holder *model.Access, d *Directory) (SyncCounts, error) {
	var n SyncCounts
	if err := checkDirectory(orgID, d); err != nil {
		return n, err
	}
	err := s.InTx(ctx, func(tx model.Store) error {
		n = SyncCounts{}
		return syncInTx(ctx, tx, orgID, holder, d, &n)
	})
	return n, err
}

// checkDirectory checks every record's fields and puts it in orgID.
func checkDirectory(orgID int64, d *Directory) error {
	if d.Organization != nil {
		d.Organization.ID = orgID
		if err := checkOrganization(d.Organization); err != nil {
			return fieldError("input.organization", err)
		}
	}
	if err := checkEach("teams", d.Teams, checkTeam, func(t *model.Team) { t.OrganizationID = ptr(orgID) }); err != nil {
		return err
	}
	if err := checkEach("users", d.Users, checkUser, nil); err != nil {
		return err
	}
	if err := checkEach("customRoles", d.CustomRoles, checkCustomRole, func(r *model.CustomRole) { r.OrganizationID = orgID }); err != nil {
		return err
	}
	// A team membership is of the team alone.
	if err := checkEach("memberships", d.Memberships, checkMembership, func(m *model.Membership) {
		m.OrganizationID = nil
		if m.TeamID == nil {
			m.OrganizationID = ptr(orgID)
		}
	}); err != nil {
		return err
	}
	if err := checkEach("eventTypes", d.EventTypes, checkEventType, nil); err != nil {
		return err
	}
	return checkEach("attributes", d.Attributes, checkAttribute, func(a *Attribute) { a.OrganizationID = orgID })
}

// checkEach puts each record of the input's list name in the organization
// (place, when not nil) and checks it, naming the first one refused by its
// index ("input.teams[2]").
func checkEach[T any](name string, list []T, check func(*T) error, place func(*T)) error {
	for i := range list {
		if place != nil {
			place(&list[i])
		}
		if err := check(&list[i]); err != nil {
			return fieldError(fmt.Sprintf("input.%s[%d]", name, i), err)
		}
	}
	return nil
}

// inOrganization reports whether the user has a membership of orgID or of
// one of its teams.
func inOrganization(ctx context.Context, s model.Store, userID, orgID int64) (bool, error) {
	f, err := s.UserBelongings(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, o := range f.Orgs {
		if o == orgID {
			return true, nil
		}
	}
	return false, nil
}

// placement gathers the facts model.MayPlaceEventType decides on.
func placement(ctx context.Context, s model.Store, et *model.EventType, orgID int64) (model.EventTypePlacement, error) {
	var f model.EventTypePlacement
	own, err := s.EventTypeOwnership(ctx, et.ID)
	switch {
	case err == nil:
		f.Stored = own
		if own.TeamID == nil && own.OwnerUserID != nil {
			if f.StoredOwnerMember, err = inOrganization(ctx, s, *own.OwnerUserID, orgID); err != nil {
				return f, err
			}
		}
	case model.ErrorCode(err) != model.CodeNotFound:
		return f, err
	}
	if et.TeamID != nil {
		ts, err := s.TeamsByIDs(ctx, []int64{*et.TeamID})
		if err != nil {
			return f, err
		}
		if len(ts) > 0 {
			f.TeamExists, f.TeamOrg = true, ts[0].OrganizationID
		}
	}
	if et.ParentID != nil {
		p, err := s.EventTypeOwnership(ctx, *et.ParentID)
		if err != nil && model.ErrorCode(err) != model.CodeNotFound {
			return f, err
		}
		f.Parent = p
	}
	if et.OwnerUserID != nil {
		if f.OwnerMember, err = inOrganization(ctx, s, *et.OwnerUserID, orgID); err != nil {
			return f, err
		}
	}
	return f, nil
}

func syncInTx(ctx context.Context, s model.Store, orgID int64, holder *model.Access, d *Directory, n *SyncCounts) error {
	if d.Organization != nil {
		if err := s.UpsertOrganization(ctx, d.Organization); err != nil {
			return fieldError("input.organization", err)
		}
		n.Organizations++
	}
	skipUser, createdNow, err := checkOwnership(ctx, s, orgID, holder, d)
	if err != nil {
		return err
	}

	for i := range d.Teams {
		if err := s.UpsertTeam(ctx, &d.Teams[i]); err != nil {
			return fieldError(fmt.Sprintf("input.teams[%d]", i), err)
		}
		n.Teams++
	}
	for i := range d.Users {
		if skipUser[i] {
			continue
		}
		if err := s.UpsertUser(ctx, &d.Users[i]); err != nil {
			return fieldError(fmt.Sprintf("input.users[%d]", i), err)
		}
		n.Users++
	}
	for i := range d.CustomRoles {
		if err := s.UpsertCustomRole(ctx, &d.CustomRoles[i]); err != nil {
			return fieldError(fmt.Sprintf("input.customRoles[%d]", i), err)
		}
		n.CustomRoles++
	}
	for i := range d.Memberships {
		if err := syncMembership(ctx, s, orgID, holder, &d.Memberships[i], fmt.Sprintf("input.memberships[%d]", i), createdNow); err != nil {
			return err
		}
		n.Memberships++
	}
	for i := range d.EventTypes {
		et := &d.EventTypes[i]
		p := fmt.Sprintf("input.eventTypes[%d]", i)
		// Links are checked now: teams and members of this call exist.
		f, err := placement(ctx, s, et, orgID)
		if err != nil {
			return err
		}
		if err := model.MayPlaceEventType(et, f, orgID, p); err != nil {
			return err
		}
		if err := s.UpsertEventType(ctx, et); err != nil {
			return fieldError(p, err)
		}
		n.EventTypes++
	}
	return syncAttributes(ctx, s, orgID, d.Attributes, n)
}

// checkOwnership applies the rules to the records as they are stored,
// before anything is written: another organization's team, custom role or
// event type is refused. It reports which users to leave alone (existing
// users the rules keep this organization from rewriting) and which ones
// this call creates.
func checkOwnership(ctx context.Context, s model.Store, orgID int64, holder *model.Access, d *Directory) ([]bool, map[int64]bool, error) {
	// Existing records must already be this organization's: an upsert would
	// otherwise move or rewrite another tenant's record that shares an id.
	if len(d.Teams) > 0 {
		ids := make([]int64, len(d.Teams))
		for i, t := range d.Teams {
			ids[i] = t.ID
		}
		stored, err := s.TeamsByIDs(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		for _, st := range stored {
			for i, t := range d.Teams {
				if t.ID != st.ID {
					continue
				}
				if err := model.MayChangeStored("team", t.ID, st.OrganizationID, orgID, fmt.Sprintf("input.teams[%d].id", i)); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	for i := range d.CustomRoles {
		field := fmt.Sprintf("input.customRoles[%d]", i)
		cr, err := s.CustomRoleByID(ctx, d.CustomRoles[i].ID)
		if err == nil {
			if err := model.MayChangeStored("custom role", cr.ID, &cr.OrganizationID, orgID, field+".id"); err != nil {
				return nil, nil, err
			}
		} else if model.ErrorCode(err) != model.CodeNotFound {
			return nil, nil, err
		}
		if err := model.MayGrantPermissions(holder, d.CustomRoles[i].Permissions, field+".permissions"); err != nil {
			return nil, nil, err
		}
	}
	for i := range d.EventTypes {
		// The existing record is checked before anything is written.
		f, err := placement(ctx, s, &d.EventTypes[i], orgID)
		if err != nil {
			return nil, nil, err
		}
		if err := model.MayChangeEventType(&d.EventTypes[i], f, orgID, fmt.Sprintf("input.eventTypes[%d]", i)); err != nil {
			return nil, nil, err
		}
	}
	skipUser := make([]bool, len(d.Users))
	createdNow := map[int64]bool{}
	for i, u := range d.Users {
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			if model.ErrorCode(err) == model.CodeNotFound {
				createdNow[u.ID] = true
				continue
			}
			return nil, nil, err
		}
		f, err := s.UserBelongings(ctx, u.ID)
		if err != nil {
			return nil, nil, err
		}
		skipUser[i] = !model.MayRewriteUser(f, orgID)
	}
	return skipUser, createdNow, nil
}

// syncMembership writes one membership, p naming it in errors, into this
// organization or one of its teams, as the rules allow its links and the
// roles it grants; a stored membership of another user or organization is
// refused.
func syncMembership(ctx context.Context, s model.Store, orgID int64, holder *model.Access, m *model.Membership, p string, createdNow map[int64]bool) error {
	if m.TeamID != nil {
		ts, err := s.TeamsByIDs(ctx, []int64{*m.TeamID})
		if err != nil {
			return err
		}
		var teamOrg *int64
		if len(ts) > 0 {
			teamOrg = ts[0].OrganizationID
		}
		if err := model.MayLinkTeam(len(ts) > 0, teamOrg, orgID, p+".teamId", *m.TeamID); err != nil {
			return err
		}
	}
	var perms []string
	if m.CustomRoleID != nil {
		cr, err := s.CustomRoleByID(ctx, *m.CustomRoleID)
		if err != nil && model.ErrorCode(err) != model.CodeNotFound {
			return err
		}
		if err := model.MayLinkCustomRole(cr, orgID, p+".customRoleId", *m.CustomRoleID); err != nil {
			return err
		}
		perms = cr.Permissions
	}
	exists := true
	if _, err := s.UserByID(ctx, m.UserID); model.ErrorCode(err) == model.CodeNotFound {
		exists = false
	} else if err != nil {
		return err
	}
	var uf model.UserFacts
	if exists {
		var err error
		if uf, err = s.UserBelongings(ctx, m.UserID); err != nil {
			return err
		}
	}
	if err := model.MayLinkMember(exists, createdNow[m.UserID], uf, orgID, p+".userId", m.UserID); err != nil {
		return err
	}
	var storedRole model.Role
	if sm, err := s.MembershipByID(ctx, m.ID); err == nil {
		storedRole = sm.Role
	} else if model.ErrorCode(err) != model.CodeNotFound {
		return err
	}
	if err := model.MayGrant(holder, m.Role, perms, storedRole, p); err != nil {
		return err
	}
	if err := s.UpsertMembership(ctx, m); err != nil {
		return fieldError(p, err)
	}
	// The upsert keys on the id and never changes a membership's user or
	// organization, so a stored membership of someone else shows here.
	ms, err := s.MembershipsOfUser(ctx, m.UserID)
	if err != nil {
		return err
	}
	ok := false
	for _, sm := range ms {
		if sm.ID == m.ID {
			ok = sm.TeamID == nil && sm.OrganizationID != nil && *sm.OrganizationID == orgID ||
				sm.TeamID != nil && m.TeamID != nil && *sm.TeamID == *m.TeamID
		}
	}
	if !ok {
		return forbidden(p+".id", m.ID, "membership %d belongs to another user or organization", m.ID)
	}
	return nil
}

// syncAttributes upserts attributes with their options; one stored in
// another organization (or an option of another attribute) is refused.
func syncAttributes(ctx context.Context, s model.Store, orgID int64, attrs []Attribute, n *SyncCounts) error {
	if len(attrs) == 0 {
		return nil
	}
	for i := range attrs {
		a := &attrs[i]
		if err := s.UpsertAttribute(ctx, &a.Attribute, a.Options); err != nil {
			return fieldError(fmt.Sprintf("input.attributes[%d]", i), err)
		}
		n.Attributes++
		n.AttributeOptions += len(a.Options)
	}
	// Upserts never move an attribute or an option, so a record of
	// another organization sharing an id is not found where it was sent.
	stored, err := s.AttributesByOrganization(ctx, orgID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	ids := make([]string, 0, len(stored))
	for _, a := range stored {
		have[a.ID] = true
		ids = append(ids, a.ID)
	}
	opts, err := s.OptionsByAttributeIDs(ctx, ids)
	if err != nil {
		return err
	}
	optOf := map[string]string{}
	for _, o := range opts {
		optOf[o.ID] = o.AttributeID
	}
	for i, a := range attrs {
		if !have[a.ID] {
			// Upserts never move an attribute: one not found here
			// after its upsert is stored as another organization's.
			return model.MayChangeStored("attribute", a.ID, nil, orgID, fmt.Sprintf("input.attributes[%d].id", i))
		}
		for j, o := range a.Options {
			if optOf[o.ID] != a.ID {
				return forbidden(fmt.Sprintf("input.attributes[%d].options[%d].id", i, j), o.ID, "option %s belongs to another attribute", o.ID)
			}
		}
	}
	return nil
}
