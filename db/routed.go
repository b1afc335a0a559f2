package db

import (
	"context"

	"github.com/auditgraph/auditgraph/model"
)

// Routed is the Store of a primary with read replicas: history pages,
// counts and directory reads (access facts included) go to a replica, as
// ReplicaSet.pick chooses; everything else is the primary's Store,
// embedded: writes, API keys (a revoked key must be refused at once, so key
// checks never read a replica), transactions (InTx's Store is the primary's
// transaction), Ping.
//
// A read a replica fails (unreachable, gone mid-statement, or cancelled by
// a conflict with replay) runs again on the primary: every read returns its
// rows whole, so running it again is safe.
type Routed struct {
	*Store
	replicas *ReplicaSet
}

var _ model.Store = (*Routed)(nil)

// NewRouted routes primary's reads to replicas; with no replicas it is
// the primary's Store itself.
func NewRouted(primary *Store, replicas *ReplicaSet) model.Store {
	return primary.Routed(replicas)
}

// Routed is NewRouted(s, replicas).
func (s *Store) Routed(replicas *ReplicaSet) model.Store {
	primary := s
	if replicas == nil || len(replicas.replicas) == 0 {
		return primary
	}
	return &Routed{Store: primary, replicas: replicas}
}

func routeRead[T any](ctx context.Context, r *Routed, fn func(*Store) (T, error)) (T, error) {
	st, rep := r.replicas.pick(ctx)
	v, err := fn(st)
	if err != nil && rep != nil && ctx.Err() == nil && rerunOnPrimary(err) {
		if unreachable(err) {
			r.replicas.out(rep, "unreachable: "+err.Error())
		}
		r.replicas.counter(FallbackReplicaFailed).Add(1)
		return fn(r.Store)
	}
	return v, err
}

func (r *Routed) OrganizationByID(ctx context.Context, id int64) (*model.Organization, error) {
	return routeRead(ctx, r, func(s *Store) (*model.Organization, error) { return s.OrganizationByID(ctx, id) })
}

func (r *Routed) OrganizationByPublicID(ctx context.Context, publicID string) (*model.Organization, error) {
	return routeRead(ctx, r, func(s *Store) (*model.Organization, error) { return s.OrganizationByPublicID(ctx, publicID) })
}

func (r *Routed) OrganizationsByIDs(ctx context.Context, ids []int64) ([]model.Organization, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.Organization, error) { return s.OrganizationsByIDs(ctx, ids) })
}

func (r *Routed) UserByID(ctx context.Context, id int64) (*model.User, error) {
	return routeRead(ctx, r, func(s *Store) (*model.User, error) { return s.UserByID(ctx, id) })
}

func (r *Routed) UserByPublicID(ctx context.Context, publicID string) (*model.User, error) {
	return routeRead(ctx, r, func(s *Store) (*model.User, error) { return s.UserByPublicID(ctx, publicID) })
}

func (r *Routed) UsersByIDs(ctx context.Context, ids []int64) ([]model.User, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.User, error) { return s.UsersByIDs(ctx, ids) })
}

func (r *Routed) TeamsByIDs(ctx context.Context, ids []int64) ([]model.Team, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.Team, error) { return s.TeamsByIDs(ctx, ids) })
}

func (r *Routed) TeamsByOrganization(ctx context.Context, orgID int64) ([]model.Team, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.Team, error) { return s.TeamsByOrganization(ctx, orgID) })
}

func (r *Routed) CustomRoleByID(ctx context.Context, id int64) (*model.CustomRole, error) {
	return routeRead(ctx, r, func(s *Store) (*model.CustomRole, error) { return s.CustomRoleByID(ctx, id) })
}

func (r *Routed) EventTypeByID(ctx context.Context, id int64) (*model.EventType, error) {
	return routeRead(ctx, r, func(s *Store) (*model.EventType, error) { return s.EventTypeByID(ctx, id) })
}

func (r *Routed) AttributesByOrganization(ctx context.Context, orgID int64) ([]model.Attribute, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.Attribute, error) { return s.AttributesByOrganization(ctx, orgID) })
}

