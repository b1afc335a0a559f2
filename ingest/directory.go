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

func checkOrganization(o *model.Organization) error {
	if err := positive("id", o.ID); err != nil {
		return err
	}
	if err := required("slug", o.Slug, 200); err != nil {
		return err
	}
	return required("name", o.Name, 500)
}

func checkTeam(t *model.Team) error {
	if err := positive("id", t.ID); err != nil {
		return err
	}
	if err := required("slug", t.Slug, 200); err != nil {
		return err
	}
	return required("name", t.Name, 500)
}

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

// SyncDirectory upserts d into organization orgID in one transaction. Every
// record must belong to the organization, before and after the sync: records
// of other tenants that share an id are refused, not overwritten. An existing
// user who is not a member of orgID is left as stored. The caller has
// authorized writing into orgID.
func SyncDirectory(ctx context.Context, s model.Store, orgID int64, d *Directory) (SyncCounts, error) {
	var n SyncCounts
	if err := checkDirectory(orgID, d); err != nil {
		return n, err
	}
	err := s.InTx(ctx, func(tx model.Store) error {
		n = SyncCounts{}
		return syncInTx(ctx, tx, orgID, d, &n)
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
	for i := range d.Teams {
		d.Teams[i].OrganizationID = ptr(orgID)
		if err := checkTeam(&d.Teams[i]); err != nil {
			return fieldError(fmt.Sprintf("input.teams[%d]", i), err)
		}
	}
	for i := range d.Users {
		if err := checkUser(&d.Users[i]); err != nil {
			return fieldError(fmt.Sprintf("input.users[%d]", i), err)
		}
	}
	for i := range d.CustomRoles {
		d.CustomRoles[i].OrganizationID = orgID
		if err := checkCustomRole(&d.CustomRoles[i]); err != nil {
			return fieldError(fmt.Sprintf("input.customRoles[%d]", i), err)
		}
	}
	for i := range d.Memberships {
		m := &d.Memberships[i]
		if m.TeamID == nil {
			m.OrganizationID = ptr(orgID)
		} else {
			m.OrganizationID = nil
		}
		if err := checkMembership(m); err != nil {
			return fieldError(fmt.Sprintf("input.memberships[%d]", i), err)
		}
	}
	for i := range d.EventTypes {
		if err := checkEventType(&d.EventTypes[i]); err != nil {
			return fieldError(fmt.Sprintf("input.eventTypes[%d]", i), err)
		}
	}
	for i := range d.Attributes {
		d.Attributes[i].OrganizationID = orgID
		if err := checkAttribute(&d.Attributes[i]); err != nil {
			return fieldError(fmt.Sprintf("input.attributes[%d]", i), err)
		}
	}
	return nil
}

// inOrganization reports whether the user has a membership of orgID or of
// one of its teams.
func inOrganization(ctx context.Context, s model.Store, userID, orgID int64) (bool, error) {
	ms, err := s.MembershipsOfUser(ctx, userID)
	if err != nil {
		return false, err
	}
	var teams []int64
	for _, m := range ms {
		if m.OrganizationID != nil && *m.OrganizationID == orgID {
			return true, nil
		}
		if m.TeamID != nil {
			teams = append(teams, *m.TeamID)
		}
	}
	if len(teams) == 0 {
		return false, nil
	}
	ts, err := s.TeamsByIDs(ctx, teams)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.OrganizationID != nil && *t.OrganizationID == orgID {
			return true, nil
		}
	}
	return false, nil
}

// eventTypeBelongs reports whether a stored event type belongs to orgID.
func eventTypeBelongs(ctx context.Context, s model.Store, id, orgID int64) (exists, belongs bool, err error) {
	own, err := s.EventTypeOwnership(ctx, id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if own.OrganizationID != nil {
		return true, *own.OrganizationID == orgID, nil
	}
	if own.TeamID == nil && own.OwnerUserID != nil {
		_, err := s.OrganizationAccess(ctx, *own.OwnerUserID, orgID)
		if model.ErrorCode(err) == model.CodeNotFound {
			return true, false, nil
		}
		return true, err == nil, err
	}
	return true, false, nil
}

func syncInTx(ctx context.Context, s model.Store, orgID int64, d *Directory, n *SyncCounts) error {
	if d.Organization != nil {
		if err := s.UpsertOrganization(ctx, d.Organization); err != nil {
			return fieldError("input.organization", err)
		}
		n.Organizations++
	}
	skipUser, err := checkOwnership(ctx, s, orgID, d)
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
	if err := syncMemberships(ctx, s, orgID, d.Memberships, n); err != nil {
		return err
	}
	if err := syncEventTypes(ctx, s, orgID, d.EventTypes, n); err != nil {
		return err
	}
	return syncAttributes(ctx, s, orgID, d.Attributes, n)
}

// checkOwnership refuses records that exist in another organization, and
// reports which users to leave alone: existing users who are not members of
// this one.
func checkOwnership(ctx context.Context, s model.Store, orgID int64, d *Directory) ([]bool, error) {
	// Existing records must already be this organization's: an upsert would
	// otherwise move or rewrite another tenant's record that shares an id.
	if len(d.Teams) > 0 {
		ids := make([]int64, len(d.Teams))
		for i, t := range d.Teams {
			ids[i] = t.ID
		}
		stored, err := s.TeamsByIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, st := range stored {
			if st.OrganizationID == nil || *st.OrganizationID != orgID {
				for i, t := range d.Teams {
					if t.ID == st.ID {
						return nil, forbidden(fmt.Sprintf("input.teams[%d].id", i), t.ID, "team %d belongs to another organization", t.ID)
					}
				}
			}
		}
	}
	for i := range d.CustomRoles {
		cr, err := s.CustomRoleByID(ctx, d.CustomRoles[i].ID)
		if err == nil && cr.OrganizationID != orgID {
			return nil, forbidden(fmt.Sprintf("input.customRoles[%d].id", i), cr.ID, "custom role %d belongs to another organization", cr.ID)
		}
		if err != nil && model.ErrorCode(err) != model.CodeNotFound {
			return nil, err
		}
	}
	for i, et := range d.EventTypes {
		exists, belongs, err := eventTypeBelongs(ctx, s, et.ID, orgID)
		if err != nil {
			return nil, err
		}
		if exists && !belongs {
			return nil, forbidden(fmt.Sprintf("input.eventTypes[%d].id", i), et.ID, "event type %d belongs to another organization", et.ID)
		}
	}
	skipUser := make([]bool, len(d.Users))
	for i, u := range d.Users {
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			if model.ErrorCode(err) == model.CodeNotFound {
				continue
			}
			return nil, err
		}
		member, err := inOrganization(ctx, s, u.ID, orgID)
		if err != nil {
			return nil, err
		}
		skipUser[i] = !member
	}
	return skipUser, nil
}

// syncMemberships upserts memberships into this organization or its teams;
// a stored membership of another user or organization is refused.
func syncMemberships(ctx context.Context, s model.Store, orgID int64, memberships []model.Membership, n *SyncCounts) error {
	for i := range memberships {
		m := &memberships[i]
		p := fmt.Sprintf("input.memberships[%d]", i)
		if m.TeamID != nil {
			ts, err := s.TeamsByIDs(ctx, []int64{*m.TeamID})
			if err != nil {
				return err
			}
			if len(ts) == 0 {
				return model.InvalidField(p+".teamId", *m.TeamID, "team %d does not exist", *m.TeamID)
			}
			if ts[0].OrganizationID == nil || *ts[0].OrganizationID != orgID {
				return forbidden(p+".teamId", *m.TeamID, "team %d belongs to another organization", *m.TeamID)
			}
		}
		if m.CustomRoleID != nil {
			cr, err := s.CustomRoleByID(ctx, *m.CustomRoleID)
			if model.ErrorCode(err) == model.CodeNotFound {
				return model.InvalidField(p+".customRoleId", *m.CustomRoleID, "custom role %d does not exist", *m.CustomRoleID)
			}
			if err != nil {
				return err
			}
			if cr.OrganizationID != orgID {
				return forbidden(p+".customRoleId", cr.ID, "custom role %d belongs to another organization", cr.ID)
			}
		}
		if _, err := s.UserByID(ctx, m.UserID); model.ErrorCode(err) == model.CodeNotFound {
			return model.InvalidField(p+".userId", m.UserID, "user %d does not exist", m.UserID)
		} else if err != nil {
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
		n.Memberships++
	}
	return nil
}

// syncEventTypes upserts event types, each of which must then belong to
// this organization.
func syncEventTypes(ctx context.Context, s model.Store, orgID int64, eventTypes []model.EventType, n *SyncCounts) error {
	for i := range eventTypes {
		et := &eventTypes[i]
		p := fmt.Sprintf("input.eventTypes[%d]", i)
		if err := s.UpsertEventType(ctx, et); err != nil {
			return fieldError(p, err)
		}
		_, belongs, err := eventTypeBelongs(ctx, s, et.ID, orgID)
		if err != nil {
			return err
		}
		if !belongs {
			return forbidden(p+".teamId", nil, "event type %d would not belong to organization %d: its team, or its owner's membership, must be this organization's", et.ID, orgID)
		}
		n.EventTypes++
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
			return forbidden(fmt.Sprintf("input.attributes[%d].id", i), a.ID, "attribute %s belongs to another organization", a.ID)
		}
		for j, o := range a.Options {
			if optOf[o.ID] != a.ID {
				return forbidden(fmt.Sprintf("input.attributes[%d].options[%d].id", i, j), o.ID, "option %s belongs to another attribute", o.ID)
			}
		}
	}
	return nil
}
