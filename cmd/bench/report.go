package main

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
)

// writef appends formatted text to the report.
type writef func(format string, args ...any)

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	r.headerMarkdown(w)
	r.httpMarkdown(w)
	r.floorsMarkdown(w)
	w("%s", r.postgraphileComparison())
	r.pageSizesMarkdown(w)
	r.ingestMarkdown(w)
	if r.integrity != nil {
		r.integrity.markdown(w)
	}
	w("\n## Targets\n\n%s\n", r.targets())
	if len(r.notes) > 0 {
		w("## Notes\n\n")
		for _, n := range r.notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	return b.String()
}

// headerMarkdown is the title, the table of the run's conditions and the
// columns' legend.
func (r *report) headerMarkdown(w writef) {
	c := r.cfg
	w("# auditgraph benchmark, scale %d\n\n", c.scale)
	w("| | |\n|---|---|\n")
	w("| date | %s |\n", r.started.Format(time.RFC3339))
	w("| commit | %s (the checkout the server was built from) |\n", r.commit)
	w("| machine | %d cores (nproc), %s, %s |\n", runtime.NumCPU(), cpuModel(), memTotal())
	w("| load average (1, 5, 15 min) | %s before, %s after (after includes the run's own load) |\n", r.loadBefore, r.loadAfter)
	w("| Go | %s |\n", goVersion())
	w("| PostgreSQL | %s (%s) |\n", r.pg.version, map[bool]string{true: "private server started by the bench", false: "DATABASE_URL"}[r.pg.private])
	ds := r.dataset
	w("| dataset | %d entries per history (event_type_history %d rows, attribute_assignment_history %d, member_change_logs %d); hot event type and hot member: %d entries each; 1,000 event types, 20 organizations, 2,000 members |\n",
		ds.Scale, ds.Counts["event_type_history"], ds.Counts["attribute_assignment_history"], ds.Counts["member_change_logs"], ds.Hot)
	w("| stored payload size (average) | event type %d B, attribute changes %d B, change log changes %d B |\n",
		ds.PayloadBytes["event_type_history"], ds.PayloadBytes["attribute_assignment_history"], ds.PayloadBytes["member_change_logs"])
	w("%s", r.buildLine())
	// The load average after the run is mostly the run's own c=64 load, so
	// only the one before tells of other work.
	if loaded(r.loadBefore) {
		w("| note | the machine was busy when the run started (1-minute load average above the %d cores): figures may be pessimistic and noisy |\n", runtime.NumCPU())
	}
	w("| run | %s per case and concurrency after a %s warm-up at concurrency 4; closed loop (vegeta, no pacing); each case runs right after its floor at the same concurrency; deep pages %d entries deep |\n\n",
		c.duration, c.warmup, c.depth)

	w("Columns: req/s counts successful requests; latencies are vegeta's; server CPU is `process_cpu_seconds_total` of the server per 1,000 requests; " +
		"RSS is the largest resident set size of the server process seen during the run; SQL statements per request is the delta of " +
		"`auditgraph_sql_statements_total` over the delta of `auditgraph_http_requests_total`; server ÷ floor is the case's req/s over its own floor's at the " +
		"same concurrency (the floor replays the SQL statements the server issues for that very request, see the floor sections); deep ÷ first is the cost of the deep page relative to the first (first page req/s over deep page req/s; at concurrency 1 that is the ratio of mean latencies).\n\n")

}

