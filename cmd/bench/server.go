package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
)

// serverProc is the real auditgraph binary, serving the bench database.
type serverProc struct{ *devproc.Server }

// startServer runs `auditgraph serve` on a loopback port with rate limiting
// off; its log goes to a file in dir.
func startServer(ctx context.Context, bin, dir, databaseURL string, extraEnv []string) (*serverProc, error) {
	srv, err := devproc.StartServer(ctx, bin, devproc.ServerOptions{
		Env:     append([]string{"DATABASE_URL=" + databaseURL, "AUDITGRAPH_RATE_LIMIT=0", "AUDITGRAPH_DEMO=false"}, extraEnv...),
		LogPath: filepath.Join(dir, "server.log"), Grace: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return &serverProc{srv}, nil
}

// serverMetrics are the series of /metrics the bench reads.
type serverMetrics struct {
	Statements float64 // auditgraph_sql_statements_total
	Requests   float64 // auditgraph_http_requests_total, all routes and statuses
	CPUSeconds float64 // process_cpu_seconds_total
	RSSBytes   float64 // process_resident_memory_bytes
}

func (p *serverProc) metrics() (serverMetrics, error) {
	m, err := devproc.Metrics(p.Base)
	if err != nil {
		return serverMetrics{}, err
	}
	return serverMetrics{
		Statements: m["auditgraph_sql_statements_total"],
		Requests:   m["auditgraph_http_requests_total"],
		CPUSeconds: m["process_cpu_seconds_total"],
		RSSBytes:   m["process_resident_memory_bytes"],
	}, nil
}
