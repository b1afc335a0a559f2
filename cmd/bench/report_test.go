package main

import (
	"os"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// fixtureReport is a run at concurrencies 1 and 16 with every kind of
// case: GraphQL and REST pages with their floors, a skipped case,
// PostGraphile, the page statement alone, ingest and integrity.
func fixtureReport() *report {
	m := func(name string, c int, rate float64, p99 time.Duration) measurement {
		return measurement{Case: name, Concurrency: c, Requests: uint64(rate * 10), Rate: rate, P50: p99 / 3, P90: p99 / 2, P99: p99,
			BytesIn: 4096, CPUPer1000: 1000 / rate, RSSMaxBytes: 80e6 + rate*1000, StmtsPerReq: 3, PGCPUPerReq: 1 / rate}
	}
	target := func(u string) vegeta.Target {
		return vegeta.Target{Method: "POST", URL: "http://127.0.0.1:1" + u, Body: []byte(`{"query":"{ x }"}`)}
	}
	seq := &sequence{statements: []string{"SELECT 1", "SELECT 2", "SELECT 3"}, withPrev: []bool{false, false, true}}
	r := &report{
		cfg:        config{scale: 100000, depth: 5000, duration: 10 * time.Second, warmup: time.Second, concurrency: []int{1, 16}},
		pg:         &postgres{version: "15.8", private: true},
		started:    time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		commit:     "abc1234",
		loadBefore: "0.50 0.40 0.30", loadAfter: "9.00 3.00 1.00",
		dataset: &datasetInfo{Scale: 100000, Hot: 10000, Reused: true,
			Counts:       map[string]int{"event_type_history": 100000, "attribute_assignment_history": 100000, "member_change_logs": 100000},
			PayloadBytes: map[string]int{"event_type_history": 300, "attribute_assignment_history": 200, "member_change_logs": 250},
			Build: buildStats{BuiltAt: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), Seconds: 30, GenerateSeconds: 5, FileBytes: 90e6,
				Directory:    importOutcome{Seconds: 2, Directory: 3000},
				Entries:      importOutcome{Seconds: 20, Summary: "300000 lines read in 4s (75000 entries/s)", Reported: 4, Rate: 75000, Imported: 300000},
				FirstQuarter: 80000, LastQuarter: 70000, LoadBefore: "0.1", LoadAfter: "1.2", Concurrent: "nothing else", VacuumSeconds: 3}},
		http: []*httpCase{
			{name: gqlETFirst, group: "et", graphql: true, floor: "floor: " + gqlETFirst, target: target("/graphql")},
			{name: gqlETDeep, group: "et", deep: true, graphql: true, floor: "floor: " + gqlETDeep, target: target("/graphql")},
			{name: restETFirst, target: target("/v2/event-types/1/history")},
			{name: "REST skipped", skipped: "no such endpoint"},
			{name: pglFirst, group: "pgl", target: target("/graphql"), foreign: &foreignServer{name: "PostGraphile"}},
			{name: pglDeep, group: "pgl", deep: true, target: target("/graphql"), foreign: &foreignServer{name: "PostGraphile"}},
		},
		floors: []*floorCase{
			{name: "floor: " + gqlETFirst, of: []string{gqlETFirst, restETFirst}, seq: seq},
			{name: "floor: " + gqlETDeep, of: []string{gqlETDeep}, deep: true, first: "floor: " + gqlETFirst, seq: seq},
			{name: pageAloneName, pageOnly: true, seq: &sequence{statements: []string{"SELECT page"}, withPrev: []bool{false}}},
		},
		results:      map[string][]measurement{},
		stmtsByLimit: map[int]float64{1: 3, 10: 3, 25: 3, 50: 4},
		ingest: []ingestResult{{Path: "auditgraph import of 1000 entries", Entries: 1000, Seconds: 0.5, Reported: 40000, Note: "n"},
			{Path: "recordEventTypeChanges", Note: "not measured"}},
		integrity: &integrityResult{StreamSize: 1000, Proofs: 10, Mean: time.Millisecond, P50: time.Millisecond, P99: 3 * time.Millisecond,
			VerifyLine: "verified 3 entries", VerifyRate: 1000, VerifyWall: 2, VerifyRead: 3},
		notes: []string{"a note"},
	}
	r.results[gqlETDeep] = []measurement{m(gqlETDeep, 1, 500, 4*time.Millisecond), m(gqlETDeep, 16, 1500, 12*time.Millisecond)}
	for name, rates := range map[string][2]float64{
		gqlETFirst: {600, 1600}, restETFirst: {650, 1400}, pglFirst: {200, 900}, pglDeep: {100, 500},
		"floor: " + gqlETFirst: {2000, 5000}, "floor: " + gqlETDeep: {1900, 4900}, pageAloneName: {3000, 8000},
	} {
		r.results[name] = []measurement{m(name, 1, rates[0], 2*time.Millisecond), m(name, 16, rates[1], 8*time.Millisecond)}
	}
	r.results[restETFirst][1].Errors, r.results[restETFirst][1].FirstError = 2, "500 Internal Server Error"
	return r
}