// httpMarkdown is a section per HTTP case: its request and a row per
// concurrency.
func (r *report) httpMarkdown(w writef) {
	firstOf := func(group string) string {
		for _, hc := range r.http {
			if hc.group == group && !hc.deep {
				return hc.name
			}
		}
		return ""
	}
	header := "| concurrency | req/s | p50 | p90 | p99 | errors | server CPU s / 1k req | PostgreSQL CPU ms / req | server RSS | SQL stmts / req | server ÷ floor | deep ÷ first |\n" +
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for _, hc := range r.http {
		w("## %s\n\n", hc.name)
		if hc.skipped != "" {
			w("Skipped: %s.\n\n", hc.skipped)
			continue
		}
		size := 0.0
		if ms := r.results[hc.name]; len(ms) > 0 {
			size = ms[0].BytesIn
		}
		w("`%s %s` (request body %d bytes, response body %.0f bytes)\n\n", hc.target.Method, pathOf(hc.target.URL), len(hc.target.Body), size)
		w("%s", header)
		first := ""
		if hc.deep {
			first = firstOf(hc.group)
		}
		for i, m := range r.results[hc.name] {
			stmts, floor := fmt.Sprintf("%.2f", m.StmtsPerReq), ratioPct(m.Rate, r.rateAt(hc.floor, i))
			if hc.foreign != nil {
				stmts, floor = "—", "—"
			}
			w("| %d | %.0f | %s | %s | %s | %s | %.3f | %s | %.0f MB | %s | %s | %s |\n", m.Concurrency, m.Rate,
				ms(m.P50), ms(m.P90), ms(m.P99), errs(m), m.CPUPer1000, pgCPU(m), m.RSSMaxBytes/1e6, stmts,
				floor, deepRatio(r.rateAt(first, i), m.Rate, hc.deep))
		}
		if e := firstError(r.results[hc.name]); e != "" {
			w("\nFirst error: `%.300s`\n", e)
		}
		w("\n")
	}
}

// floorsMarkdown is a section per floor: its statements and a row per
// concurrency.
func (r *report) floorsMarkdown(w writef) {
	for _, fc := range r.floors {
		w("## %s\n\n", fc.name)
		if fc.pageOnly {
			w("The statement of the %q floor that reads the page, alone: what the page costs the database without the request's other statements. "+
				"Through pgx like the other floors (pgxpool, at most 20 connections like the server's pool, the simple protocol like the server's driver), no HTTP, no GraphQL.\n\n", "floor: "+gqlETFirst)
		} else {
			stmts := fc.seq.statements
			w("Floor of: %s.\n\n", strings.Join(fc.of, "; "))
			w("The %d SQL statements the server issues for one request of this case, in the order it starts them, recorded from the server built in process "+
				"(`wire.Server` with the defaults and no rate limit) answering the case's very request in steady state "+
				"(after a warm-up request; two requests in a row issued the same statements). Each floor request replays them in that order through pgx "+
				"(pgxpool, at most 20 connections like the server's pool, the simple protocol like the server's driver), no HTTP, no GraphQL", len(stmts))
			if fc.seq.concurrent() {
				w("; statements the server ran at the same time (GraphQL resolves some fields concurrently) run at the same time in the floor too, each on its own connection, as marked")
			}
			w(":\n\n")
		}
		for i, q := range fc.seq.statements {
			mark := ""
			if fc.seq.withPrev[i] {
				mark = fmt.Sprintf(", at the same time as statement %d", i)
			}
			if fc.pageOnly {
				w("```sql\n%s\n```\n", q)
			} else {
				w("```sql\n-- statement %d of %d%s\n%s\n```\n", i+1, len(fc.seq.statements), mark, q)
			}
		}
		w("\n| concurrency | req/s | p50 | p90 | p99 | errors | PostgreSQL CPU ms / req | deep ÷ first |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for i, m := range r.results[fc.name] {
			w("| %d | %.0f | %s | %s | %s | %s | %s | %s |\n", m.Concurrency, m.Rate, ms(m.P50), ms(m.P90), ms(m.P99), errs(m),
				pgCPU(m), deepRatio(r.rateAt(fc.first, i), m.Rate, fc.deep))
		}
		w("\n")
	}

}

// pageSizesMarkdown is the table of statements per request by page size.
func (r *report) pageSizesMarkdown(w writef) {
	w("## SQL statements per request by page size\n\nGraphQL eventTypeHistory first page, 5 requests each:\n\n| page size | statements / request |\n|---:|---:|\n")
	var limits []int
	for l := range r.stmtsByLimit {
		limits = append(limits, l)
	}
	sort.Ints(limits)
	for _, l := range limits {
		w("| %d | %.2f |\n", l, r.stmtsByLimit[l])
	}
}

