package resolvers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/vikstrous/dataloadgen"
)

// loaders batch and cache directory lookups for one request, so a page of
// entries costs a bounded number of statements whatever its size.
type loaders struct {
	once  sync.Once
	users *dataloadgen.Loader[int64, *model.User]
	orgs  *dataloadgen.Loader[int64, *model.Organization]
	teams *dataloadgen.Loader[int64, *model.Team]

	mu       sync.Mutex
	byPublic map[string]*model.Organization

	viewer viewerState
	// etAccess caches event type access facts: the eventType field and its
	// history's check ask the same.
	etAccess map[[2]int64]*model.EventTypeAccess
}

type loadersKey struct{}

// WithLoaders returns ctx with fresh per-request loaders.
func WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, &loaders{byPublic: map[string]*model.Organization{}})
}

func loadersFrom(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	// Outside an HTTP request (tests of single resolvers): no sharing.
	return &loaders{byPublic: map[string]*model.Organization{}}
}

// The wait is short: pages prime the loaders with one batched query before
// their fields resolve, so waiting only serves fields nobody primed.
const loaderWait = 200 * time.Microsecond

func mapped[K comparable, V any](items []V, key func(*V) K) map[K]*V {
	m := make(map[K]*V, len(items))
	for i := range items {
		m[key(&items[i])] = &items[i]
	}
	return m
}

func (l *loaders) init(s model.Directory) {
	l.once.Do(func() {
		l.users = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.User, error) {
			us, err := s.UsersByIDs(ctx, ids)
			return mapped(us, func(u *model.User) int64 { return u.ID }), err
		}, dataloadgen.WithWait(loaderWait))
		l.orgs = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Organization, error) {
			os, err := s.OrganizationsByIDs(ctx, ids)
			return mapped(os, func(o *model.Organization) int64 { return o.ID }), err
		}, dataloadgen.WithWait(loaderWait))
		l.teams = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Team, error) {
			ts, err := s.TeamsByIDs(ctx, ids)
			return mapped(ts, func(t *model.Team) int64 { return t.ID }), err
		}, dataloadgen.WithWait(loaderWait))
	})
}

// A missing key comes back from a mapped loader as an error; we want NOT_FOUND.
func notFoundAs[V any](v *V, err error, format string, args ...any) (*V, error) {
	if err != nil && !errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, err
	}
	if v == nil {
		return nil, model.Errorf(model.CodeNotFound, format, args...)
	}
	return v, nil
}

func (l *loaders) user(ctx context.Context, s model.Directory, id int64) (*model.User, error) {
	l.init(s)
	u, err := l.users.Load(ctx, id)
	return notFoundAs(u, err, "user %d not found", id)
}

// primeUser caches a user read by other means.
func (l *loaders) primeUser(s model.Directory, u *model.User) {
	l.init(s)
	l.users.Prime(u.ID, u)
}

// organizationWithAccess reads the organization ref names with userID's
// membership in one statement, and caches the organization.
func (l *loaders) organizationWithAccess(ctx context.Context, s model.Directory, ref model.Ref, userID int64) (*model.Organization, *model.Access, error) {
	o, a, err := s.OrganizationWithAccess(ctx, ref, userID)
	if err != nil {
		return nil, nil, err
	}
	l.init(s)
	l.orgs.Prime(o.ID, o)
	l.mu.Lock()
	l.byPublic[o.PublicID] = o
	l.mu.Unlock()
	return o, a, nil
}

// primeUsers loads the users in one statement and caches them.
func (l *loaders) primeUsers(ctx context.Context, s model.Directory, ids []int64) error {
	l.init(s)
	us, err := s.UsersByIDs(ctx, ids)
	if err != nil {
		return err
	}
	for i := range us {
		l.users.Prime(us[i].ID, &us[i])
	}
	return nil
}

func (l *loaders) organization(ctx context.Context, s model.Directory, id int64) (*model.Organization, error) {
	l.init(s)
	o, err := l.orgs.Load(ctx, id)
	return notFoundAs(o, err, "organization %d not found", id)
}

func (l *loaders) organizationByPublicID(ctx context.Context, s model.Directory, id string) (*model.Organization, error) {
	l.init(s)
	l.mu.Lock()
	o := l.byPublic[id]
	l.mu.Unlock()
	if o != nil {
		return o, nil
	}
	o, err := s.OrganizationByPublicID(ctx, id)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.byPublic[id] = o
	l.mu.Unlock()
	l.orgs.Prime(o.ID, o)
	return o, nil
}

func (l *loaders) team(ctx context.Context, s model.Directory, id int64) (*model.Team, error) {
	l.init(s)
	t, err := l.teams.Load(ctx, id)
	return notFoundAs(t, err, "team %d not found", id)
}

// eventTypeAccess is Directory.EventTypeAccess, cached for the request.
func (l *loaders) eventTypeAccess(ctx context.Context, s model.Directory, eventTypeID, userID int64) (*model.EventTypeAccess, error) {
	k := [2]int64{eventTypeID, userID}
	l.mu.Lock()
	a, ok := l.etAccess[k]
	l.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := s.EventTypeAccess(ctx, eventTypeID, userID)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.etAccess == nil {
		l.etAccess = map[[2]int64]*model.EventTypeAccess{}
	}
	l.etAccess[k] = a
	l.mu.Unlock()
	return a, nil
}

// cachedDirectory answers EventTypeAccess from the request's loaders, so
// that the rules in model ask the database once per request.
type cachedDirectory struct {
	model.Directory
	l *loaders
}

func (c cachedDirectory) EventTypeAccess(ctx context.Context, eventTypeID, userID int64) (*model.EventTypeAccess, error) {
	return c.l.eventTypeAccess(ctx, c.Directory, eventTypeID, userID)
}
