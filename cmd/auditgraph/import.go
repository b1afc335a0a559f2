package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

var importCommand = &command{
	name:    "import",
	args:    "FILE.ndjson|- [flags]",
	summary: "Import directory records and history entries from NDJSON (one record per line; - reads stdin).",
	details: `Every line is one JSON object whose "kind" is organization, team, user,
membership, customRole, eventType, attribute (directory records, upserted by
id), or attributeChange, eventTypeChange, memberChangeLog (history entries,
naming their organization in organizationId). The format, with an example
line of every kind, is in README.md under "Importing (NDJSON)"; the file
examples/import.ndjson imports as it is.`,
	run: importRun,
}

// importStdin is where `import -` reads; tests replace it.
var importStdin io.Reader = os.Stdin

// errRejected makes the exit code 1 once the summary has said which lines
// were rejected; it adds nothing to what was printed.
type errRejected struct{ n int }

func (e *errRejected) Error() string { return fmt.Sprintf("import: %d line(s) rejected", e.n) }

func importRun(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL string
	var batch int
	var progress bool
	var gcPercent int
	databaseFlag(f, &dbURL)
	gcPercentFlag(f, &gcPercent)
	f.IntVar(&batch, "batch", ingest.DefaultImportBatch, "entries per bulk load")
	f.BoolVar(&progress, "progress", true, "show a progress bar when stderr is a terminal")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		f.Usage()
		return usagef("import: want exactly one FILE (or - for stdin)")
	}
	if err := setGCPercent(e, gcPercent); err != nil {
		return err
	}
	var in io.Reader
	var size int64 = -1
	if rest[0] == "-" {
		in = importStdin
	} else {
		file, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		in = file
	}
	d, _, err := openMigratedReporting(ctx, e, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	var bar *progressbar.ProgressBar
	if progress && e.stderr == os.Stderr && isatty.IsTerminal(os.Stderr.Fd()) {
		bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("importing"), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		in = io.TeeReader(in, bar)
	}
	store := db.NewStore(d)
	start := time.Now()
	sum, err := ingest.Import(ctx, store, store, in, ingest.ImportOptions{BatchSize: batch})
	if bar != nil {
		bar.Finish()
	}
	printImportSummary(e.stdout, sum, time.Since(start))
	if err != nil {
		return err
	}
	if sum.Rejected > 0 {
		for _, r := range sum.Rejections {
			fmt.Fprintln(e.stderr, r)
		}
		if more := sum.Rejected - len(sum.Rejections); more > 0 {
			fmt.Fprintf(e.stderr, "… and %d more rejected line(s)\n", more)
		}
		return &errRejected{n: sum.Rejected}
	}
	return nil
}

func printImportSummary(w io.Writer, sum *ingest.Summary, took time.Duration) {
	if sum == nil {
		return
	}
	n := sum.TotalImported()
	rate := ""
	if s := took.Seconds(); s > 0 && n > 0 {
		rate = fmt.Sprintf(" (%.0f entries/s)", float64(n)/s)
	}
	fmt.Fprintf(w, "%d lines read in %s%s\n", sum.Lines, took.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "imported: %d entries (%d attribute changes, %d event type changes, %d member change logs), %d directory records\n",
		n, sum.Imported[ingest.KindAttributeChange], sum.Imported[ingest.KindEventTypeChange], sum.Imported[ingest.KindMemberChangeLog], sum.Directory)
	fmt.Fprintf(w, "skipped as duplicates: %d\n", sum.Duplicates)
	fmt.Fprintf(w, "rejected: %d\n", sum.Rejected)
}