// ingestMarkdown is the table of the write paths measured.
func (r *report) ingestMarkdown(w writef) {
	ds := r.dataset
	w("\n## Ingest\n\nThe dataset build is the import measurement at full size: the real `auditgraph import` loading every entry of the three histories "+
		"into empty tables (the first rows; seconds and entries/s as the command reports them, from reading the file to the last commit). "+
		"The other paths run after the read cases, into the loaded dataset; their entries go to a cold event type of the hot organization (id %d).\n\n"+
		"| path | entries | seconds | entries/s | note |\n|---|---:|---:|---:|---|\n", ingestEventTypeID)
	bs := ds.Build
	when := "built in this run"
	if ds.Reused {
		when = "built by an earlier run, " + bs.BuiltAt.Format(time.RFC3339)
	}
	w("| dataset build: `auditgraph import` of the generated entries (all three histories, interleaved) | %d | %.1f | %.0f | %s; it reports %s, "+
		"%.1f s by the command's wall time, %.1f CPU s of the import process; %s; load average %s before, %s after; %s |\n",
		bs.Entries.Imported, bs.Entries.Reported, bs.Entries.Rate, when, bs.Entries.Summary, bs.Entries.Seconds, bs.Entries.CPUSeconds,
		quarters(bs), bs.LoadBefore, bs.LoadAfter, bs.Concurrent)
	w("| dataset build, whole (generation, both imports, VACUUM ANALYZE) | %d | %.1f | %.0f | generation %.1f s, directory import %.1f s, entries import %.1f s, VACUUM ANALYZE %.1f s |\n",
		bs.Entries.Imported, bs.Seconds, float64(bs.Entries.Imported)/max(bs.Seconds, 1e-9), bs.GenerateSeconds, bs.Directory.Seconds, bs.Entries.Seconds, bs.VacuumSeconds)
	for _, ir := range r.ingest {
		if ir.Entries == 0 {
			w("| %s | | | | %s |\n", ir.Path, ir.Note)
			continue
		}
		w("| %s | %d | %.1f | %.0f | %s |\n", ir.Path, ir.Entries, ir.Seconds, ir.rate(), ir.Note)
	}
}

func (r *report) rateAt(name string, i int) float64 {
	ms := r.results[name]
	if name == "" || i >= len(ms) {
		return 0
	}
	return ms[i].Rate
}

func (r *report) concIndex(n int) int {
	for i, c := range r.cfg.concurrency {
		if c == n {
			return i
		}
	}
	return -1
}

func quarters(bs buildStats) string {
	if bs.FirstQuarter == 0 || bs.LastQuarter == 0 {
		return "too short to sample the load rate over its course"
	}
	return fmt.Sprintf("first quarter of the entries %.0f entries/s, last quarter %.0f entries/s (history tables' insert counters)", bs.FirstQuarter, bs.LastQuarter)
}

// buildLine is the header row on how the dataset was built.
func (r *report) buildLine() string {
	ds := r.dataset
	bs := ds.Build
	when := "built in this run"
	if ds.Reused {
		when = "reused, built by an earlier run " + bs.BuiltAt.Format(time.RFC3339)
	}
	return fmt.Sprintf("| dataset build | %s through the real import path: the bench generates NDJSON (%.0f MB: %d directory records, then %d entries of the "+
		"three histories interleaved) and runs `auditgraph import` on it against this PostgreSQL, then VACUUM ANALYZE on the history tables. "+
		"%.1f s in all: generation %.1f s, `auditgraph import` of the directory %.1f s, of the entries %.1f s (%s), VACUUM ANALYZE %.1f s |\n",
		when, float64(bs.FileBytes)/1e6, bs.Directory.Directory, bs.Entries.Imported, bs.Seconds, bs.GenerateSeconds,
		bs.Directory.Seconds, bs.Entries.Seconds, bs.Entries.Summary, bs.VacuumSeconds)
}

// targets checks the targets against the results.
func (r *report) targets() string {
	v := &verdicts{}
	r.deepPageTargets(v)
	r.concurrency16Targets(v)
	r.postgraphileTargets(v)
	r.resourceTargets(v)
	r.importTargets(v)
	return v.String()
}

// verdicts is the list of targets with whether each was met.
type verdicts struct{ strings.Builder }

