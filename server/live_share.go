package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
)

// Shared renderings of live entries (see resolvers.Shared): one execution
// and one JSON document per entry and (document, variables, principal), not
// one per subscriber. Two subscriptions share a rendering only when
// everything the executor reads besides the entry is equal, so the bytes
// are those the subscriber's own execution would have produced (the
// equality is tested against the unshared path).

const (
	// sharedEntries bounds the renderings kept: at 500 entries a second
	// and one selection, about eight seconds' worth; a subscriber further
	// behind renders its own.
	sharedEntries = 4096
	// sharedMaxBytes bounds one kept rendering.
	sharedMaxBytes = 64 << 10
)

type liveShare struct {
	off  atomic.Bool // for the test comparing with the unshared path
	hits atomic.Int64

	mu    sync.Mutex
	m     map[string]*rendering
	order []string
}

// rendering is one entry's bytes for one selection key. data is set, or
// left nil when the rendering failed or erred, before ready closes.
type rendering struct {
	ready chan struct{}
	data  []byte
}

// claim returns the key's rendering and whether the caller renders it.
func (c *liveShare) claim(key string) (*rendering, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[key]; ok {
		return r, false
	}
	if c.m == nil {
		c.m = map[string]*rendering{}
	}
	r := &rendering{ready: make(chan struct{})}
	c.m[key] = r
	c.order = append(c.order, key)
	if len(c.order) > sharedEntries {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	return r, true
}

// shareKey names what a subscription's rendering depends on besides the
// entry; "" when it is not shared.
func shareKey(ctx context.Context, oc *graphql.OperationContext) string {
	if oc == nil || oc.RawQuery == "" {
		return ""
	}
	vars, err := json.Marshal(oc.Variables) // maps marshal in key order
	if err != nil {
		return ""
	}
	who := "anonymous"
	if p, err := model.PrincipalFrom(ctx); err == nil && p.User != nil {
		who = "user:" + strconv.FormatInt(p.User.ID, 10)
		if p.Key != nil {
			who += ",key:" + strconv.FormatInt(p.Key.ID, 10)
		}
	}
	h := sha256.New()
	for _, part := range []string{oc.RawQuery, oc.OperationName, string(vars), who} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// respond answers with the shared rendering of the subscription's next
// entry, or renders it (render: the executor) and keeps the bytes.
func (c *liveShare) respond(ctx context.Context, sh *resolvers.Shared, render graphql.ResponseHandler) *graphql.Response {
	id, ok := sh.Next(ctx)
	if !ok {
		return render(ctx)
	}
	r, owner := c.claim(sh.Key + "\x00" + id)
	if !owner {
		select {
		case <-r.ready:
			if r.data != nil {
				sh.Decide(ctx, false)
				c.hits.Add(1)
				return &graphql.Response{Data: r.data}
			}
		case <-ctx.Done():
		}
		sh.Decide(ctx, true)
		return render(ctx)
	}
	defer close(r.ready)
	sh.Decide(ctx, true)
	resp := render(ctx)
	// Only a plain rendering is shared: errors and extensions may be the
	// subscriber's own.
	if resp != nil && resp.Data != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 &&
		resp.Label == "" && resp.Path == nil && resp.HasNext == nil && len(resp.Data) <= sharedMaxBytes {
		// The executor reuses its buffer for the next response.
		r.data = bytes.Clone(resp.Data)
	}
	return resp
}
