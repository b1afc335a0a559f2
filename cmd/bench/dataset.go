package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/uptrace/bun"
)

// The dataset: the demo directory (seed.Run's) grown to 20 organizations,
// 2,000 organization members and 1,000 event types, and `scale` entries in
// each history, all loaded by the real `auditgraph import`. One event type
// (seed.TeamEventTypeID) and one member (seed.MemberUserID in seed.AcmeID)
// are hot: they own hotEntries(scale) entries each, the rest is spread over
// the other event types and members. Entries copy the demo entries (payloads
// that render, a few hundred bytes), with timestamps spread over the last
// year.
const (
	hotEventTypeID = seed.TeamEventTypeID
	hotOrgID       = seed.AcmeID
	hotUserID      = seed.MemberUserID
	readerUserID   = seed.OwnerUserID // Acme OWNER: may read all three histories

	benchOrgFirst, benchOrgLast   = 101, 118   // 18 more organizations, one team each
	benchUserFirst, benchUserLast = 1001, 2981 // 1,981 more members (2,000 with the demo's)
	benchETFirst, benchETLast     = 1001, 1993 // 993 more event types (1,000 with the demo's)
	membershipBase                = 10000      // membership id of bench user u: membershipBase + u
)

// datasetVersion names how the dataset is made; a database holding a
// dataset made another way is rebuilt.
const datasetVersion = "import-v3-integrity-log"

// span is how far back the entries reach.
const span = 365 * 24 * time.Hour

// hotEntries is how many entries the hot event type and the hot member get:
// a tenth of the scale, and never fewer than the deep page needs.
func hotEntries(scale, depth int) int {
	h := scale / 10
	if min := depth + depth/5; h < min {
		h = min
	}
	if h > scale {
		h = scale
	}
	return h
}

// datasetInfo describes the dataset in the database.
type datasetInfo struct {
	Scale, Hot   int
	Reused       bool
	Build        buildStats
	Counts       map[string]int
	PayloadBytes map[string]int // average size of the stored payload / changes
}

// buildStats is how the dataset was built; it is kept with the dataset so
// that a run reusing it reports it too.
type buildStats struct {
	BuiltAt time.Time `json:"builtAt"`
	// Seconds is the whole build: generation, both imports, VACUUM ANALYZE.
	Seconds float64 `json:"seconds"`
	// GenerateSeconds writes the two NDJSON files of FileBytes.
	GenerateSeconds float64 `json:"generateSeconds"`
	FileBytes       int64   `json:"fileBytes"`
	// Directory is `auditgraph import` of the directory file.
	Directory importOutcome `json:"directory"`
	// Entries is `auditgraph import` of the entries file.
	Entries importOutcome `json:"entries"`
	// FirstQuarter and LastQuarter are the load rates (entries/s) over the
	// first and the last quarter of the entries import, from the history
	// tables' insert counters sampled during it (0: the import was too short
	// for the counters, which PostgreSQL publishes about once a second): how
	// much the growing tables and indexes slow the load down.
	FirstQuarter float64 `json:"firstQuarter"`
	LastQuarter  float64 `json:"lastQuarter"`
	// LoadBefore and LoadAfter are the load average around the entries import.
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
	// Concurrent is what else ran on the machine during the entries import
	// (the busiest processes other than the import and PostgreSQL).
	Concurrent    string  `json:"concurrent"`
	VacuumSeconds float64 `json:"vacuumSeconds"`
}

const markerDDL = `CREATE TABLE IF NOT EXISTS bench_dataset (
  scale bigint PRIMARY KEY, hot bigint NOT NULL, version text NOT NULL, stats jsonb NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now())`