// line adds a target: met or missed by *ok, n/a when ok is nil.
func (v *verdicts) line(ok *bool, format string, args ...any) {
	mark := "n/a"
	if ok != nil {
		mark = map[bool]string{true: "met", false: "MISSED"}[*ok]
	}
	fmt.Fprintf(v, "- **%s**: %s\n", mark, fmt.Sprintf(format, args...))
}

// pairTarget is the deep page target of one first and deep page (with the
// server's CPU when server).
func (r *report) pairTarget(v *verdicts, first, deep string, server bool) {
	fm, dm := r.results[first], r.results[deep]
	if len(fm) == 0 || len(dm) == 0 {
		v.line(nil, "deep page within 1.2× of the first: %s → %s not measured", first, deep)
		return
	}
	worst := 0.0
	var parts []string
	for i := range fm {
		if i < len(dm) && dm[i].Rate > 0 {
			x := fm[i].Rate / dm[i].Rate
			worst = max(worst, x)
			parts = append(parts, fmt.Sprintf("c=%d %.2f×", fm[i].Concurrency, x))
		}
	}
	var cpu []string
	for i := range fm {
		if server && i < len(dm) && fm[i].CPUPer1000 > 0 {
			cpu = append(cpu, fmt.Sprintf("c=%d %.2f×", fm[i].Concurrency, dm[i].CPUPer1000/fm[i].CPUPer1000))
		}
	}
	extra := ""
	if len(cpu) > 0 {
		extra = "; server CPU per request, deep ÷ first: " + strings.Join(cpu, ", ")
	}
	ok := worst <= 1.2
	v.line(&ok, "deep page within 1.2× of the first: %s → %s (throughput cost %s%s)", first, deep, strings.Join(parts, ", "), extra)
}

// deepPageTargets is the deep page target of each group, and of its floors.
func (r *report) deepPageTargets(v *verdicts) {
	floorOf := map[string]string{}
	for _, hc := range r.http {
		floorOf[hc.name] = hc.floor
	}
	seenFloors := map[[2]string]bool{}
	for _, first := range r.http {
		if first.deep || first.group == "" {
			continue
		}
		for _, deep := range r.http {
			if deep.group != first.group || !deep.deep {
				continue
			}
			if first.skipped != "" || deep.skipped != "" {
				v.line(nil, "deep page within 1.2× of the first: %s → %s skipped", first.name, deep.name)
				continue
			}
			r.pairTarget(v, first.name, deep.name, true)
			fp := [2]string{floorOf[first.name], floorOf[deep.name]}
			if fp[0] != "" && fp[1] != "" && !seenFloors[fp] {
				seenFloors[fp] = true
				r.pairTarget(v, fp[0], fp[1], false)
			}
		}
	}
}

// floorOf is the name of the floor of HTTP case name.
func (r *report) floorOf(name string) string {
	for _, hc := range r.http {
		if hc.name == name {
			return hc.floor
		}
	}
	return ""
}

// concurrency16Targets are the GraphQL first page's share of its floor,
// its p99, and REST against GraphQL, at concurrency 16.
func (r *report) concurrency16Targets(v *verdicts) {
	i := r.concIndex(16)
	if i < 0 {
		v.line(nil, "the concurrency 16 targets: concurrency 16 was not run")
	} else {
		g := r.results[gqlETFirst]
		floorName := r.floorOf(gqlETFirst)
		f := r.results[floorName]
		if len(g) > i && len(f) > i && f[i].Rate > 0 {
			share := g[i].Rate / f[i].Rate
			ok := share >= 0.25
			alone := ""
			if pa := r.results[pageAloneName]; len(pa) > i && pa[i].Rate > 0 {
				alone = fmt.Sprintf(" (for reference, the page statement alone: %.0f req/s, of which the GraphQL page is %.0f%%)", pa[i].Rate, g[i].Rate/pa[i].Rate*100)
			}
			n := 0
			for _, fc := range r.floors {
				if fc.name == floorName {
					n = len(fc.seq.statements)
				}
			}
			v.line(&ok, "GraphQL first page at concurrency 16 sustains ≥ 25%% of its floor's req/s (the server's %d statements of the request through pgx): %.0f of %.0f req/s = %.0f%%%s",
				n, g[i].Rate, f[i].Rate, share*100, alone)
		} else {
			v.line(nil, "GraphQL first page at concurrency 16 sustains ≥ 25%% of its floor's req/s: not measured")
		}
		if len(g) > i {
			ok := g[i].P99 < 10*time.Millisecond
			v.line(&ok, "GraphQL first page at concurrency 16 p99 under 10 ms: %s", ms(g[i].P99))
		}
		rest := r.results[restETFirst]
		if len(g) > i && len(rest) > i && g[i].Rate > 0 {
			d := rest[i].Rate/g[i].Rate - 1
			ok := d >= -0.10
			v.line(&ok, "REST within 10%% of GraphQL (first page, concurrency 16): %.0f vs %.0f req/s (%+.0f%%)", rest[i].Rate, g[i].Rate, d*100)
		} else {
			v.line(nil, "REST within 10%% of GraphQL: REST not measured")
		}
	}
}

