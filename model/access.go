package model

import "context"

// ScopeRead lets a scoped key read organization histories (attribute
// assignments, member change logs). A key without scopes reads whatever its
// owner may; a key with scopes reads only what they name.
const ScopeRead = "audit:read"

// Principal is the authenticated caller: an API key and its owner.
type Principal struct {
	User *User
	Key  *APIKey
}

type principalKey struct{}
type credentialErrKey struct{}

// WithPrincipal returns ctx carrying the caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// WithCredentialError returns ctx recording that credentials were presented
// but refused; every protected field then answers UNAUTHENTICATED.
func WithCredentialError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, credentialErrKey{}, err)
}

// ErrUnauthenticated is what every refused or missing credential becomes:
// unknown, expired and revoked keys are indistinguishable to the caller.
var ErrUnauthenticated = &Error{Code: CodeUnauthenticated, Message: "a valid API key is required"}

// PrincipalFrom returns the caller, or UNAUTHENTICATED.
func PrincipalFrom(ctx context.Context) (*Principal, error) {
	if err, _ := ctx.Value(credentialErrKey{}).(error); err != nil {
		return nil, err
	}
	p, _ := ctx.Value(principalKey{}).(*Principal)
	if p == nil {
		return nil, ErrUnauthenticated
	}
	return p, nil
}

var errForbidden = &Error{Code: CodeForbidden, Message: "you are not allowed to read this history"}

// scoped reports whether the key is limited by scopes and lacks scope.
func (p *Principal) lacksScope(scope string) bool {
	return p.Key != nil && len(p.Key.Scopes) > 0 && !p.Key.HasScope(scope)
}

// outsideKeyOrg reports whether the key is bound to another organization.
func (p *Principal) outsideKeyOrg(orgID *int64) bool {
	if p.Key == nil || p.Key.OrganizationID == nil {
		return false
	}
	return orgID == nil || *orgID != *p.Key.OrganizationID
}

// AuthorizeOrganization decides whether the caller may read an organization's
// history: a membership with one of roles, or a custom role carrying
// permission (when not empty).
func AuthorizeOrganization(ctx context.Context, dir Directory, orgID int64, roles []Role, permission string) error {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	if p.lacksScope(ScopeRead) || p.outsideKeyOrg(&orgID) {
		return errForbidden
	}
	a, err := dir.OrganizationAccess(ctx, p.User.ID, orgID)
	if ErrorCode(err) == CodeNotFound {
		return errForbidden
	}
	if err != nil {
		return err
	}
	return AuthorizeOrganizationAccess(ctx, orgID, a, roles, permission)
}

// AuthorizeOrganizationAccess is AuthorizeOrganization when the caller's
// membership in the organization is known already: a, nil when none.
func AuthorizeOrganizationAccess(ctx context.Context, orgID int64, a *Access, roles []Role, permission string) error {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	// orgID 0 is an organization that does not exist: answered as one the
	// caller may not read (the existence rule).
	if orgID == 0 || p.lacksScope(ScopeRead) || p.outsideKeyOrg(&orgID) || a == nil {
		return errForbidden
	}
	for _, r := range roles {
		if a.Role == r {
			return nil
		}
	}
	if permission != "" && a.Has(permission) {
		return nil
	}
	return errForbidden
}

// AuthorizeEventType decides whether the caller may read an event type's
// history: the owner of a personal event type, or an OWNER/ADMIN of its team
// (a managed child's parent team) or of that team's organization. Read access
// to the event type alone is not enough. A scoped key also needs scope.
func AuthorizeEventType(ctx context.Context, dir Directory, eventTypeID int64, scope string) error {
	p, err := PrincipalFrom(ctx)
	if err != nil {
		return err
	}
	a, err := dir.EventTypeAccess(ctx, eventTypeID, p.User.ID)
	if ErrorCode(err) == CodeNotFound {
		// The existence rule: a missing history answers as a hidden one.
		return MissingHistory(err)
	}
	if err != nil {
		return err
	}
	if p.lacksScope(scope) {
		return errForbidden
	}
	if a.OwnerUserID != nil && *a.OwnerUserID == p.User.ID && (p.Key == nil || p.Key.OrganizationID == nil) {
		return nil
	}
	if a.TeamID != nil && a.TeamRole.IsAdmin() && !p.outsideKeyOrg(a.OrganizationID) {
		return nil
	}
	if a.OrganizationID != nil && a.OrganizationRole.IsAdmin() && !p.outsideKeyOrg(a.OrganizationID) {
		return nil
	}
	return errForbidden
}