// ensureDataset reuses the dataset when its marker row says it was built
// completely at this scale, the current way; otherwise it builds it into the
// (empty) database with bin, the auditgraph binary.
func ensureDataset(ctx context.Context, d *db.DB, bin, databaseURL, dir string, scale, hot int) (*datasetInfo, error) {
	info := &datasetInfo{Scale: scale, Hot: hot}
	if _, err := d.ExecContext(ctx, markerDDL); err != nil {
		return nil, err
	}
	var rows []struct {
		Hot   int    `bun:"hot"`
		Stats []byte `bun:"stats"`
	}
	if err := d.NewRaw("SELECT hot, stats::text AS stats FROM bench_dataset WHERE scale = ? AND version = ?", scale, datasetVersion).
		Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 1 && rows[0].Hot == hot && json.Unmarshal(rows[0].Stats, &info.Build) == nil {
		info.Reused = true
		logf("reusing the dataset at scale %d (built %s through auditgraph import in %.1f s)", scale,
			info.Build.BuiltAt.Format(time.RFC3339), info.Build.Seconds)
	} else {
		if err := buildDataset(ctx, d, bin, databaseURL, dir, scale, hot, &info.Build); err != nil {
			return nil, err
		}
		stats, err := json.Marshal(info.Build)
		if err != nil {
			return nil, err
		}
		if _, err := d.ExecContext(ctx, "INSERT INTO bench_dataset (scale, hot, version, stats) VALUES (?, ?, ?, ?::jsonb)",
			scale, hot, datasetVersion, string(stats)); err != nil {
			return nil, err
		}
	}
	info.Counts = map[string]int{}
	info.PayloadBytes = map[string]int{}
	for _, t := range []struct{ table, col string }{
		{"event_type_history", "payload"}, {"attribute_assignment_history", "changes"}, {"member_change_logs", "changes"},
	} {
		var c struct {
			N   int `bun:"n"`
			Avg int `bun:"avg"`
		}
		// The sample keeps this cheap on large tables.
		if err := d.NewRaw("SELECT (SELECT count(*) FROM "+t.table+") AS n, "+
			"(SELECT coalesce(avg(octet_length("+t.col+")), 0)::int FROM (SELECT "+t.col+" FROM "+t.table+" LIMIT 10000) s) AS avg").
			Scan(ctx, &c); err != nil {
			return nil, err
		}
		info.Counts[t.table], info.PayloadBytes[t.table] = c.N, c.Avg
	}
	return info, nil
}

var historyTables = db.HistoryTables