// TestReportTargets checks each target's verdict on the fixture's figures.
func TestReportTargets(t *testing.T) {
	got := fixtureReport().targets()
	for _, want := range []string{
		"- **met**: deep page within 1.2× of the first: GraphQL eventTypeHistory, first page → GraphQL eventTypeHistory, deep page (throughput cost c=1 1.20×, c=16 1.07×",
		"- **met**: deep page within 1.2× of the first: floor: GraphQL eventTypeHistory, first page → floor: GraphQL eventTypeHistory, deep page",
		"- **MISSED**: deep page within 1.2× of the first: PostGraphile v5 allEventTypeHistories, first page → PostGraphile v5 allEventTypeHistories, deep page",
		"- **met**: GraphQL first page at concurrency 16 sustains ≥ 25% of its floor's req/s (the server's 3 statements of the request through pgx): 1600 of 5000 req/s = 32% (for reference, the page statement alone: 8000 req/s, of which the GraphQL page is 20%)",
		"- **met**: GraphQL first page at concurrency 16 p99 under 10 ms: 8.00 ms",
		"- **MISSED**: REST within 10% of GraphQL (first page, concurrency 16): 1400 vs 1600 req/s (-12%)",
		"- **met**: GraphQL first page at concurrency 1 ≥ 1.5× PostGraphile's req/s: 600 vs 200 req/s = 3.00×",
		"- **met**: GraphQL first page at concurrency 16 ≥ 1.5× PostGraphile's req/s: 1600 vs 900 req/s = 1.78×",
		"- **met**: server RSS under 150 MB under load: largest seen 82 MB",
		"- **MISSED**: SQL statements per request constant in page size: [3 3 3 4] for page sizes 1, 10, 25, 50",
		"- **met**: import at least 50,000 entries/s, dataset build (300000 entries",
		"- **MISSED**: import at least 50,000 entries/s, separate run (1000 event type changes into the loaded dataset, as `auditgraph import` reports it): 40000 entries/s (2000 by the command's wall time)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("targets lack\n%s\ngot:\n%s", want, got)
		}
	}
}

// TestReportMarkdown checks the report's sections and a row of each table;
// BENCH_REPORT_OUT, when set, receives the whole report (to compare two
// versions of the generator byte for byte).
func TestReportMarkdown(t *testing.T) {
	got := fixtureReport().markdown()
	if out := os.Getenv("BENCH_REPORT_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		"# auditgraph benchmark, scale 100000\n",
		"| dataset build | reused, built by an earlier run 2026-11-21T09:00:00Z through the real import path",
		"## GraphQL eventTypeHistory, first page\n\n`POST /graphql` (request body 17 bytes, response body 4096 bytes)",
		"| 16 | 1600 | 2.67 ms | 4.00 ms | 8.00 ms | 0 | 0.625 | 0.625 | 82 MB | 3.00 | 32% | — |",
		"| 16 | 1500 | 4.00 ms | 6.00 ms | 12.00 ms | 0 | 0.667 | 0.667 | 82 MB | 3.00 | 31% | 1.07× |",
		"## REST skipped\n\nSkipped: no such endpoint.",
		"First error: `500 Internal Server Error`",
		"-- statement 3 of 3, at the same time as statement 2\nSELECT 3",
		"```sql\nSELECT page\n```",
		"| 50 | 4.00 |",
		"| auditgraph import of 1000 entries | 1000 | 0.5 | 2000 | n |",
		"| recordEventTypeChanges | | | | not measured |",
		"## Integrity log",
		"## Targets\n\n- **met**",
		"## Notes\n\n- a note\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks\n%s", want)
		}
	}
}
