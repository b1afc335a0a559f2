package model

import "context"

// AuthorizeStream decides whether the caller may read a tamper-evident log
// stream: a stream holds every history of its tenant, so it is readable by
// whoever may read all of them, by the rules of the histories themselves.
// kind is "org", "team" or "user" (see package integrity).
//
//   - org/<id>: the organization's OWNER or ADMIN (AuthorizeOrganization;
//     they read its member histories and every event type of its teams).
//   - team/<id> (a team outside any organization): the team's OWNER or
//     ADMIN, as AuthorizeEventType admits them to its event types.
//   - user/<id>: that user, as the owner of personal event types, with a
//     key bound to no organization.
//
// A scoped key needs ScopeEventTypeRead for every stream (each may hold
// event type entries), and ScopeRead too for an organization's.
func AuthorizeStream(ctx context.Context, dir Directory, kind string, id int64) error {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	switch kind {
	case "org":
		// The stream holds event type entries too: a scoped key needs both scopes.
		if p.lacksScope(ScopeEventTypeRead) {
			return errForbidden
		}
		return AuthorizeOrganization(ctx, dir, id, []Role{RoleOwner, RoleAdmin}, "")
	case "team":
		if p.lacksScope(ScopeEventTypeRead) || p.outsideKeyOrg(nil) {
			return errForbidden
		}
		a, err := dir.TeamAccess(ctx, p.User.ID, id)
		if ErrorCode(err) == CodeNotFound {
			return errForbidden
		}
		if err != nil {
			return err
		}
		if a.Role.IsAdmin() {
			return nil
		}
	case "user":
		if !p.lacksScope(ScopeEventTypeRead) && p.User.ID == id && (p.Key == nil || p.Key.OrganizationID == nil) {
			return nil
		}
	}
	return errForbidden
}