// buildDataset writes the dataset as NDJSON and loads it with `auditgraph
// import`: the directory file, then the entries file (two runs, so that the
// entries' rate is not diluted by the directory records, which are upserted
// one at a time). Then VACUUM ANALYZE, as autovacuum keeps a live database.
func buildDataset(ctx context.Context, d *db.DB, bin, databaseURL, dir string, scale, hot int, st *buildStats) error {
	begin := time.Now()
	logf("building the dataset through auditgraph import: %d entries per history, %d for the hot event type and the hot member", scale, hot)
	dm, err := captureDemo(ctx)
	if err != nil {
		return err
	}
	tpl, err := templates(dm)
	if err != nil {
		return err
	}
	dirPath, entriesPath := filepath.Join(dir, "directory.ndjson"), filepath.Join(dir, "entries.ndjson")
	defer os.Remove(dirPath)
	defer os.Remove(entriesPath)
	records, err := writeDirectory(dirPath, dm)
	if err != nil {
		return fmt.Errorf("write %s: %w", dirPath, err)
	}
	plan := &entryPlan{scale: scale, hot: hot, start: time.Now().UTC().Add(-span).Truncate(time.Second)}
	entries, err := writeEntries(entriesPath, plan, tpl)
	if err != nil {
		return fmt.Errorf("write %s: %w", entriesPath, err)
	}
	st.GenerateSeconds = time.Since(begin).Seconds()
	for _, p := range []string{dirPath, entriesPath} {
		if fi, err := os.Stat(p); err == nil {
			st.FileBytes += fi.Size()
		}
	}
	logf("  %-32s %.1f s: %d directory records, %d entries, %.0f MB of NDJSON", "generate", st.GenerateSeconds, records, entries, float64(st.FileBytes)/1e6)

	out, err := runImport(ctx, bin, databaseURL, dirPath, nil)
	if err != nil {
		return fmt.Errorf("import the directory: %w", err)
	}
	st.Directory = *out
	logf("  %-32s %.1f s: %s", "auditgraph import (directory)", out.Seconds, out.Summary)
	if out.Directory != records {
		return fmt.Errorf("import the directory: %d of %d records upserted:\n%s", out.Directory, records, out.Output)
	}

	st.LoadBefore = loadavg()
	sampler := newInsertSampler(ctx, d)
	watch := watchProcesses(postmasterPID(ctx, d))
	out, err = runImport(ctx, bin, databaseURL, entriesPath, sampler.started)
	ended := sampler.elapsed()
	samples := sampler.stop()
	st.Concurrent = watch()
	st.LoadAfter = loadavg()
	if err != nil {
		return fmt.Errorf("import the entries: %w", err)
	}
	st.Entries = *out
	st.FirstQuarter, st.LastQuarter = quarterRates(samples, out.Imported, ended)
	logf("  %-32s %.1f s: %s; first quarter %.0f entries/s, last quarter %.0f entries/s; %s", "auditgraph import (entries)",
		out.Seconds, out.Summary, st.FirstQuarter, st.LastQuarter, st.Concurrent)
	if out.Imported != entries {
		return fmt.Errorf("import the entries: %d of %d imported:\n%s", out.Imported, entries, out.Output)
	}

	vacuum := time.Now()
	// Fresh statistics and visibility map, as autovacuum keeps them on a live database.
	vis, err := d.VacuumAnalyze(ctx, historyTables...)
	if err != nil {
		return err
	}
	for _, v := range vis {
		logf("  %-32s %d of %d pages all-visible", "vacuum "+v.Table, v.AllVisible, v.Pages)
	}
	st.VacuumSeconds = time.Since(vacuum).Seconds()
	st.Seconds = time.Since(begin).Seconds()
	st.BuiltAt = time.Now().UTC()
	return nil
}

// importOutcome is one run of `auditgraph import`.
type importOutcome struct {
	// Seconds is the wall time of the command, process start included.
	Seconds float64 `json:"seconds"`
	// Summary is the binary's "N lines read in D (R entries/s)" line;
	// Reported and Rate are its duration and rate (the import itself:
	// reading, validating and loading, after the database is open).
	Summary   string  `json:"summary"`
	Reported  float64 `json:"reported"`
	Rate      float64 `json:"rate"`
	Lines     int     `json:"lines"`
	Imported  int64   `json:"imported"`
	Directory int     `json:"directory"`
	Rejected  int     `json:"rejected"`
	// CPUSeconds is the user and system time of the import process.
	CPUSeconds float64 `json:"cpuSeconds"`
	Output     string  `json:"-"`
}

var (
	importedRE  = regexp.MustCompile(`imported: (\d+) entries[^\n]*?(?:, (\d+) directory records)?\n`)
	linesReadRE = regexp.MustCompile(`(\d+) lines read in (\S+)(?: \((\d+) entries/s\))?`)
	rejectedRE  = regexp.MustCompile(`rejected: (\d+)`)
)

