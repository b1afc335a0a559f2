package db

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"

	"github.com/auditgraph/auditgraph/model"
)

// The fact cache keeps what every authenticated read looks up before its
// page: the API key with its owner, and a user's memberships where an event
// type or organization is owned. They are facts read from the database, not
// decisions: model/ still decides on every request (a key's expiry against
// the clock, its scopes, roles), so a cached fact is used exactly as the
// same row read afresh would be.
//
// A fact is kept at most ttl (the staleness bound the README states), and
// every write that could change one drops them all:
//   - writes through any Store of this database (keys, directory upserts),
//     at once and again after their transaction commits;
//   - on PostgreSQL, writes made by anyone else (another server, the
//     `apikey revoke` command, SQL by hand): triggers on the directory tables
//     and on api_keys' access columns NOTIFY factsChannel, and a dedicated
//     connection LISTENs. While that connection is down nothing is cached, so
//     a lost notification cannot extend the bound;
//   - on SQLite, other processes' writes are seen after ttl at most.
//
// A lookup that began before a drop does not store its result (generation
// check), so a fact read just before a revocation cannot outlive it.
const (
	factsChannel  = "auditgraph_access"
	factCacheSize = 10_000 // entries of each kind; bounded whatever callers present
)

type factCache struct {
	ttl time.Duration

	mu  sync.Mutex
	gen uint64
	// live is false while a PostgreSQL listener is not connected: then
	// notifications may be missed, and nothing is served from the cache.
	live atomic.Bool

	keys *lru.Cache[string, fact[keyFact]]
	// keyHashes finds a cached key by id (TouchAPIKey knows only the id);
	// changed only with mu held, as every change of keys is.
	keyHashes map[int64]string
	events    *lru.Cache[[2]int64, fact[*model.EventTypeAccess]]
	orgs      *lru.Cache[[2]int64, fact[*model.Access]]
	teams     *lru.Cache[[2]int64, fact[*model.Access]]

	// Invalidations counts drops (tests and metrics read it).
	invalidations atomic.Int64
	stop          context.CancelFunc
	done          chan struct{}
}

type fact[T any] struct {
	v   T
	err error // a NOT_FOUND answer is a fact too
	at  time.Time
}

type keyFact struct {
	key  model.APIKey
	user model.User
}

func newFactCache(ttl time.Duration) *factCache {
	c := &factCache{ttl: ttl, keyHashes: map[int64]string{}}
	c.keys, _ = lru.NewWithEvict(factCacheSize, func(hash string, f fact[keyFact]) {
		if c.keyHashes[f.v.key.ID] == hash {
			delete(c.keyHashes, f.v.key.ID)
		}
	})
	c.events, _ = lru.New[[2]int64, fact[*model.EventTypeAccess]](factCacheSize)
	c.orgs, _ = lru.New[[2]int64, fact[*model.Access]](factCacheSize)
	c.teams, _ = lru.New[[2]int64, fact[*model.Access]](factCacheSize)
	c.live.Store(true)
	return c
}

// generation returns the current generation, taken before a lookup.
func (c *factCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// invalidate drops every fact.
func (c *factCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.keys.Purge()
	c.events.Purge()
	c.orgs.Purge()
	c.teams.Purge()
	c.mu.Unlock()
	c.invalidations.Add(1)
}

func fresh[T any](c *factCache, f fact[T], ok bool) bool {
	return ok && c.live.Load() && time.Since(f.at) < c.ttl
}

// put stores a fact read in generation gen, unless a drop came since.
func put[K comparable, T any](c *factCache, m *lru.Cache[K, fact[T]], gen uint64, k K, v T, err error, at time.Time) {
	if !c.live.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		m.Add(k, fact[T]{v: v, err: err, at: at})
	}
}

// putKey is put for a key, indexed by id as well.
func (c *factCache) putKey(gen uint64, hash string, v keyFact, at time.Time) {
	if !c.live.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.keys.Add(hash, fact[keyFact]{v: v, at: at})
		c.keyHashes[v.key.ID] = hash
	}
}

// cacheable reports whether err is an answer (NOT_FOUND) rather than a
// failure to get one.
func cacheable(err error) bool {
	return err == nil || model.ErrorCode(err) == model.CodeNotFound
}

// touched records a key's use in its cached fact, so the next requests do
// not write it again; it changes no access fact and drops nothing.
func (c *factCache) touched(id int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.keyHashes[id]
	if !ok {
		return
	}
	if f, ok := c.keys.Peek(h); ok {
		t := at
		f.v.key.LastUsedAt = &t
		c.keys.Add(h, f)
	}
}

// listen keeps a connection LISTENing on factsChannel until ctx ends,
// dropping the facts on every notification and on every reconnection.
func (c *factCache) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.listenOnce(ctx, cfg)
		c.live.Store(false)
		c.invalidate()
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func (c *factCache) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) error {
	return listenPG(ctx, cfg, factsChannel, func() {
		// Anything written before LISTEN took effect was not notified.
		c.invalidate()
		c.live.Store(true)
	}, func(string) { c.invalidate() })
}

