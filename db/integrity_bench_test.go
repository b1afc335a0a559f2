package db_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/internal/cputime"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

// The integrity log's costs on PostgreSQL:
//
//	go test -run '^$' -bench Log -benchtime 3x ./db/
//
// Each prints entries/s (or the latency of one proof) with and without
// the log where that comparison exists.

func benchLogs(n int, orgID int64, tag string) []model.MemberChangeLog {
	out := make([]model.MemberChangeLog, n)
	for i := range out {
		out[i] = model.MemberChangeLog{ID: fmt.Sprintf("%s-%07d", tag, i), OrganizationID: orgID, ActorUserID: 1,
			Action: "updated", Timestamp: base.Add(time.Duration(i) * time.Millisecond), ResourceType: model.ResourceOrganizationUser,
			ResourceID: "usr_two", Changes: `[{"field":"role","oldValue":"MEMBER","newValue":"ADMIN"}]`}
	}
	return out
}

var benchSeq atomic.Int64

// BenchmarkLogAppend: 4 writers appending batches of 10 entries, to one
// stream (they queue on its row) or to four (they do not).
func BenchmarkLogAppend(b *testing.B) {
	for _, c := range []struct {
		name    string
		log     bool
		streams int
	}{{"nolog/1stream", false, 1}, {"log/1stream", true, 1}, {"log/4streams", true, 4}} {
		b.Run(c.name, func(b *testing.B) {
			s := openStore(b, pgtest.NewDatabase(b))
			if !c.log {
				s = db.WithoutLog(s)
			}
			const writers, batch = 4, 10
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N*writers; i += writers {
						tag := fmt.Sprintf("a%d", benchSeq.Add(1))
						if _, err := s.AppendMemberChangeLogs(ctx, benchLogs(batch, int64(1+w%c.streams), tag)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*writers*batch)/time.Since(start).Seconds(), "entries/s")
		})
	}
}

// BenchmarkLogImport: the COPY path of `auditgraph import`, batches of
// 5,000 entries over 10 organizations (streams), 100,000 entries per op.
// Beside the rate it reports CPU per entry of this process (go-cpu-µs) and
// of the PostgreSQL server (pg-cpu-µs): on a machine shared with other
// work the rate follows the load, the CPU far less.
func BenchmarkLogImport(b *testing.B) {
	for _, withLog := range []bool{false, true} {
		name := "nolog"
		if withLog {
			name = "log"
		}
		b.Run(name, func(b *testing.B) {
			s := openStore(b, pgtest.NewDatabase(b))
			if !withLog {
				s = db.WithoutLog(s)
			}
			const total, batch = 100_000, 5000
			var batches [][]model.MemberChangeLog
			for i := range b.N * total / batch {
				batches = append(batches, benchLogs(batch, int64(1+i%10), fmt.Sprintf("i%d", i)))
			}
			b.ResetTimer()
			start, goCPU, pgCPU := time.Now(), cputime.Process(), serverCPU(b, s)
			for _, bt := range batches {
				if _, err := s.CopyMemberChangeLogs(ctx, bt); err != nil {
					b.Fatal(err)
				}
			}
			entries := float64(b.N * total)
			b.ReportMetric(entries/time.Since(start).Seconds(), "entries/s")
			b.ReportMetric(float64(cputime.Process()-goCPU)/1e3/entries, "go-cpu-µs/entry")
			if pg := serverCPU(b, s); pg > 0 && pgCPU > 0 {
				b.ReportMetric(float64(pg-pgCPU)/1e3/entries, "pg-cpu-µs/entry")
			}
		})
	}
}

// logged fills one stream (org/1) with n entries, signed.
func logged(b *testing.B, n int) (*db.Store, *integrity.Verifier) {
	s := openStore(b, pgtest.NewDatabase(b))
	for i := 0; i < n; i += 5000 {
		if _, err := s.CopyMemberChangeLogs(ctx, benchLogs(min(5000, n-i), 1, fmt.Sprintf("p%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	signer, v := testSigner(b)
	if _, err := s.SignCheckpoints(ctx, signer); err != nil {
		b.Fatal(err)
	}
	return s, v
}

// BenchmarkLogProof: one entry's inclusion proof in a 50,000-entry stream.
func BenchmarkLogProof(b *testing.B) {
	s, v := logged(b, 50_000)
	b.ResetTimer()
	for i := range b.N {
		p, err := s.EntryProof(ctx, integrity.MemberChangeLogs, fmt.Sprintf("p%d-%07d", (i*7919)%50_000/5000*5000, (i*7919)%5000))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Verify(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogVerify: `auditgraph verify` over 100,000 entries.
func BenchmarkLogVerify(b *testing.B) {
	s, v := logged(b, 100_000)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		_, read, err := s.VerifyLog(ctx, v, func(r integrity.StreamResult) {
			if len(r.Findings) > 0 {
				b.Fatal(r.Findings)
			}
		})
		if err != nil || read != 100_000 {
			b.Fatal(read, err)
		}
	}
	b.ReportMetric(float64(b.N*100_000)/time.Since(start).Seconds(), "entries/s")
}

// serverCPU is the CPU time (ns) the PostgreSQL server of s has used: its
// postmaster's children, from /proc; 0 where that cannot be read.
func serverCPU(b *testing.B, s *db.Store) int64 {
	var backend int
	if err := s.DB().NewRaw("SELECT pg_backend_pid()").Scan(ctx, &backend); err != nil {
		return 0
	}
	fields := func(pid string) []string {
		raw, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return nil
		}
		// The command name may hold spaces: the fields follow its ')'.
		i := strings.LastIndexByte(string(raw), ')')
		if i < 0 {
			return nil
		}
		return strings.Fields(string(raw[i+1:]))
	}
	f := fields(strconv.Itoa(backend))
	if len(f) < 2 {
		return 0
	}
	postmaster := f[1] // ppid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	const tick = int64(time.Second) / 100 // USER_HZ
	var total int64
	for _, e := range entries {
		f := fields(e.Name())
		if len(f) < 13 || f[1] != postmaster {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += (u + st) * tick
	}
	return total
}