// runImport runs `auditgraph import path` on the database and parses its
// summary; started, if set, is called just before the process starts.
func runImport(ctx context.Context, bin, databaseURL, path string, started func()) (*importOutcome, error) {
	cmd := exec.CommandContext(ctx, bin, "import", path)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if started != nil {
		started()
	}
	begin := time.Now()
	err := cmd.Run()
	out := &importOutcome{Seconds: time.Since(begin).Seconds(), Output: buf.String()}
	if ps := cmd.ProcessState; ps != nil {
		out.CPUSeconds = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	m := linesReadRE.FindStringSubmatch(out.Output)
	if m == nil {
		if err == nil {
			err = fmt.Errorf("no summary in the output")
		}
		return out, fmt.Errorf("%v: %.1000s", err, out.Output)
	}
	out.Summary = strings.TrimSpace(m[0])
	out.Lines, _ = strconv.Atoi(m[1])
	if dur, perr := time.ParseDuration(m[2]); perr == nil {
		out.Reported = dur.Seconds()
	}
	out.Rate, _ = strconv.ParseFloat(m[3], 64)
	if m := importedRE.FindStringSubmatch(out.Output); m != nil {
		out.Imported, _ = strconv.ParseInt(m[1], 10, 64)
		out.Directory, _ = strconv.Atoi(m[2])
	}
	if m := rejectedRE.FindStringSubmatch(out.Output); m != nil {
		out.Rejected, _ = strconv.Atoi(m[1])
	}
	if err != nil {
		return out, fmt.Errorf("%v: %.1000s", err, out.Output)
	}
	return out, nil
}

// insertSampler samples the history tables' insert counters
// (pg_stat_user_tables) every 250 ms while an import runs.
type insertSampler struct {
	mu      sync.Mutex
	samples []insertSample
	base    int64
	done    chan struct{}
	wg      sync.WaitGroup
	startFn func()
	t0      time.Time
}

type insertSample struct {
	at time.Duration // since the import started
	n  int64         // entries inserted since it started
}

func newInsertSampler(ctx context.Context, d *db.DB) *insertSampler {
	s := &insertSampler{done: make(chan struct{})}
	count := func() (int64, bool) {
		var n int64
		err := d.NewRaw("SELECT coalesce(sum(n_tup_ins), 0)::bigint FROM pg_stat_user_tables WHERE relname IN (?)",
			bun.List(historyTables)).Scan(ctx, &n)
		return n, err == nil
	}
	s.base, _ = count()
	start := make(chan time.Time, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var t0 time.Time
		select {
		case t0 = <-start:
		case <-s.done:
			return
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
			if n, ok := count(); ok {
				s.mu.Lock()
				s.samples = append(s.samples, insertSample{at: time.Since(t0), n: n - s.base})
				s.mu.Unlock()
			}
		}
	}()
	s.startFn = func() { start <- time.Now() }
	return s
}

func (s *insertSampler) started() {
	s.mu.Lock()
	s.t0 = time.Now()
	s.mu.Unlock()
	s.startFn()
}

// elapsed is the time since the import started.
func (s *insertSampler) elapsed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.t0)
}

func (s *insertSampler) stop() []insertSample {
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// quarterRates are the load rates over the first and the last quarter of
// total entries, from the samples: up to the first sample at or past 25 %
// (from the start), and from the last sample below 75 % to the end of the
// import. Imports shorter than 20 s give zeros: the counters move about
// once a second, too coarse for them.
func quarterRates(samples []insertSample, total int64, end time.Duration) (first, last float64) {
	if total <= 0 || end < 20*time.Second {
		return 0, 0
	}
	for _, s := range samples {
		if s.n*4 >= total && s.at > 0 {
			first = float64(s.n) / s.at.Seconds()
			break
		}
	}
	for i := len(samples) - 1; i >= 0; i-- {
		if s := samples[i]; s.n*4 < total*3 && end > s.at {
			last = float64(total-s.n) / (end - s.at).Seconds()
			break
		}
	}
	return first, last
}

// postmasterPID is the process id of the bench database's PostgreSQL
// server when it runs on this machine (the parent of this session's
// backend, both named postgres), 0 otherwise.
func postmasterPID(ctx context.Context, d *db.DB) int {
	var backend int
	if err := d.NewRaw("SELECT pg_backend_pid()").Scan(ctx, &backend); err != nil {
		return 0
	}
	procs := procTicks()
	p, ok := procs[backend]
	if !ok || p.name != "postgres" || procs[p.ppid].name != "postgres" {
		return 0
	}
	return p.ppid
}
