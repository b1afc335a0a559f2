package model

import (
	"context"
	"fmt"
)

// The write side's rules: what a write key may create, link and change in
// the directory of the organization it is bound to. Package ingest fetches
// the facts (what is stored, where a user belongs) and asks; it never
// decides. Refusals name only what the caller sent, never another tenant's
// records: an id another organization holds is refused exactly as one this
// organization may not use.

// AuthorizeWrite decides whether the caller may write into an organization:
// a key carrying ScopeWrite and bound to that organization. It is the one
// check of the write scope.
func AuthorizeWrite(ctx context.Context, orgID int64) error {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	if p.Key == nil || !p.Key.HasScope(ScopeWrite) || p.Key.OrganizationID == nil || *p.Key.OrganizationID != orgID {
		return &Error{Code: CodeForbidden, Message: "writing requires a key with the " + ScopeWrite + " scope for this organization"}
	}
	return nil
}

// MayRewriteUser decides whether a sync into orgID may change a stored
// user's profile: users are shared identities, so only while the user
// belongs to orgID alone, or to nobody yet. Otherwise the user is left as
// stored (not an error: the platform sends every member's profile).
func MayRewriteUser(u UserFacts, orgID int64) bool {
	if len(u.LooseTeams) > 0 {
		return false
	}
	for _, o := range u.Orgs {
		if o != orgID {
			return false
		}
	}
	return true
}

// MayLinkMember decides whether a sync into orgID may give a user a
// membership of orgID or of one of its teams: a user who is already its
// member, was created by this very call, or belongs to nobody. A missing
// user and another tenant's answer alike.
func MayLinkMember(exists, createdNow bool, u UserFacts, orgID int64, field string, userID int64) error {
	if exists {
		if createdNow || len(u.Orgs) == 0 && len(u.LooseTeams) == 0 {
			return nil
		}
		for _, o := range u.Orgs {
			if o == orgID {
				return nil
			}
		}
	}
	return InvalidField(field, userID, "user %d is not a user this organization can add: send the user in this call, or add them as a member first", userID)
}

// MayChangeStored decides whether a sync into orgID may upsert a record
// (team, custom role, attribute) stored as belonging to storedOrg: only its
// own. The refusal names only the id sent.
func MayChangeStored(kind string, id any, storedOrg *int64, orgID int64, field string) error {
	if storedOrg != nil && *storedOrg == orgID {
		return nil
	}
	return &Error{Code: CodeForbidden, Field: field, Value: id,
		Message: fmt.Sprintf("%s %v is not this organization's to change", kind, id)}
}

// MayLinkTeam decides whether a record of orgID may name a team (a
// membership's, an event type's): only one of orgID's. A missing team and
// another tenant's answer alike.
func MayLinkTeam(exists bool, teamOrg *int64, orgID int64, field string, teamID int64) error {
	if exists && teamOrg != nil && *teamOrg == orgID {
		return nil
	}
	return InvalidField(field, teamID, "teamId %d is not a team of this organization", teamID)
}

// MayLinkCustomRole decides whether a membership of orgID may carry custom
// role cr (nil: missing): only one of orgID's.
func MayLinkCustomRole(cr *CustomRole, orgID int64, field string, id int64) error {
	if cr != nil && cr.OrganizationID == orgID {
		return nil
	}
	return InvalidField(field, id, "customRoleId %d is not a custom role of this organization", id)
}

// EventTypeBelongs decides whether an event type belongs to orgID, given
// its ownership: through its team (a managed child's through its parent's),
// or, for a personal one, through its owner's membership (ownerMember).
func EventTypeBelongs(own *EventTypeOwnership, ownerMember bool, orgID int64) bool {
	if own.OrganizationID != nil {
		return *own.OrganizationID == orgID
	}
	return own.TeamID == nil && own.OwnerUserID != nil && ownerMember
}

// roleRank orders roles by what they grant.
func roleRank(r Role) int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// holds reports whether a holder of a has permission perm: OWNER and ADMIN
// read every audit history by their role, so they hold every permission a
// custom role can carry; anyone else only their custom role's.
func holds(a *Access, perm string) bool {
	return a.Role.IsAdmin() || a.Has(perm)
}

