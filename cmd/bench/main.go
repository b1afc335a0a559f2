// Command bench measures how fast auditgraph serves history pages at a
// realistic scale, against the floor of the same SQL run through pgx.
//
// It builds (or reuses) a dataset on PostgreSQL through the real
// `auditgraph import`, starts the real server binary on it, records the SQL
// the server issues for each case's request (its floor), then drives every
// case and every floor at each concurrency for a fixed duration, and writes
// a markdown report to bench/results/.
//
// PostgreSQL: the server of DATABASE_URL (a database auditgraph_bench_<scale>
// is created there and kept, so later runs reuse the dataset), otherwise a
// private throw-away server started from the local PostgreSQL binaries (the
// dataset is then rebuilt on every run).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	scale         int
	depth         int
	duration      time.Duration
	warmup        time.Duration
	concurrency   []int
	out           string
	label         string
	ingest        time.Duration
	importEntries int
	postgraphile  bool
	integrity     bool
}

func main() {
	c := config{}
	var conc string
	flag.IntVar(&c.scale, "scale", 1_000_000, "entries in each of the three histories")
	flag.IntVar(&c.depth, "depth", 50_000, "how deep the deep pages start")
	flag.DurationVar(&c.duration, "duration", 30*time.Second, "how long each case runs at each concurrency")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "warm-up of each case before it is measured")
	flag.StringVar(&conc, "concurrency", "1,16,64", "comma-separated concurrencies")
	flag.StringVar(&c.out, "out", "bench/results", "directory of the reports; empty: print only")
	flag.StringVar(&c.label, "label", "", "report file suffix (default: the scale)")
	flag.DurationVar(&c.ingest, "ingest", 5*time.Second, "how long the record mutation and the store append are measured; 0: skip ingest")
	flag.IntVar(&c.importEntries, "import-entries", 200_000, "entries in the file given to auditgraph import")
	flag.BoolVar(&c.postgraphile, "postgraphile", true, "compare with PostGraphile "+postgraphileVersion+" on Node "+nodeVersion+", installed from npm into the user cache directory")
	flag.BoolVar(&c.integrity, "integrity", true, "measure the integrity log: proof latency over REST and auditgraph verify of the whole database")
	flag.Parse()
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: bad -concurrency %q\n", conc)
			os.Exit(2)
		}
		c.concurrency = append(c.concurrency, n)
	}
	if c.scale < 1000 || c.depth < 1 {
		fmt.Fprintln(os.Stderr, "bench: -scale must be at least 1000 and -depth positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
