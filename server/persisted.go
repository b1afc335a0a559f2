package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/go-viper/mapstructure/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// persistedQueries is automatic persisted queries (Apollo's protocol, as
// gqlgen's extension.AutomaticPersistedQuery speaks it) with one change: a
// document sent with its hash is stored only once it has passed the
// document limits, validation and the cost limit, that is when the
// operation context is complete. gqlgen's own extension stores it first,
// so a refused document could be replayed by its hash for free.
type persistedQueries struct {
	cache graphql.Cache[string]
}

const persistedStats = "PersistedQuery"

// persistedPending is what MutateOperationParameters hands to
// MutateOperationContext: the hash to store the document under.
type persistedPending struct{ hash string }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string                   { return "AutomaticPersistedQuery" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Extensions["persistedQuery"] == nil {
		return nil
	}
	var ext struct {
		Sha256  string `mapstructure:"sha256Hash"`
		Version int64  `mapstructure:"version"`
	}
	if err := mapstructure.Decode(raw.Extensions["persistedQuery"], &ext); err != nil {
		return gqlerror.Errorf("invalid APQ extension data")
	}
	if ext.Version != 1 {
		return gqlerror.Errorf("unsupported APQ version")
	}
	if raw.Query == "" {
		q, ok := p.cache.Get(ctx, ext.Sha256)
		if !ok {
			err := gqlerror.Errorf("PersistedQueryNotFound")
			errcode.Set(err, "PERSISTED_QUERY_NOT_FOUND")
			return err
		}
		raw.Query = q
		return nil
	}
	sum := sha256.Sum256([]byte(raw.Query))
	if hex.EncodeToString(sum[:]) != ext.Sha256 {
		return gqlerror.Errorf("provided APQ hash does not match query")
	}
	graphql.GetOperationContext(ctx).Stats.SetExtension(persistedStats, persistedPending{hash: ext.Sha256})
	return nil
}

// persistedStore stores a persisted query. It is the last operation
// context mutator, so reaching it means every check accepted the document.
type persistedStore struct{ cache graphql.Cache[string] }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = persistedStore{}

func (persistedStore) ExtensionName() string                   { return "AutomaticPersistedQueryStore" }
func (persistedStore) Validate(graphql.ExecutableSchema) error { return nil }

func (p persistedStore) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if pending, ok := oc.Stats.GetExtension(persistedStats).(persistedPending); ok {
		p.cache.Add(ctx, pending.hash, oc.RawQuery)
	}
	return nil
}

// byteCache is an LRU cache bounded by the bytes its entries are estimated
// to hold rather than by their number: 1,000 entries of a 1 MB document
// would be a gigabyte.
type byteCache[T any] struct {
	max  int
	cost func(key string, v T) int

	mu    sync.Mutex
	used  int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type byteEntry[T any] struct {
	key  string
	val  T
	cost int
}

func newByteCache[T any](maxBytes int, cost func(string, T) int) *byteCache[T] {
	return &byteCache[T]{max: maxBytes, cost: cost, order: list.New(), items: map[string]*list.Element{}}
}

func (c *byteCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*byteEntry[T]).val, true
	}
	var zero T
	return zero, false
}

func (c *byteCache[T]) Add(_ context.Context, key string, v T) {
	cost := c.cost(key, v)
	if cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*byteEntry[T])
		c.used += cost - e.cost
		e.val, e.cost = v, cost
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&byteEntry[T]{key: key, val: v, cost: cost})
		c.used += cost
	}
	for c.used > c.max {
		el := c.order.Back()
		e := el.Value.(*byteEntry[T])
		c.order.Remove(el)
		delete(c.items, e.key)
		c.used -= e.cost
	}
}

// bytes reports the estimated bytes held (tests).
func (c *byteCache[T]) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
