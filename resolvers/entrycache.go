package resolvers

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// History entries are append-only, so the presented form of an event type
// entry can be kept and served again to the next page that lists it. The
// cache remembers the stored row each presentation was made from and is used
// only when the row read now is identical, so it never depends on rows
// staying unchanged: a different row (another database, a repaired entry)
// is presented afresh and replaces the cached one.
//
// Presented entries are shared between requests and must never be modified.
const (
	entryCacheSize       = 4096     // entries
	entryCacheMaxPayload = 8 * 1024 // bytes; larger payloads are not kept
)

type presentedEntry struct {
	from model.EventTypeEntry
	out  *gqlmodel.EventTypeHistoryEntry
}

type entryCache struct {
	once  sync.Once
	cache *lru.Cache[string, *presentedEntry]
}

func (c *entryCache) init() {
	c.once.Do(func() {
		c.cache, _ = lru.New[string, *presentedEntry](entryCacheSize)
	})
}

// eventTypeEntry returns the presented form of e, from the cache when the
// same row was presented before.
func (c *entryCache) eventTypeEntry(e *model.EventTypeEntry) *gqlmodel.EventTypeHistoryEntry {
	c.init()
	if p, ok := c.cache.Get(e.ID); ok && sameEventTypeEntry(&p.from, e) {
		return p.out
	}
	out := presentEventTypeEntry(e)
	if len(e.Payload) <= entryCacheMaxPayload {
		from := *e
		from.IdempotencyKey = nil
		c.cache.Add(e.ID, &presentedEntry{from: from, out: out})
	}
	return out
}

// sameEventTypeEntry reports whether a and b hold the same values in every
// column presentEventTypeEntry reads. It names the columns by hand, for
// speed; TestSameEventTypeEntryComparesEveryColumn fails when
// model.EventTypeEntry gains a column this does not compare.
func sameEventTypeEntry(a, b *model.EventTypeEntry) bool {
	return a.ID == b.ID && a.Action == b.Action && a.Type == b.Type && a.Source == b.Source &&
		a.Timestamp.Equal(b.Timestamp) && a.Timestamp.Location() == b.Timestamp.Location() &&
		a.Payload == b.Payload &&
		a.Actor.Type == b.Actor.Type && sameString(a.Actor.Ref, b.Actor.Ref) &&
		sameString(a.Actor.Name, b.Actor.Name) && sameString(a.Actor.Email, b.Actor.Email) &&
		sameString(a.Actor.Avatar, b.Actor.Avatar) &&
		sameString(a.ImpersonatedBy.Name, b.ImpersonatedBy.Name) &&
		sameString(a.ImpersonatedBy.Email, b.ImpersonatedBy.Email) &&
		sameString(a.ImpersonatedBy.Avatar, b.ImpersonatedBy.Avatar)
}

func sameString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
