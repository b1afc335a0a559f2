package db

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

// Fairness is a query hook that caps the statements one tenant runs at
// once: a tenant's statement past the cap waits (until its context ends)
// for one of the tenant's own to finish, instead of taking another pool
// connection. So a tenant firing thousands of expensive statements in one
// request holds at most Per connections, and the rest of the pool stays
// for the others.
//
// Only statements whose context names a tenant (WithTenant) are capped;
// the server names the tenant for read operations only, so a transaction
// (writes) never waits on a slot while holding a connection.
type Fairness struct {
	// Per is the most statements one tenant runs at once.
	Per int

	mu      sync.Mutex
	tenants map[string]*tenantSlots
}

// tenantSlots is a tenant's semaphore; it lives while anyone uses it, so
// the table holds only tenants with statements in flight.
type tenantSlots struct {
	slots chan struct{}
	users int
}

type tenantKey struct{}

// heldSlot travels from BeforeQuery to AfterQuery in the statement's context.
type heldSlot struct {
	tenant string
	t      *tenantSlots
}

type heldKey struct{}

// WithTenant returns ctx whose statements count against tenant's cap.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

var _ bun.QueryHook = (*Fairness)(nil)

// BeforeQuery takes one of the tenant's slots, waiting for it. When the
// context ends first no slot is held and the statement fails on that
// context.
func (f *Fairness) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	tenant, _ := ctx.Value(tenantKey{}).(string)
	if tenant == "" || f.Per <= 0 {
		return ctx
	}
	f.mu.Lock()
	if f.tenants == nil {
		f.tenants = map[string]*tenantSlots{}
	}
	t := f.tenants[tenant]
	if t == nil {
		t = &tenantSlots{slots: make(chan struct{}, f.Per)}
		f.tenants[tenant] = t
	}
	t.users++
	f.mu.Unlock()
	select {
	case t.slots <- struct{}{}:
		return context.WithValue(ctx, heldKey{}, &heldSlot{tenant: tenant, t: t})
	case <-ctx.Done():
		f.leave(tenant, t)
		return ctx
	}
}

// AfterQuery gives the slot back.
func (f *Fairness) AfterQuery(ctx context.Context, _ *bun.QueryEvent) {
	h, _ := ctx.Value(heldKey{}).(*heldSlot)
	if h == nil {
		return
	}
	<-h.t.slots
	f.leave(h.tenant, h.t)
}

func (f *Fairness) leave(tenant string, t *tenantSlots) {
	f.mu.Lock()
	t.users--
	if t.users == 0 {
		delete(f.tenants, tenant)
	}
	f.mu.Unlock()
}

// InFlight reports the statements tenant runs now (tests).
func (f *Fairness) InFlight(tenant string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.tenants[tenant]; t != nil {
		return len(t.slots)
	}
	return 0
}