// postgraphileTargets compare GraphQL's pages with PostGraphile's.
func (r *report) postgraphileTargets(v *verdicts) {
	for _, row := range []struct{ page, pgl, gql string }{{"first", pglFirst, gqlETFirst}, {"deep", pglDeep, gqlETDeep}} {
		for i, p := range r.results[row.pgl] {
			g := r.at(row.gql, i)
			if p.Rate == 0 || g.Rate == 0 {
				continue
			}
			ok := g.Rate >= 1.5*p.Rate
			v.line(&ok, "GraphQL %s page at concurrency %d ≥ 1.5× PostGraphile's req/s: %.0f vs %.0f req/s = %.2f×", row.page, p.Concurrency, g.Rate, p.Rate, g.Rate/p.Rate)
			if g.PGCPUPerReq > 0 && p.PGCPUPerReq > 0 {
				ok := g.PGCPUPerReq <= p.PGCPUPerReq
				v.line(&ok, "GraphQL %s page at concurrency %d: PostgreSQL CPU per page no higher than PostGraphile's: %s vs %s ms", row.page, p.Concurrency, pgCPU(g), pgCPU(p))
			}
		}
	}
}

// resourceTargets are the server's memory and its statements per request.
func (r *report) resourceTargets(v *verdicts) {
	maxRSS := 0.0
	for _, hc := range r.http {
		if hc.foreign != nil {
			continue
		}
		for _, m := range r.results[hc.name] {
			maxRSS = max(maxRSS, m.RSSMaxBytes)
		}
	}
	ok := maxRSS < 150e6
	v.line(&ok, "server RSS under 150 MB under load: largest seen %.0f MB", maxRSS/1e6)
	var counts []float64
	for _, l := range []int{1, 10, 25, 50} {
		counts = append(counts, r.stmtsByLimit[l])
	}
	ok = len(counts) > 0
	for _, c := range counts {
		ok = ok && c == counts[0]
	}
	v.line(&ok, "SQL statements per request constant in page size: %v for page sizes 1, 10, 25, 50", counts)
}

// importTargets are the import rates of the dataset build and the separate
// import run.
func (r *report) importTargets(v *verdicts) {
	if bs := r.dataset.Build; bs.Entries.Rate > 0 {
		ok := bs.Entries.Rate >= 50000
		v.line(&ok, "import at least 50,000 entries/s, dataset build (%d entries of the three histories into empty tables, as `auditgraph import` reports it): %.0f entries/s (%.0f by the command's wall time)",
			bs.Entries.Imported, bs.Entries.Rate, float64(bs.Entries.Imported)/max(bs.Entries.Seconds, 1e-9))
	} else {
		v.line(nil, "import at least 50,000 entries/s, dataset build: no rate recorded")
	}
	measured := false
	for _, ir := range r.ingest {
		if strings.HasPrefix(ir.Path, "auditgraph import") && ir.Entries > 0 {
			rate := ir.Reported
			if rate == 0 {
				rate = ir.rate()
			}
			ok := rate >= 50000
			v.line(&ok, "import at least 50,000 entries/s, separate run (%d event type changes into the loaded dataset, as `auditgraph import` reports it): %.0f entries/s (%.0f by the command's wall time)",
				ir.Entries, rate, ir.rate())
			measured = true
		}
	}
	if !measured {
		v.line(nil, "import at least 50,000 entries/s, separate run: not measured (see Ingest)")
	}
}