// MayGrant decides whether a write key whose owner holds holder in the
// organization may set a membership to role with a custom role carrying
// perms, over a stored membership with storedRole ("" when new). A write key
// grants nothing its owner does not hold, and changes no membership above
// its owner's. holder nil is the operator (import), who is not capped.
func MayGrant(holder *Access, role Role, perms []string, storedRole Role, field string) error {
	if holder == nil {
		return nil
	}
	if roleRank(role) > roleRank(holder.Role) {
		return &Error{Code: CodeForbidden, Field: field + ".role", Value: string(role),
			Message: fmt.Sprintf("this key's owner is %s and cannot grant %s", holder.Role, role)}
	}
	if roleRank(storedRole) > roleRank(holder.Role) {
		return &Error{Code: CodeForbidden, Field: field + ".role",
			Message: fmt.Sprintf("this key's owner is %s and cannot change a membership above that role", holder.Role)}
	}
	return MayGrantPermissions(holder, perms, field)
}

// MayGrantPermissions decides whether a write key whose owner holds holder
// may create or hand out a custom role carrying perms.
func MayGrantPermissions(holder *Access, perms []string, field string) error {
	if holder == nil {
		return nil
	}
	for _, p := range perms {
		if !holds(holder, p) {
			return &Error{Code: CodeForbidden, Field: field, Value: p,
				Message: fmt.Sprintf("this key's owner does not hold permission %q and cannot grant it", p)}
		}
	}
	return nil
}

// EventTypePlacement is what deciding an event type's sync takes: where the
// stored record (if any) belongs and where the sent links point.
type EventTypePlacement struct {
	// Stored is the stored event type's ownership; nil when new.
	Stored *EventTypeOwnership
	// StoredOwnerMember: the stored personal event type's owner is a member
	// of the organization written into.
	StoredOwnerMember bool
	// TeamOrg is the organization of the sent team (nil: none or no team).
	TeamOrg *int64
	// TeamExists: the sent team exists.
	TeamExists bool
	// Parent is the sent parent's ownership (nil: none or missing).
	Parent *EventTypeOwnership
	// OwnerMember: the sent owner is a member of the organization.
	OwnerMember bool
}

// MayPlaceEventType decides whether a sync into orgID may write e: an
// existing event type must be this organization's (a personal one stays
// personal and keeps its owner); its team, parent and owner must all be
// this organization's.
func MayPlaceEventType(e *EventType, f EventTypePlacement, orgID int64, field string) error {
	if err := MayChangeEventType(e, f, orgID, field); err != nil {
		return err
	}
	if e.TeamID != nil {
		if err := MayLinkTeam(f.TeamExists, f.TeamOrg, orgID, field+".teamId", *e.TeamID); err != nil {
			return err
		}
	}
	if e.ParentID != nil && (f.Parent == nil || f.Parent.OrganizationID == nil || *f.Parent.OrganizationID != orgID || f.Parent.TeamID == nil) {
		return InvalidField(field+".parentId", *e.ParentID, "parentId %d is not a team event type of this organization", *e.ParentID)
	}
	if e.OwnerUserID != nil && !f.OwnerMember {
		return InvalidField(field+".ownerUserId", *e.OwnerUserID, "ownerUserId %d is not a member of this organization", *e.OwnerUserID)
	}
	return nil
}

// MayChangeEventType is the part of MayPlaceEventType about the stored
// record alone, decided before anything of a call is written.
func MayChangeEventType(e *EventType, f EventTypePlacement, orgID int64, field string) error {
	if st := f.Stored; st != nil {
		taken := &Error{Code: CodeForbidden, Field: field + ".id", Value: e.ID,
			Message: fmt.Sprintf("event type %d is not this organization's to change", e.ID)}
		switch {
		case st.OrganizationID != nil:
			if *st.OrganizationID != orgID {
				return taken
			}
		case st.TeamID == nil && st.OwnerUserID != nil:
			if !f.StoredOwnerMember {
				return taken
			}
			if e.TeamID != nil || e.ParentID != nil || e.OwnerUserID == nil || *e.OwnerUserID != *st.OwnerUserID {
				return &Error{Code: CodeForbidden, Field: field + ".teamId", Value: e.ID,
					Message: fmt.Sprintf("event type %d is a personal event type: it stays personal and keeps its owner", e.ID)}
			}
		default:
			return taken
		}
	}
	return nil
}
