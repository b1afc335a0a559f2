package model

// The one visibility rule of the directory. Every directory edge the API
// resolves (owner, parent, team, organization, members, memberships,
// customRole, teams, attributes, node) asks one of these functions; the
// resolvers fetch the facts and never decide. A record the rule hides is
// answered exactly as a record that does not exist.
//
// The rule: a directory record belongs to one organization (a team, custom
// role, attribute, organization membership and team event type to their
// organization; a managed child to its parent's; a team membership to its
// team's). It is visible to the members of that organization (directly or
// through one of its teams), through a key that may read the directory and
// is not bound to another organization. Users are shared identities: a user
// is visible where they share a visible organization with the caller, and to
// themselves. A team without an organization, and a personal event type, are
// visible to their own members and owner, through an unbound key only.

// ViewerFacts is what the rule needs to know of the caller: the
// organizations they belong to (directly or through one of their teams) and
// their teams.
type ViewerFacts struct {
	Orgs  map[int64]bool
	Teams map[int64]bool
}

// UserFacts is where a user belongs: organizations (directly or through a
// team) and the teams without an organization they are in.
type UserFacts struct {
	Orgs       []int64
	Teams      []int64
	LooseTeams []int64
}

// ReadsDirectory reports whether the caller's key may read the directory at
// all: an unscoped key may, a scoped one only with a read scope. A write key
// reads nothing: writing grants no read access.
func (p *Principal) ReadsDirectory() bool {
	if p.Key == nil || len(p.Key.Scopes) == 0 {
		return true
	}
	return p.Key.HasScope(ScopeRead) || p.Key.HasScope(ScopeEventTypeRead)
}

// bound reports whether the key is bound to an organization.
func (p *Principal) bound() bool { return p.Key != nil && p.Key.OrganizationID != nil }

// SeesOrganization decides whether the caller sees organization orgID and
// what belongs to it (teams, attributes, custom roles, memberships).
func SeesOrganization(p *Principal, v ViewerFacts, orgID int64) bool {
	return p.ReadsDirectory() && !p.outsideKeyOrg(&orgID) && v.Orgs[orgID]
}

// SeesTeam decides whether the caller sees team t.
func SeesTeam(p *Principal, v ViewerFacts, t *Team) bool {
	if t.OrganizationID != nil {
		return SeesOrganization(p, v, *t.OrganizationID)
	}
	return p.ReadsDirectory() && !p.bound() && v.Teams[t.ID]
}

// SeesUser decides whether the caller sees user userID, who belongs where u
// says. The caller always sees themselves.
func SeesUser(p *Principal, v ViewerFacts, userID int64, u UserFacts) bool {
	if p.User != nil && p.User.ID == userID {
		return true
	}
	for _, o := range u.Orgs {
		if SeesOrganization(p, v, o) {
			return true
		}
	}
	if p.ReadsDirectory() && !p.bound() {
		for _, t := range u.LooseTeams {
			if v.Teams[t] {
				return true
			}
		}
	}
	return false
}

// SeesMembership decides whether the caller sees membership m; teamOrg is
// the organization of m's team (nil for an organization membership or a
// team without one).
func SeesMembership(p *Principal, v ViewerFacts, m *Membership, teamOrg *int64) bool {
	switch {
	case m.OrganizationID != nil:
		return SeesOrganization(p, v, *m.OrganizationID)
	case teamOrg != nil:
		return SeesOrganization(p, v, *teamOrg)
	case m.TeamID != nil:
		return SeesTeam(p, v, &Team{ID: *m.TeamID})
	}
	return false
}

// SeesEventType decides whether the caller sees an event type, given its
// ownership (a managed child's through its parent) and the caller's roles
// there: a team event type to the members of its organization or team, a
// personal one to its owner, through an unbound key.
func SeesEventType(p *Principal, a *EventTypeAccess) bool {
	if !p.ReadsDirectory() {
		return false
	}
	switch {
	case a.OrganizationID != nil:
		return !p.outsideKeyOrg(a.OrganizationID) && (a.OrganizationRole != "" || a.TeamRole != "")
	case a.TeamID != nil:
		return !p.bound() && a.TeamRole != ""
	case a.OwnerUserID != nil:
		return !p.bound() && p.User != nil && *a.OwnerUserID == p.User.ID
	}
	return false
}
