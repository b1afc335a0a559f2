package reliability

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

// BenchmarkReplicaReads reads history pages through one server with no
// replica and then with one, on the same primary and standby, and reports
// requests per second and each PostgreSQL server's CPU per second of run.
// All of it (servers, load, both databases) shares this machine's cores,
// so the figures compare the two setups rather than size either.
//
//	go test -run '^$' -bench BenchmarkReplicaReads -benchtime 10s ./reliability/
func BenchmarkReplicaReads(b *testing.B) {
	rc := newReplicated(b, pgtest.ClusterOptions{Standbys: 1})
	primaryURL := rc.cluster.Primary.URL(pgtest.Database)
	for _, bc := range []struct {
		name string
		ro   db.ReplicaOptions
	}{
		{"none", db.ReplicaOptions{}},
		{"one_replica", db.ReplicaOptions{MaxLag: 10 * time.Second, MaxWait: 100 * time.Millisecond, CheckInterval: time.Second}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			inst := rc.instance(b, primaryURL, bc.ro)
			key := rc.keys["owner"]
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			ctx := context.Background()
			if a, _ := newest(ctx, client, inst.url, key, teamEventType, ""); !a.ok() {
				b.Fatalf("read: %s", a)
			}
			const workers = 8
			var left atomic.Int64
			left.Store(int64(b.N))
			var failed atomic.Int64
			p0, r0 := rc.cluster.Primary.CPUTime(), rc.cluster.Standbys[0].CPUTime()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						if a, _ := newest(ctx, client, inst.url, key, teamEventType, ""); !a.ok() {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d reads failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric((rc.cluster.Primary.CPUTime()-p0).Seconds()/elapsed.Seconds(), "primary-cpu-s/s")
			b.ReportMetric((rc.cluster.Standbys[0].CPUTime()-r0).Seconds()/elapsed.Seconds(), "replica-cpu-s/s")
		})
	}
}