func (r *Routed) OptionsByAttributeIDs(ctx context.Context, ids []string) ([]model.AttributeOption, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.AttributeOption, error) { return s.OptionsByAttributeIDs(ctx, ids) })
}

func (r *Routed) OrganizationAccess(ctx context.Context, userID, orgID int64) (*model.Access, error) {
	return routeRead(ctx, r, func(s *Store) (*model.Access, error) { return s.OrganizationAccess(ctx, userID, orgID) })
}

func (r *Routed) TeamAccess(ctx context.Context, userID, teamID int64) (*model.Access, error) {
	return routeRead(ctx, r, func(s *Store) (*model.Access, error) { return s.TeamAccess(ctx, userID, teamID) })
}

func (r *Routed) EventTypeOwnership(ctx context.Context, eventTypeID int64) (*model.EventTypeOwnership, error) {
	return routeRead(ctx, r, func(s *Store) (*model.EventTypeOwnership, error) { return s.EventTypeOwnership(ctx, eventTypeID) })
}

func (r *Routed) EventTypeAccess(ctx context.Context, eventTypeID, userID int64) (*model.EventTypeAccess, error) {
	return routeRead(ctx, r, func(s *Store) (*model.EventTypeAccess, error) { return s.EventTypeAccess(ctx, eventTypeID, userID) })
}

func (r *Routed) MembershipsOfUser(ctx context.Context, userID int64) ([]model.Membership, error) {
	return routeRead(ctx, r, func(s *Store) ([]model.Membership, error) { return s.MembershipsOfUser(ctx, userID) })
}

func (r *Routed) AttributeHistory(ctx context.Context, f model.AttributeHistoryFilter, p model.PageArgs) (model.Page[model.AttributeAssignmentEntry], error) {
	return routeRead(ctx, r, func(s *Store) (model.Page[model.AttributeAssignmentEntry], error) {
		return s.AttributeHistory(ctx, f, p)
	})
}

func (r *Routed) CountAttributeHistory(ctx context.Context, f model.AttributeHistoryFilter) (int, error) {
	return routeRead(ctx, r, func(s *Store) (int, error) { return s.CountAttributeHistory(ctx, f) })
}

func (r *Routed) EventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter, p model.PageArgs) (model.Page[model.EventTypeEntry], error) {
	return routeRead(ctx, r, func(s *Store) (model.Page[model.EventTypeEntry], error) { return s.EventTypeHistory(ctx, f, p) })
}

func (r *Routed) CountEventTypeHistory(ctx context.Context, f model.EventTypeHistoryFilter) (int, error) {
	return routeRead(ctx, r, func(s *Store) (int, error) { return s.CountEventTypeHistory(ctx, f) })
}

func (r *Routed) MemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter, p model.PageArgs) (model.Page[model.MemberChangeLog], error) {
	return routeRead(ctx, r, func(s *Store) (model.Page[model.MemberChangeLog], error) { return s.MemberChangeLogs(ctx, f, p) })
}

func (r *Routed) CountMemberChangeLogs(ctx context.Context, f model.MemberChangeLogFilter) (int, error) {
	return routeRead(ctx, r, func(s *Store) (int, error) { return s.CountMemberChangeLogs(ctx, f) })
}

func (r *Routed) OrganizationWithAccess(ctx context.Context, org model.Ref, userID int64) (*model.Organization, *model.Access, error) {
	type both struct {
		a *model.Organization
		b *model.Access
	}
	v, err := routeRead(ctx, r, func(s *Store) (both, error) {
		a, b, err := s.OrganizationWithAccess(ctx, org, userID)
		return both{a, b}, err
	})
	return v.a, v.b, err
}

func (r *Routed) UserWithAccess(ctx context.Context, user model.Ref, orgID int64) (*model.User, *model.Access, error) {
	type both struct {
		a *model.User
		b *model.Access
	}
	v, err := routeRead(ctx, r, func(s *Store) (both, error) {
		a, b, err := s.UserWithAccess(ctx, user, orgID)
		return both{a, b}, err
	})
	return v.a, v.b, err
}
