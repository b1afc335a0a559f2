package resolvers

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// History entries are append-only, so the presented form of an event type
// entry can be kept and served again to the next page that lists it. The
// presented form holds the stored row it was made from and is used only
// when the row read now is identical in every column (sameEventTypeEntry),
// so it never depends on rows staying unchanged: a different row (another
// database, a repaired entry) is presented afresh and replaces the cached
// one.
//
// Presented entries are shared between requests and must never be modified.
const (
	entryCacheSize       = 4096     // entries
	entryCacheMaxPayload = 8 * 1024 // bytes; larger payloads are not kept
)

type entryCache struct {
	once  sync.Once
	cache *lru.Cache[string, *gqlmodel.EventTypeHistoryEntry]
}

func (c *entryCache) init() {
	c.once.Do(func() {
		c.cache, _ = lru.New[string, *gqlmodel.EventTypeHistoryEntry](entryCacheSize)
	})
}

// eventTypeEntry returns the presented form of e, from the cache when the
// same row was presented before.
func (c *entryCache) eventTypeEntry(e *model.EventTypeEntry) *gqlmodel.EventTypeHistoryEntry {
	c.init()
	if p, ok := c.cache.Get(e.ID); ok && sameEventTypeEntry(&p.EventTypeEntry, e) {
		return p
	}
	out := presentEventTypeEntry(e)
	if len(e.Payload) <= entryCacheMaxPayload {
		c.cache.Add(e.ID, out)
	}
	return out
}

// sameEventTypeEntry reports whether two rows hold the same value in every
// column of model.EventTypeEntry, a column added there included.
var sameEventTypeEntry = sameColumns[model.EventTypeEntry]()
