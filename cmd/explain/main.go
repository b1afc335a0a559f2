// Command explain shows how PostgreSQL executes every history page read of
// the store on a large history: it fills a scratch database with the demo
// directory and at least 100,000 entries per history, runs the store's own
// reads, and prints EXPLAIN (ANALYZE, BUFFERS) of each SQL statement they
// sent, and a table of what each statement cost (median time, buffers). It
// exits 1 when a page read sorts or scans a history table sequentially, since
// a page must cost the same however deep it is, and when a count scans a
// history table sequentially.
//
// It uses the PostgreSQL server of DATABASE_URL when set (creating and
// dropping a scratch database there, so no real data is touched), otherwise a
// private throw-away server started from the local PostgreSQL binaries.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
)

func main() {
	rows := flag.Int("rows", 120_000, "entries written per history scope (at least 100000 for a meaningful plan)")
	depth := flag.Int("depth", 50_000, "how deep in the history the deep pages start")
	histories := flag.String("histories", strings.Join(db.HistoryTables, ","),
		"comma-separated history tables to fill and read (the others keep the demo entries alone)")
	flag.Parse()
	only := map[string]bool{}
	for _, h := range strings.Split(*histories, ",") {
		if h = strings.TrimSpace(h); !slices.Contains(db.HistoryTables, h) {
			fmt.Fprintf(os.Stderr, "explain: -histories: %q is not one of %s\n", h, strings.Join(db.HistoryTables, ", "))
			os.Exit(2)
		}
		only[h] = true
	}
	if *rows < 1000 || *depth >= *rows {
		fmt.Fprintln(os.Stderr, "explain: -rows must be at least 1000 and -depth below -rows")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, *rows, *depth, only)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "explain: %v\n", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, rows, depth int, only map[string]bool) (int, error) {
	scratch, err := newScratch(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return 1, err
	}
	defer scratch.close()

	d, err := db.Open(scratch.url, db.Options{})
	if err != nil {
		return 1, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return 1, err
	}
	store := db.NewStore(d)
	if _, err := seed.Run(ctx, store); err != nil {
		return 1, fmt.Errorf("seed: %w", err)
	}
	begin := time.Now()
	counts, err := fill(ctx, d, store, rows, only)
	if err != nil {
		return 1, fmt.Errorf("fill: %w", err)
	}
	fmt.Printf("Filled %s in %s: event_type_history %d rows, attribute_assignment_history %d rows, member_change_logs %d rows.\n",
		scratch.describe, time.Since(begin).Round(time.Millisecond),
		counts["event_type_history"], counts["attribute_assignment_history"], counts["member_change_logs"])

	// The recorder sees the page reads' statements.
	rec := &recorder{}
	d.AddQueryHook(rec)
	reads, err := pageReads(ctx, d, store, depth, only)
	if err != nil {
		return 1, err
	}
	results, err := explainAll(ctx, d, rec, reads)
	if err != nil {
		return 1, err
	}
	if !report(results) {
		return 1, nil
	}
	return 0, nil
}
