package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// httpCase is one request, sent over and over by the load generator.
type httpCase struct {
	name    string
	group   string // cases of one group are the first and the deep page of one read
	deep    bool
	graphql bool   // a 200 carrying "errors" is a failure
	floor   string // name of the floor case it is compared with
	target  vegeta.Target
	skipped string // why the case was not run, if it was not
	// foreign is the other server a comparison case is sent to (nil:
	// auditgraph's).
	foreign *foreignServer
}

// floorCase is the SQL the server issues for one request of a case (see
// recordFloors), run through pgx without HTTP.
type floorCase struct {
	name     string
	of       []string // the cases whose request issues these statements
	deep     bool
	first    string // for a deep page: the floor of its group's first page
	pageOnly bool   // the page statement alone, not a request's statements
	seq      *sequence
}

// measurement is one case at one concurrency.
type measurement struct {
	Case        string
	Concurrency int
	Requests    uint64
	Rate        float64 // successful requests per second
	P50         time.Duration
	P90         time.Duration
	P99         time.Duration
	Mean        time.Duration
	Errors      uint64
	FirstError  string
	BytesIn     float64 // mean response body size
	// Server-side figures; zero for floor cases.
	CPUPer1000    float64 // server CPU seconds per 1,000 requests
	RSSMaxBytes   float64
	StmtsPerReq   float64
	ServerSampled bool
	// PGCPUPerReq is the CPU seconds of the bench database's server per
	// request (0: unknown).
	PGCPUPerReq float64
}

// runHTTP runs c closed-loop workers against the server for d.
func runHTTP(ctx context.Context, srv *serverProc, hc *httpCase, c int, d time.Duration) (measurement, error) {
	m := measurement{Case: hc.name, Concurrency: c}
	if hc.foreign != nil {
		return runForeign(ctx, hc, c, d)
	}
	before, err := srv.metrics()
	if err != nil {
		return m, err
	}
	pgBefore := postgresTicks()
	stopRSS := sampleRSS(srv.Pid(), &m.RSSMaxBytes)
	metrics, firstError := attack(ctx, hc, c, d)
	m.FirstError = firstError
	stopRSS()
	pgCPU := postgresCPUSince(pgBefore)
	after, err := srv.metrics()
	if err != nil {
		return m, err
	}
	fillFromMetrics(&m, metrics)
	served := after.Requests - before.Requests
	if served > 0 {
		m.StmtsPerReq = (after.Statements - before.Statements) / served
		m.CPUPer1000 = (after.CPUSeconds - before.CPUSeconds) / served * 1000
		m.PGCPUPerReq = pgCPU / served
	}
	if after.RSSBytes > m.RSSMaxBytes {
		m.RSSMaxBytes = after.RSSBytes
	}
	m.ServerSampled = true
	return m, ctx.Err()
}

// runForeign is runHTTP for another server: its CPU and memory from /proc.
func runForeign(ctx context.Context, hc *httpCase, c int, d time.Duration) (measurement, error) {
	m := measurement{Case: hc.name, Concurrency: c}
	pid := hc.foreign.Pid()
	cpu0, pgBefore := processCPU(pid), postgresTicks()
	stopRSS := sampleRSS(pid, &m.RSSMaxBytes)
	metrics, firstError := attack(ctx, hc, c, d)
	m.FirstError = firstError
	stopRSS()
	pgCPU, cpu := postgresCPUSince(pgBefore), processCPU(pid)-cpu0
	fillFromMetrics(&m, metrics)
	if metrics.Requests > 0 {
		m.CPUPer1000 = cpu / float64(metrics.Requests) * 1000
		m.PGCPUPerReq = pgCPU / float64(metrics.Requests)
	}
	m.ServerSampled = true
	return m, ctx.Err()
}

// attack runs c closed-loop workers sending hc's request for d.
func attack(ctx context.Context, hc *httpCase, c int, d time.Duration) (*vegeta.Metrics, string) {
	attacker := vegeta.NewAttacker(
		vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.Connections(c), vegeta.MaxConnections(c), vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second), vegeta.Redirects(vegeta.NoFollow),
	)
	var metrics vegeta.Metrics
	firstError := ""
	results := attacker.Attack(vegeta.NewStaticTargeter(hc.target), vegeta.Rate{Freq: 0}, d, hc.name)
	for {
		select {
		case <-ctx.Done():
			attacker.Stop()
		case res, ok := <-results:
			if !ok {
				goto done
			}
			if res.Error == "" && (res.Code < 200 || res.Code > 299) {
				res.Error = fmt.Sprintf("HTTP %d: %.200s", res.Code, res.Body)
			}
			if res.Error == "" && hc.graphql && bytes.Contains(res.Body, []byte(`"errors"`)) {
				res.Error = fmt.Sprintf("GraphQL errors: %.300s", res.Body)
			}
			if res.Error != "" && firstError == "" {
				firstError = res.Error
			}
			metrics.Add(res)
		}
	}
done:
	metrics.Close()
	return &metrics, firstError
}

func fillFromMetrics(m *measurement, v *vegeta.Metrics) {
	m.Requests = v.Requests
	m.Errors = v.Requests - uint64(float64(v.Requests)*v.Success+0.5)
	m.Rate = v.Throughput
	m.P50, m.P90, m.P99, m.Mean = v.Latencies.P50, v.Latencies.P90, v.Latencies.P99, v.Latencies.Mean
	m.BytesIn = v.BytesIn.Mean
}

// sampleRSS keeps the largest resident set size of pid seen every 100 ms
// until the returned function is called.
func sampleRSS(pid int, max *float64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v := devproc.RSSBytes(pid); v > *max {
				*max = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// runFloor runs the case's statements one after the other, as one request,
// in c closed-loop workers for d; latencies go through vegeta's metrics so
// both sides are summarized alike.
func runFloor(ctx context.Context, pool *pgxpool.Pool, fc *floorCase, c int, d time.Duration) (measurement, error) {
	m := measurement{Case: fc.name, Concurrency: c}
	var (
		mu      sync.Mutex
		metrics vegeta.Metrics
		wg      sync.WaitGroup
	)
	pgBefore := postgresTicks()
	begin := time.Now()
	deadline := begin.Add(d)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				start := time.Now()
				err := floorRequest(ctx, pool, fc.seq)
				res := vegeta.Result{Attack: fc.name, Timestamp: start, Latency: time.Since(start), Code: http.StatusOK}
				if err != nil {
					res.Code, res.Error = 0, err.Error()
				}
				mu.Lock()
				if res.Error != "" && m.FirstError == "" {
					m.FirstError = res.Error
				}
				metrics.Add(&res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	metrics.Close()
	pgCPU := postgresCPUSince(pgBefore)
	fillFromMetrics(&m, &metrics)
	if m.Requests > 0 {
		m.PGCPUPerReq = pgCPU / float64(m.Requests)
	}
	return m, ctx.Err()
}

// probe sends the case's request once: a REST route that answers 404 is
// not wired yet, and the case is skipped with that note.
func probe(hc *httpCase) error {
	req, err := hc.target.Request()
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	switch {
	case resp.StatusCode == http.StatusNotFound && !hc.graphql:
		hc.skipped = fmt.Sprintf("%s %s answers 404: the REST route is not wired in this build", hc.target.Method, hc.target.URL)
		return nil
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: HTTP %d: %.300s", hc.name, resp.StatusCode, body.String())
	case hc.graphql && bytes.Contains(body.Bytes(), []byte(`"errors"`)):
		return fmt.Errorf("%s: %.500s", hc.name, body.String())
	}
	return nil
}
