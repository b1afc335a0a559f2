package resolvers

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// Directives returns the schema's access directives. Each finds what the
// field is about (an organization, an event type) and asks model's access
// rules; the rules are written once, in model/access.go.
func (r *Resolver) Directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{
		HasRole:           r.hasRole,
		CanAuditEventType: r.canAuditEventType,
		HasScope:          r.hasScope,
	}
}

func (r *Resolver) hasRole(ctx context.Context, obj any, next graphql.Resolver, roles []gqlmodel.Role, permission *string, organization *string) (any, error) {
	if _, err := model.PrincipalFrom(ctx); err != nil {
		return nil, err
	}
	var orgID int64
	switch {
	case organization != nil:
		fc := graphql.GetFieldContext(ctx)
		arg, _ := fc.Args[*organization].(string)
		org, err := resolveOrganization(ctx, r.Store, *organization, arg)
		if err != nil {
			return nil, err
		}
		orgID = org.ID
	case obj != nil:
		m, ok := obj.(*gqlmodel.Member)
		if !ok {
			return nil, fmt.Errorf("@hasRole on %T without an organization argument", obj)
		}
		orgID = m.Organization.ID
	}
	rs := make([]model.Role, len(roles))
	for i, role := range roles {
		rs[i] = model.Role(role)
	}
	perm := ""
	if permission != nil {
		perm = *permission
	}
	if err := model.AuthorizeOrganization(ctx, r.Store, orgID, rs, perm); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) canAuditEventType(ctx context.Context, obj any, next graphql.Resolver, scope string) (any, error) {
	if _, err := model.PrincipalFrom(ctx); err != nil {
		return nil, err
	}
	var id int64
	if et, ok := obj.(*model.EventType); ok {
		id = et.ID
	} else {
		arg, _ := graphql.GetFieldContext(ctx).Args["eventTypeId"].(string)
		var err error
		if id, err = resolveEventTypeID("eventTypeId", arg); err != nil {
			return nil, err
		}
	}
	if err := model.AuthorizeEventType(ctx, r.Store, id, scope); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasScope(ctx context.Context, obj any, next graphql.Resolver, scope string) (any, error) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if p.Key == nil || !p.Key.HasScope(scope) {
		return nil, model.Errorf(model.CodeForbidden, "this requires a key with the %s scope", scope)
	}
	return next(ctx)
}
