package reliability

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// slowTenantHook makes every statement of one user's requests slow (as an
// expensive COUNT over a large history would be) and records how many of
// each user's statements run at once. It runs after the server's own
// hooks, so it sees statements once they hold their tenant's slot.
type slowTenantHook struct {
	slowUser int64
	delay    time.Duration

	mu       sync.Mutex
	inflight map[int64]int
	most     map[int64]int
}

func (h *slowTenantHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	p, err := model.PrincipalFrom(ctx)
	if err != nil || p.User == nil {
		return ctx
	}
	h.mu.Lock()
	h.inflight[p.User.ID]++
	h.most[p.User.ID] = max(h.most[p.User.ID], h.inflight[p.User.ID])
	h.mu.Unlock()
	if p.User.ID == h.slowUser {
		time.Sleep(h.delay)
	}
	return ctx
}

func (h *slowTenantHook) AfterQuery(ctx context.Context, _ *bun.QueryEvent) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil || p.User == nil {
		return
	}
	h.mu.Lock()
	h.inflight[p.User.ID]--
	h.mu.Unlock()
}

// TestTenantFairnessOnThePool floods the server, on PostgreSQL with a pool
// of 4 connections, with 40 concurrent requests of one tenant whose
// statements are slow, and meanwhile sends one request of another tenant.
// With the cap (2 here) the flooding tenant never runs more than 2
// statements at once, and the other tenant is answered while the flood is
// still going; without it, the flood runs as many as it can.
func TestTenantFairnessOnThePool(t *testing.T) {
	for _, c := range []struct {
		name string
		cap  int
	}{{"with the cap", 2}, {"without the cap", 0}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.UserDBConcurrency = c.cap
			e := postgresEnv(t, cfg, db.Options{MaxOpenConns: 4}, nil)
			hook := &slowTenantHook{slowUser: seed.OwnerUserID, delay: 40 * time.Millisecond, inflight: map[int64]int{}, most: map[int64]int{}}
			e.store.DB().AddQueryHook(hook)

			ownerID := seed.OwnerUserID
			vars := map[string]any{"id": teamEventType, "first": 5}
			var wg sync.WaitGroup
			var done atomic.Int64
			const flood = 40
			for i := 0; i < flood; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					if r, err := post(ctx, http.DefaultClient, e.url, e.keys["owner"], eventTypeHistoryQuery, vars); err != nil || r.Status != http.StatusOK || len(r.Errors) > 0 {
						t.Errorf("a flood request: %v %+v", err, r)
					}
					done.Add(1)
				}()
			}
			time.Sleep(100 * time.Millisecond)
			other := mustPost(t, e, e.keys["admin"], eventTypeHistoryQuery, vars)
			floodDoneBefore := done.Load()
			wg.Wait()
			hook.mu.Lock()
			most := hook.most[ownerID]
			hook.mu.Unlock()
			t.Logf("per user: %v", hook.most)
			t.Logf("%s: the flooding tenant ran at most %d statements at once; the other tenant was answered after %d of %d flood requests",
				c.name, most, floodDoneBefore, flood)
			if other.Status != http.StatusOK || len(other.Errors) > 0 {
				t.Fatalf("the other tenant: %d %s", other.Status, other.Raw)
			}
			if c.cap > 0 {
				if most > c.cap {
					t.Fatalf("the flooding tenant ran %d statements at once, cap %d", most, c.cap)
				}
				if floodDoneBefore == flood {
					t.Fatalf("the other tenant waited for the whole flood")
				}
			} else if most <= 2 {
				t.Fatalf("without the cap the flood ran only %d statements at once: the test does not discriminate", most)
			}
		})
	}
}
