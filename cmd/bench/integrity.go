package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/db"
)

// The integrity log's costs at the bench's scale. The dataset build and the
// import measurement already run with the log (every import logs its
// entries); this section adds what only shows at scale: the latency of one
// entry's proof in the hot organization's stream (its largest), served
// over REST, and `auditgraph verify` over the whole database.

type integrityResult struct {
	StreamSize   int64
	Proofs       int
	Mean         time.Duration
	P50, P99     time.Duration
	VerifyLine   string
	VerifyRate   float64
	VerifyWall   float64
	VerifyRead   int64
	Note         string
	VerifyFailed string
}

var verifiedLine = regexp.MustCompile(`verified (\d+) entries .* ([0-9.]+) entries/s; (\d+) findings`)

func measureIntegrity(ctx context.Context, bin string, srv *serverProc, d *db.DB, databaseURL, verifierKey, apiKey string) integrityResult {
	var r integrityResult
	_ = d.NewRaw("SELECT size FROM log_streams WHERE stream = ?", fmt.Sprintf("org/%d", hotOrgID)).Scan(ctx, &r.StreamSize)
	// Entries of the hot event type (in the hot organization's stream),
	// sampled across the table.
	var ids []string
	if err := d.NewRaw("SELECT id::text FROM event_type_history TABLESAMPLE SYSTEM (2) WHERE event_type_id = ? LIMIT 200",
		hotEventTypeID).Scan(ctx, &ids); err != nil || len(ids) == 0 {
		r.Note = fmt.Sprintf("no entries to prove: %v", err)
		return r
	}
	var lat []time.Duration
	var total time.Duration
	for _, id := range ids {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.Base+"/integrity/entries/event-types/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+apiKey)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			r.Note = err.Error()
			return r
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		el := time.Since(start)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"inclusionProof"`) {
			r.Note = fmt.Sprintf("proof of %s: %d %.200s", id, resp.StatusCode, body)
			return r
		}
		lat = append(lat, el)
		total += el
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.Proofs, r.Mean = len(lat), total/time.Duration(len(lat))
	r.P50, r.P99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]

	logf("integrity: verify over the whole database")
	cmd := exec.CommandContext(ctx, bin, "verify", "-key", verifierKey)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	start := time.Now()
	out, err := cmd.Output()
	r.VerifyWall = time.Since(start).Seconds()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	r.VerifyLine = lines[len(lines)-1]
	m := verifiedLine.FindStringSubmatch(r.VerifyLine)
	if err != nil || m == nil || m[3] != "0" {
		r.VerifyFailed = fmt.Sprintf("verify: %v: %.300s", err, r.VerifyLine)
		return r
	}
	r.VerifyRead, _ = strconv.ParseInt(m[1], 10, 64)
	r.VerifyRate, _ = strconv.ParseFloat(m[2], 64)
	return r
}

func (r integrityResult) markdown(w func(string, ...any)) {
	w("\n## Integrity log\n\nEvery write above ran with the tamper-evident log: the dataset build and the import rows are import *with* the log. " +
		"Proofs: `GET /integrity/entries/event-types/{id}` for entries of the hot event type sampled across its history, one at a time, " +
		"wall time at the client (HTTP, access check, reading stored hashes, computing the proof). Verify: `auditgraph verify -key …` " +
		"over the whole database (every entry re-encoded and hashed, every stream's root checked against its signed checkpoints).\n\n")
	if r.Note != "" {
		w("Not measured: %s\n\n", r.Note)
		return
	}
	w("| measure | figure |\n|---|---:|\n")
	w("| proof latency, stream org/%d of %d entries (%d proofs) | mean %s, p50 %s, p99 %s |\n",
		hotOrgID, r.StreamSize, r.Proofs, r.Mean.Round(time.Microsecond), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	if r.VerifyFailed != "" {
		w("| verify | FAILED: %s |\n\n", r.VerifyFailed)
		return
	}
	w("| verify, %d entries | %.0f entries/s (%.1f s wall, process start included) |\n\n", r.VerifyRead, r.VerifyRate, r.VerifyWall)
}