// CacheFacts makes this store, and every Store of its database made from
// now on, keep API keys and access facts for at most ttl, as the fact cache
// above describes. On PostgreSQL it starts the listener and waits briefly
// for it to listen (until it does, nothing is cached). Closing the database
// stops it. Calling it again changes nothing.
func (s *Store) CacheFacts(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 || s.facts != nil {
		return nil
	}
	if s.db.facts != nil {
		s.facts = s.db.facts
		return nil
	}
	c := newFactCache(ttl)
	if s.dialect == Postgres {
		cfg, err := pgx.ParseConfig(s.db.url)
		if err != nil {
			return err
		}
		c.live.Store(false)
		lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		c.stop, c.done = stop, make(chan struct{})
		go c.listen(lctx, cfg)
		// Wait briefly for the listener, so the first requests are cached.
		for i := 0; i < 250 && !c.live.Load(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.facts, s.db.facts = c, c
	return nil
}

// FactInvalidations is how many times the fact cache was dropped (0 without one).
func (s *Store) FactInvalidations() int64 {
	if s.facts == nil {
		return 0
	}
	return s.facts.invalidations.Load()
}

// cached reports whether reads may use the fact cache: not inside a
// transaction, which must see its own writes and only them.
func (s *Store) cached() *factCache {
	if s.facts == nil || s.inTx {
		return nil
	}
	return s.facts
}

// wrote drops the facts after a write of this store; in a transaction, the
// transaction drops them again when it commits.
func (s *Store) wrote() {
	if s.txWrote != nil {
		s.txWrote.Store(true)
	}
	if s.facts != nil {
		s.facts.invalidate()
	}
}

func (d *DB) closeFacts() {
	if d.facts != nil && d.facts.stop != nil {
		d.facts.stop()
		<-d.facts.done
	}
}

// APIKeyWithUser returns the key stored under hash and its owner, or
// NOT_FOUND; from the fact cache when fresh. Unknown hashes are not kept:
// a key created elsewhere works at once.
func (s *Store) APIKeyWithUser(ctx context.Context, hash string) (*model.APIKey, *model.User, error) {
	c := s.cached()
	if c == nil {
		return s.apiKeyWithUser(ctx, hash)
	}
	if f, ok := c.keys.Get(hash); fresh(c, f, ok) {
		k, u := f.v.key, f.v.user
		return &k, &u, nil
	}
	gen, at := c.generation(), time.Now()
	k, u, err := s.apiKeyWithUser(ctx, hash)
	if err == nil {
		c.putKey(gen, hash, keyFact{key: *k, user: *u}, at)
	}
	return k, u, err
}

// EventTypeAccess resolves the owner chain of an event type and userID's
// memberships in the owning team and its organization, in one query; from
// the fact cache when fresh.
func (s *Store) EventTypeAccess(ctx context.Context, eventTypeID, userID int64) (*model.EventTypeAccess, error) {
	c := s.cached()
	if c == nil {
		return s.eventTypeAccess(ctx, eventTypeID, userID)
	}
	k := [2]int64{eventTypeID, userID}
	if f, ok := c.events.Get(k); fresh(c, f, ok) {
		if f.err != nil {
			return nil, f.err
		}
		a := *f.v
		return &a, nil
	}
	gen, at := c.generation(), time.Now()
	a, err := s.eventTypeAccess(ctx, eventTypeID, userID)
	if cacheable(err) {
		var v *model.EventTypeAccess
		if a != nil {
			cp := *a
			v = &cp
		}
		put(c, c.events, gen, k, v, err, at)
	}
	return a, err
}

// OrganizationAccess returns the user's organization membership, or
// NOT_FOUND; from the fact cache when fresh.
func (s *Store) OrganizationAccess(ctx context.Context, userID, orgID int64) (*model.Access, error) {
	return s.cachedAccess(ctx, s.cached(), "organization_id", userID, orgID)
}

// TeamAccess returns the user's team membership, or NOT_FOUND; from the
// fact cache when fresh.
func (s *Store) TeamAccess(ctx context.Context, userID, teamID int64) (*model.Access, error) {
	return s.cachedAccess(ctx, s.cached(), "team_id", userID, teamID)
}

func (s *Store) cachedAccess(ctx context.Context, c *factCache, column string, userID, scopeID int64) (*model.Access, error) {
	if c == nil {
		return s.access(ctx, column, userID, scopeID)
	}
	m := c.orgs
	if column == "team_id" {
		m = c.teams
	}
	k := [2]int64{userID, scopeID}
	if f, ok := m.Get(k); fresh(c, f, ok) {
		if f.err != nil {
			return nil, f.err
		}
		return copyAccess(f.v), nil
	}
	gen, at := c.generation(), time.Now()
	a, err := s.access(ctx, column, userID, scopeID)
	if cacheable(err) {
		put(c, m, gen, k, copyAccess(a), err, at)
	}
	return a, err
}

// copyAccess copies a, so that a caller changing what it got changes no
// cached fact.
func copyAccess(a *model.Access) *model.Access {
	if a == nil {
		return nil
	}
	cp := *a
	cp.Permissions = append([]string(nil), a.Permissions...)
	return &cp
}