// pgCPU is the CPU of the bench database's server per request, in ms.
func pgCPU(m measurement) string {
	if m.PGCPUPerReq == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", m.PGCPUPerReq*1000)
}

// postgraphileComparison sets auditgraph's event type history pages beside
// PostGraphile's reading the same rows, with the raw SQL floor.
func (r *report) postgraphileComparison() string {
	if len(r.results[pglFirst]) == 0 {
		return ""
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## auditgraph ÷ PostGraphile v5\n\n"+
		"The same page of the same table: PostGraphile %s (amber preset, Node %s, a pool of 20 connections) serving `allEventTypeHistories` of the hot event type "+
		"ordered by `created_at, id` descending, 25 entries with every column as stored (the payload as raw text); auditgraph's GraphQL and REST `/v2` pages render every "+
		"field (display fields, titles, actor). The deep page is read by keyset on both (PostGraphile's own cursor of the entry %d deep). "+
		"Ratios are auditgraph's req/s over PostGraphile's at the same concurrency; CPU columns are per request (server: the process; PostgreSQL: the bench database's server processes). "+
		"The floor is the page statement alone through pgx. Load average before the run: %s.\n\n", postgraphileVersion, nodeVersion, r.cfg.depth, r.loadBefore)
	w("| page | c | PostGraphile req/s | auditgraph GraphQL req/s | ÷ PostGraphile | REST /v2 req/s | ÷ PostGraphile | server CPU ms/req (GraphQL / PostGraphile) | PostgreSQL CPU ms/req (GraphQL / PostGraphile) | p99 (GraphQL / PostGraphile) | raw SQL floor req/s |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range []struct{ page, pgl, gql, rest string }{
		{"first", pglFirst, gqlETFirst, restETFirst},
		{"deep", pglDeep, gqlETDeep, restETDeep},
	} {
		for i, p := range r.results[row.pgl] {
			g, rs := r.at(row.gql, i), r.at(row.rest, i)
			w("| %s | %d | %.0f | %.0f | %s | %.0f | %s | %.2f / %.2f | %s / %s | %s / %s | %s |\n", row.page, p.Concurrency, p.Rate,
				g.Rate, ratioX(g.Rate, p.Rate), rs.Rate, ratioX(rs.Rate, p.Rate), g.CPUPer1000, p.CPUPer1000, pgCPU(g), pgCPU(p),
				ms(g.P99), ms(p.P99), floorRate(r.at(pageAloneName, i)))
		}
	}
	w("\n")
	return b.String()
}

func (r *report) at(name string, i int) measurement {
	if ms := r.results[name]; i < len(ms) {
		return ms[i]
	}
	return measurement{}
}

func ratioX(a, b float64) string {
	if a == 0 || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func floorRate(m measurement) string {
	if m.Rate == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", m.Rate)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func errs(m measurement) string {
	if m.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.1f%%)", m.Errors, float64(m.Errors)/float64(m.Requests)*100)
}

func ratioPct(v, floor float64) string {
	if floor == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", v/floor*100)
}

func deepRatio(firstRate, rate float64, deep bool) string {
	if !deep || firstRate == 0 || rate == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", firstRate/rate)
}

func firstError(ms []measurement) string {
	for _, m := range ms {
		if m.FirstError != "" {
			return m.FirstError
		}
	}
	return ""
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytesTrim(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

func bytesTrim(b []byte) string { return strings.TrimSpace(string(b)) }

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	return fmt.Sprintf("%.0f GiB RAM", devproc.StatusKB(f, "MemTotal:")/1024/1024)
}

// pathOf is a URL without its scheme and host.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

// loaded reports whether a load average line shows more runnable work
// than cores over the last minute.
func loaded(avg string) bool {
	f := strings.Fields(avg)
	if len(f) == 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > float64(runtime.NumCPU())
}
