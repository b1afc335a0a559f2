package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

// TestFailoverUnderWriteLoad kills the primary of a synchronously
// replicated pair while writers record entries through a server whose
// DATABASE_URL names both nodes with target_session_attrs=read-write, and
// promotes the standby. Writes in flight fail fast with SERVICE_UNAVAILABLE
// and are retried with the same idempotency key until acknowledged. After
// the promotion every acknowledged entry is on the new primary, and no
// idempotency key is stored twice.
func TestFailoverUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a replicated cluster")
	}
	rc := newReplicated(t, pgtest.ClusterOptions{Standbys: 1, Synchronous: true})
	inst := rc.instance(t, rc.cluster.MultiHostURL(pgtest.Database), db.ReplicaOptions{})
	key := rc.keys["writer"]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 15 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var (
		mu          sync.Mutex
		acked       = map[string]string{} // idempotency key -> entry id
		codes       = map[string]int{}    // codes of failed attempts
		slowest     time.Duration         // the slowest failed attempt
		killedAt    time.Time
		firstWrite  time.Time // first acknowledged write begun after the kill
		retriedKeys int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				idem := fmt.Sprintf("fo-%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					begun := time.Now()
					a, id := recordOne(ctx, client, inst.url, key, acmeEventTypes[w%len(acmeEventTypes)], idem)
					mu.Lock()
					if a.ok() {
						acked[idem] = id
						if !killedAt.IsZero() && begun.After(killedAt) && firstWrite.IsZero() {
							firstWrite = time.Now()
						}
						if attempt > 0 {
							retriedKeys++
						}
						mu.Unlock()
						break
					}
					c := strings.Join(a.codes, ",")
					if a.transport != nil {
						c = "transport error"
					}
					codes[c]++
					slowest = max(slowest, a.latency)
					mu.Unlock()
					if ctx.Err() != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}

	time.Sleep(800 * time.Millisecond)
	if err := rc.cluster.Primary.Kill(); err != nil {
		t.Fatal(err)
	}
	// From here on no write can reach the old primary: the first one
	// acknowledged after this moment went to the new one.
	mu.Lock()
	killedAt = time.Now()
	before := len(acked)
	mu.Unlock()
	sb := rc.cluster.Standbys[0]
	if err := sb.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	promoted := time.Since(killedAt)
	for {
		mu.Lock()
		done := !firstWrite.IsZero()
		mu.Unlock()
		if done {
			break
		}
		if time.Since(killedAt) > 60*time.Second {
			close(stop)
			t.Fatalf("no write acknowledged within 60s of the kill; failed attempts: %v", codes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(800 * time.Millisecond)
	close(stop)
	wg.Wait()

	// What the new primary holds.
	d, err := db.Open(sb.URL(pgtest.Database), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, `SELECT idempotency_key, count(*) FROM event_type_history WHERE idempotency_key LIKE '%fo-%' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		// Stored keys are namespaced by organization ("1:fo-0-1").
		stored[k[strings.LastIndexByte(k, ':')+1:]] += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost, dups := 0, 0
	for k := range acked {
		if stored[k] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			dups++
		}
	}
	t.Logf("%d entries acknowledged (%d before the kill), %d stored on the new primary: %d lost, %d duplicated; %d keys needed a retry",
		len(acked), before, len(stored), lost, dups, retriedKeys)
	t.Logf("promotion took %v; first acknowledged write %v after the kill; failed attempts %v, the slowest in %v",
		promoted.Round(time.Millisecond), firstWrite.Sub(killedAt).Round(time.Millisecond), codes, slowest.Round(time.Millisecond))
	if lost != 0 || dups != 0 {
		t.Errorf("%d acknowledged entries lost, %d idempotency keys stored more than once", lost, dups)
	}
	if len(acked) == before {
		t.Error("no write was acknowledged after the failover")
	}
	if len(stored) < len(acked) {
		t.Errorf("%d stored < %d acknowledged", len(stored), len(acked))
	}
	for c := range codes {
		if c != model.CodeUnavailable {
			t.Errorf("writes during the failover failed with %q, want only %s", c, model.CodeUnavailable)
		}
	}
	if slowest > 10*time.Second {
		t.Errorf("a failed write took %v to fail, want fast failure", slowest)
	}
}
