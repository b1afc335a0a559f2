package resolvers

import (
	"context"
	"sync"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// Directory visibility: the resolvers fetch the facts model's rule needs
// (model/visibility.go) and ask it; they never decide. A hidden record is
// answered as a missing one: null on an edge, NOT_FOUND on a root field.

// viewerState caches the caller's facts for one request.
type viewerState struct {
	once  sync.Once
	facts model.ViewerFacts
	err   error
}

// viewer returns the caller and the facts about them.
func (r *Resolver) viewer(ctx context.Context) (*model.Principal, model.ViewerFacts, error) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return nil, model.ViewerFacts{}, err
	}
	l := loadersFrom(ctx)
	l.viewer.once.Do(func() {
		f, err := r.Store.UserBelongings(ctx, p.User.ID)
		l.viewer.err = err
		l.viewer.facts = model.ViewerFacts{Orgs: map[int64]bool{}, Teams: map[int64]bool{}}
		for _, o := range f.Orgs {
			l.viewer.facts.Orgs[o] = true
		}
		for _, t := range f.Teams {
			l.viewer.facts.Teams[t] = true
		}
	})
	return p, l.viewer.facts, l.viewer.err
}

func (r *Resolver) seesOrganization(ctx context.Context, orgID int64) (bool, error) {
	p, v, err := r.viewer(ctx)
	if err != nil {
		return false, err
	}
	return model.SeesOrganization(p, v, orgID), nil
}

func (r *Resolver) seesTeam(ctx context.Context, t *model.Team) (bool, error) {
	p, v, err := r.viewer(ctx)
	if err != nil {
		return false, err
	}
	return model.SeesTeam(p, v, t), nil
}

func (r *Resolver) seesUser(ctx context.Context, userID int64) (bool, error) {
	p, v, err := r.viewer(ctx)
	if err != nil {
		return false, err
	}
	if p.User.ID == userID {
		return true, nil
	}
	u, err := r.Store.UserBelongings(ctx, userID)
	if err != nil {
		return false, err
	}
	return model.SeesUser(p, v, userID, u), nil
}

func (r *Resolver) seesMembership(ctx context.Context, m *model.Membership) (bool, error) {
	p, v, err := r.viewer(ctx)
	if err != nil {
		return false, err
	}
	var teamOrg *int64
	if m.TeamID != nil {
		t, err := loadersFrom(ctx).team(ctx, r.Store, *m.TeamID)
		if err != nil && model.ErrorCode(err) != model.CodeNotFound {
			return false, err
		}
		if t != nil {
			teamOrg = t.OrganizationID
		}
	}
	return model.SeesMembership(p, v, m, teamOrg), nil
}

func (r *Resolver) seesEventType(ctx context.Context, id int64) (bool, error) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return false, err
	}
	a, err := loadersFrom(ctx).eventTypeAccess(ctx, r.Store, id, p.User.ID)
	if model.ErrorCode(err) == model.CodeNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return model.SeesEventType(p, a), nil
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// The edges: each loads the record and returns it only when the rule shows
// it; nil otherwise, as for a record that does not exist.

func (r *Resolver) visibleUser(ctx context.Context, id int64) (*model.User, error) {
	if ok, err := r.seesUser(ctx, id); !ok || err != nil {
		return nil, err
	}
	u, err := loadersFrom(ctx).user(ctx, r.Store, id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, nil
	}
	return u, err
}

func (r *Resolver) visibleTeam(ctx context.Context, id int64) (*model.Team, error) {
	t, err := loadersFrom(ctx).team(ctx, r.Store, id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if ok, err := r.seesTeam(ctx, t); !ok || err != nil {
		return nil, err
	}
	return t, nil
}

func (r *Resolver) visibleOrganization(ctx context.Context, id int64) (*model.Organization, error) {
	if ok, err := r.seesOrganization(ctx, id); !ok || err != nil {
		return nil, err
	}
	o, err := loadersFrom(ctx).organization(ctx, r.Store, id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, nil
	}
	return o, err
}

func (r *Resolver) visibleEventType(ctx context.Context, id int64) (*model.EventType, error) {
	if ok, err := r.seesEventType(ctx, id); !ok || err != nil {
		return nil, err
	}
	et, err := r.Store.EventTypeByID(ctx, id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return nil, nil
	}
	return et, err
}

// errOrganizationNotFound answers a missing and a hidden organization alike.
var errOrganizationNotFound = model.Errorf(model.CodeNotFound, "organization not found")

// nodeOf turns a possibly nil record into a possibly nil Node, without the
// typed-nil trap of interfaces.
func nodeOf[T any, P interface {
	*T
	gqlmodel.Node
}](v P, err error) (gqlmodel.Node, error) {
	if v == nil || err != nil {
		return nil, err
	}
	return v, nil
}
