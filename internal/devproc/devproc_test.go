package devproc_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestFreePortIsFree(t *testing.T) {
	p, err := devproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d is not free: %v", p, err)
	}
	l.Close()
}

// A process is ready once Ready says so; Stop ends it with SIGTERM (which
// the script notes in its log), and may be called again.
func TestStartWaitsForReadyAndStops(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "ready")
	// The sleeper is started before the mark, so that the SIGTERM sent once
	// the mark is seen always finds it to kill.
	script := "trap 'echo terminated; kill $!; exit 0' TERM; echo started; sleep 0.3; sleep 60 & touch " + mark + "; wait $!"
	p, err := devproc.Start(context.Background(), devproc.Options{
		What: "the sleeper", Path: "sh", Args: []string{"-c", script},
		LogPath: filepath.Join(dir, "log"), Poll: 20 * time.Millisecond,
		Ready: func() bool { _, err := os.Stat(mark); return err == nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatal("Start returned before the process was ready")
	}
	p.Stop()
	p.Stop()
	if got := devproc.Tail(p.LogPath, 100); got != "started\nterminated\n" {
		t.Fatalf("log %q, want the process's output and its SIGTERM", got)
	}
}

// A process that exits before it is ready is an error naming it, with its
// log; one never ready is an error after ReadyTimeout.
func TestStartFailures(t *testing.T) {
	dir := t.TempDir()
	_, err := devproc.Start(context.Background(), devproc.Options{
		What: "the quitter", Path: "sh", Args: []string{"-c", "echo cannot start >&2; exit 3"},
		LogPath: filepath.Join(dir, "quit.log"), Ready: func() bool { return false },
	})
	if err == nil || !strings.Contains(err.Error(), "the quitter exited at start") || !strings.Contains(err.Error(), "cannot start") {
		t.Fatalf("err = %v, want the exit and the log", err)
	}
	_, err = devproc.Start(context.Background(), devproc.Options{
		What: "the sloth", Path: "sleep", Args: []string{"60"}, LogPath: filepath.Join(dir, "sloth.log"),
		Ready: func() bool { return false }, ReadyTimeout: 300 * time.Millisecond, Grace: time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "the sloth was not ready within 300ms") {
		t.Fatalf("err = %v, want not ready", err)
	}
}

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := devproc.Tail(path, 4); got != "6789" {
		t.Fatalf("Tail = %q", got)
	}
	if got := devproc.Tail(path+".missing", 4); !strings.Contains(got, "no such file") {
		t.Fatalf("Tail of a missing file = %q, want its error", got)
	}
}

// Metrics adds up a name's labelled series and skips comments and lines
// that are not a metric.
func TestMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 12\n"+
			"auditgraph_http_requests_total{route=\"/graphql\",status=\"200\"} 5\n"+
			"auditgraph_http_requests_total{route=\"/v2\",status=\"404\"} 2.5\n"+
			"garbage\nnot_a_number x\n")
	}))
	defer srv.Close()
	m, err := devproc.Metrics(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if m["go_goroutines"] != 12 || m["auditgraph_http_requests_total"] != 7.5 || len(m) != 2 {
		t.Fatalf("Metrics = %v", m)
	}
	if devproc.Answers(srv.URL+"/nope") || !devproc.Answers(srv.URL+"/metrics") {
		t.Fatal("Answers does not tell 200 from 404")
	}
}

func TestStatusKB(t *testing.T) {
	in := "Name:\tx\nVmRSS:\t  2048 kB\nMemTotal: 16 kB\n"
	if got := devproc.StatusKB(strings.NewReader(in), "VmRSS:"); got != 2048 {
		t.Fatalf("VmRSS = %v", got)
	}
	if got := devproc.StatusKB(strings.NewReader(in), "VmSwap:"); got != 0 {
		t.Fatalf("a missing key = %v, want 0", got)
	}
	if devproc.RSSBytes(os.Getpid()) <= 0 {
		t.Fatal("RSSBytes of this process is not positive")
	}
}

// CreateDatabase makes a database Exec and QueryRow reach; drop removes it.
func TestScratchDatabase(t *testing.T) {
	admin := pgtest.ServerDSN()
	if admin == "" {
		t.Skip("no PostgreSQL")
	}
	ctx := context.Background()
	name := fmt.Sprintf("devproc_%d", time.Now().UnixNano())
	dsn, drop, err := devproc.CreateDatabase(ctx, admin, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := devproc.Exec(ctx, dsn, "CREATE TABLE t (n int); INSERT INTO t VALUES (41)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := devproc.QueryRow(ctx, dsn, "SELECT n + 1 FROM t", &n); err != nil || n != 42 {
		t.Fatalf("QueryRow = %d, %v", n, err)
	}
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := devproc.QueryRow(ctx, admin, "SELECT count(*) FROM pg_database WHERE datname = '"+name+"'", &left); err != nil || left != 0 {
		t.Fatalf("after drop: %d databases named %s (%v)", left, name, err)
	}
	if _, _, err := devproc.CreateDatabase(ctx, admin, "postgres"); err == nil {
		t.Fatal("creating an existing database succeeded")
	}
}
