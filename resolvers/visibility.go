package resolvers

import (
	"context"

	"github.com/auditgraph/auditgraph/model"
)

// Directory objects are visible to members of what they belong to; to anyone
// else they answer NOT_FOUND, so ids of other tenants reveal nothing.

func (r *Resolver) isMember(ctx context.Context, orgID int64) bool {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return false
	}
	_, err = r.Store.OrganizationAccess(ctx, p.User.ID, orgID)
	return err == nil
}

func (r *Resolver) canSeeEventType(ctx context.Context, id int64) bool {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return false
	}
	a, err := r.Store.EventTypeAccess(ctx, id, p.User.ID)
	if err != nil {
		return false
	}
	return (a.OwnerUserID != nil && *a.OwnerUserID == p.User.ID) || a.TeamRole != "" || a.OrganizationRole != ""
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
