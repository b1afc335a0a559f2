package resolvers

import (
	"context"
	"errors"
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
	}
}

func (r *Resolver) hasRole(ctx context.Context, obj any, next graphql.Resolver, roles []model.Role, permission *string, organization *string) (any, error) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	perm := ""
	if permission != nil {
		perm = *permission
	}
	switch {
	case organization != nil:
		// The organization and the caller's membership in one statement.
		arg, _ := graphql.GetFieldContext(ctx).Args[*organization].(string)
		ref, err := organizationRef(*organization, arg)
		if err != nil {
			return nil, err
		}
		org, a, err := loadersFrom(ctx).organizationWithAccess(ctx, r.Store, ref, p.User.ID)
		if model.ErrorCode(err) == model.CodeNotFound {
			// The existence rule: answered as a history the caller may
			// not read, the lookup's NOT_FOUND carried along for REST.
			return nil, notMember(model.MissingHistory(err))
		}
		if err != nil {
			return nil, notMember(err)
		}
		err = model.AuthorizeOrganizationAccess(ctx, org.ID, a, roles, perm)
		if err != nil {
			if a == nil {
				return nil, notMember(err)
			}
			return nil, err
		}
	case obj != nil:
		m, ok := obj.(*gqlmodel.Member)
		if !ok {
			return nil, fmt.Errorf("@hasRole on %T without an organization argument", obj)
		}
		if err := model.AuthorizeOrganization(ctx, r.Store, m.Organization.ID, roles, perm); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("@hasRole without an organization")
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
	if err := model.AuthorizeEventType(ctx, cachedDirectory{r.Store, loadersFrom(ctx)}, id, scope); err != nil {
		return nil, err
	}
	return next(ctx)
}

// notMember gives a refusal (an unknown organization, or one the caller is
// not a member of) the reason ReasonNotMember, keeping its code and message:
// GraphQL answers as before, and /v1 answers both alike.
func notMember(err error) error {
	var e *model.Error
	if !errors.As(err, &e) || (e.Code != model.CodeNotFound && e.Code != model.CodeForbidden) {
		return err
	}
	c := *e
	c.Reason = model.ReasonNotMember
	return &c
}
