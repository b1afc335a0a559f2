// Command hatest is `make ha-test`: it builds a pg_auto_failover cluster
// from the Debian packages on this machine (a monitor and two PostgreSQL
// nodes with synchronous replication, each run by its own pg_autoctl
// keeper), runs auditgraph on it through a multi-host DATABASE_URL with
// target_session_attrs=read-write, records entries under load (each retried
// with its idempotency key until acknowledged), kills the primary's keeper
// and server as a dying machine would, and counts what was acknowledged
// against what the new primary stores. It exits 1 if an acknowledged entry
// is missing or an idempotency key is stored twice.
//
// It needs pg_autoctl (Debian: postgresql-15-auto-failover, which the make
// target installs) and the PostgreSQL 15 server binaries, and runs them as
// the postgres user when started as root. Everything lives in a temporary
// directory removed at the end.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

var (
	pgBin    = flag.String("pg-bin", "/usr/lib/postgresql/15/bin", "directory of the PostgreSQL server binaries (pg_ctl)")
	load     = flag.Duration("load", 3*time.Second, "how long to write before the kill, and after the first write on the new primary")
	writers  = flag.Int("writers", 4, "concurrent writers")
	defaults = flag.Bool("default-timeouts", false, "keep the monitor's default health check timeouts (failover then takes about 30s)")
	keep     = flag.Bool("keep", false, "leave the cluster's directory in place (its processes are stopped)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ha-test:", err)
		os.Exit(1)
	}
}

// cluster is the pg_auto_failover monitor and nodes this run started.
type cluster struct {
	dir   string
	cred  *syscall.Credential
	procs map[string]*exec.Cmd // keeper by node name
	all   []*exec.Cmd          // every keeper started, killed or not
	mu    sync.Mutex
	ports map[string]int
	env   []string
	admin string // the monitor's database as the postgres superuser
	step  func(string)
}

func run() error {
	if _, err := exec.LookPath("pg_autoctl"); err != nil {
		return errors.New("pg_autoctl not found: apt-get install postgresql-15-auto-failover")
	}
	c, err := newCluster()
	if err != nil {
		return err
	}
	defer c.teardown()
	c.teardownOnSignal()
	ctx := context.Background()
	if err := c.startMonitor(ctx); err != nil {
		return err
	}
	for _, name := range []string{"node1", "node2"} {
		if err := c.startNode(ctx, name); err != nil {
			return err
		}
	}
	if err := c.checkSynchronous(ctx); err != nil {
		return err
	}
	w, stopServing, err := c.serve(ctx)
	if err != nil {
		return err
	}
	defer stopServing()
	f, err := c.failover(ctx, w)
	if err != nil {
		return err
	}
	return c.count(ctx, w, f)
}

// newCluster makes the run's directory (owned by the postgres user when
// run as root), the environment of its keepers and a port for each server.
func newCluster() (*cluster, error) {
	c := &cluster{procs: map[string]*exec.Cmd{}, ports: map[string]int{}, step: stepper()}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "auditgraph-ha-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			c.teardown()
			return nil, err
		}
	}
	// pg_autoctl keeps its configuration and state under XDG directories:
	// inside the run's directory, not in the postgres user's home.
	c.env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"PG_CONFIG=", "PATH="+*pgBin+":"+os.Getenv("PATH"))
	for _, name := range []string{"monitor", "node1", "node2"} {
		p, err := devproc.FreePort()
		if err != nil {
			c.teardown()
			return nil, err
		}
		c.ports[name] = p
	}
	c.admin = c.url("monitor", "pg_auto_failover")
	return c, nil
}

// teardownOnSignal makes an interrupted run still stop what it started.
func (c *cluster) teardownOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		c.teardown()
		os.Exit(1)
	}()
}

// url is the postgres superuser's URL of database on server name.
func (c *cluster) url(name, database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.ports[name], database)
}

// startMonitor starts the monitor and, unless -default-timeouts, shortens
// its health checks.
func (c *cluster) startMonitor(ctx context.Context) error {
	if err := c.keeper("monitor", "create", "monitor", "--pgdata", filepath.Join(c.dir, "monitor"), "--pgport", strconv.Itoa(c.ports["monitor"]),
		"--pgctl", filepath.Join(*pgBin, "pg_ctl"), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run"); err != nil {
		return err
	}
	if err := waitSQL(ctx, c.admin, "SELECT 1", 60*time.Second); err != nil {
		return fmt.Errorf("monitor: %w\n%s", err, c.logs("monitor"))
	}
	c.step("monitor up")
	if *defaults {
		return nil
	}
	// Shorter than the defaults (5s checks, 20s to call a node unhealthy),
	// so that the run takes seconds; production keeps the defaults or tunes
	// them to its network.
	for _, set := range []string{
		"pgautofailover.health_check_period = 1000",
		"pgautofailover.health_check_timeout = 1000",
		"pgautofailover.health_check_max_retries = 1",
		"pgautofailover.health_check_retry_delay = 500",
		"pgautofailover.node_considered_unhealthy_timeout = 3000",
		// How long the monitor waits for an unreachable primary to demote
		// itself before promoting the standby (default 30s).
		"pgautofailover.primary_demote_timeout = 5000",
	} {
		if err := devproc.Exec(ctx, c.admin, "ALTER SYSTEM SET "+set); err != nil {
			return err
		}
	}
	return devproc.Exec(ctx, c.admin, "SELECT pg_reload_conf()")
}

// startNode starts node1 (which becomes the single node) or node2 (made
// from node1's base backup, which becomes its secondary).
func (c *cluster) startNode(ctx context.Context, name string) error {
	monitorURL := fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", c.ports["monitor"])
	if err := c.keeper(name, "create", "postgres", "--pgdata", filepath.Join(c.dir, name), "--pgport", strconv.Itoa(c.ports[name]),
		"--pgctl", filepath.Join(*pgBin, "pg_ctl"), "--hostname", "127.0.0.1", "--name", name, "--dbname", "auditgraph",
		"--monitor", monitorURL, "--auth", "trust", "--no-ssl", "--run"); err != nil {
		return err
	}
	want := map[string]string{"node1": "single", "node2": "secondary"}[name]
	if name == "node2" {
		defer c.hurryBaseBackup(ctx)()
	}
	if err := waitState(ctx, c.admin, name, want, 120*time.Second); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, c.logs(name))
	}
	c.step(name + " is " + want)
	return nil
}

// hurryBaseBackup checkpoints node1 every 2s until the returned function is
// called: pg_autoctl copies the standby with pg_basebackup's default spread
// checkpoint, which takes minutes on an idle primary; an explicit
// CHECKPOINT makes it finish at once.
func (c *cluster) hurryBaseBackup(ctx context.Context) func() {
	done := make(chan struct{})
	node1 := c.url("node1", "postgres")
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Second):
				devproc.Exec(ctx, node1, "CHECKPOINT") //nolint:errcheck
			}
		}
	}()
	return func() { close(done) }
}

// checkSynchronous waits for node1 to be the primary and checks that it
// replicates synchronously.
func (c *cluster) checkSynchronous(ctx context.Context) error {
	if err := waitState(ctx, c.admin, "node1", "primary", 60*time.Second); err != nil {
		return err
	}
	var syncNames string
	if err := devproc.QueryRow(ctx, c.url("node1", "postgres"), "SHOW synchronous_standby_names", &syncNames); err != nil {
		return err
	}
	c.step("replication: synchronous_standby_names = " + syncNames)
	if syncNames == "" {
		return errors.New("the primary does not replicate synchronously")
	}
	return nil
}

// serve migrates and seeds the cluster through a multi-host URL and serves
// auditgraph on it in this process; it returns the write load to run
// against it and a function stopping the server.
func (c *cluster) serve(ctx context.Context) (*writeLoad, func(), error) {
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/auditgraph?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		c.ports["node1"], c.ports["node2"])
	if err := db.MigrateURL(ctx, dbURL); err != nil {
		return nil, nil, err
	}
	d, err := db.Open(dbURL, db.Options{MaxOpenConns: 16, StatementTimeout: 10 * time.Second})
	if err != nil {
		return nil, nil, err
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	cfg := server.Defaults()
	cfg.RateLimit = 0
	srv, err := wire.Server(cfg, store, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	hs := httptest.NewServer(srv.Handler())
	c.step("auditgraph serving on " + hs.URL + " over " + dbURL)
	w := &writeLoad{url: hs.URL, key: res.Keys["writer"], acked: map[string]bool{}, codes: map[string]int{}}
	return w, func() { hs.Close(); d.Close() }, nil
}

// failoverTimes is what the failover took.
type failoverTimes struct {
	before   int // entries acknowledged before the kill
	killed   time.Time
	promoted time.Duration
	first    time.Time // the first write acknowledged after the kill
}

// failover writes for -load, kills node1, waits for node2's promotion and
// the first acknowledged write after the kill, and writes for -load more.
func (c *cluster) failover(ctx context.Context, w *writeLoad) (failoverTimes, error) {
	var f failoverTimes
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range *writers {
		wg.Go(func() { w.run(i, stop) })
	}
	// A writer retries its entry until acknowledged: they are waited for
	// only once the new primary acknowledges writes.
	stopWriters := func() { close(stop); wg.Wait() }
	time.Sleep(*load)
	f.before = w.count()
	f.killed = time.Now()
	w.setKilled(f.killed)
	if err := c.kill("node1"); err != nil {
		return f, err
	}
	c.step(fmt.Sprintf("killed node1 (keeper and PostgreSQL) with %d entries acknowledged", f.before))
	if err := waitState(ctx, c.admin, "node2", "wait_primary", 120*time.Second); err != nil {
		if err2 := waitState(ctx, c.admin, "node2", "primary", time.Second); err2 != nil {
			return f, fmt.Errorf("node2 not promoted: %w\n%s", err, c.logs("node2"))
		}
	}
	f.promoted = time.Since(f.killed)
	c.step(fmt.Sprintf("node2 promoted %.1fs after the kill", f.promoted.Seconds()))
	if f.first = w.waitFirstAfterKill(120 * time.Second); f.first.IsZero() {
		stopWriters()
		return f, fmt.Errorf("no write acknowledged within 120s of the kill; failed attempts %v", w.codes)
	}
	c.step(fmt.Sprintf("first acknowledged write %.1fs after the kill", f.first.Sub(f.killed).Seconds()))
	time.Sleep(*load)
	stopWriters()
	return f, nil
}

// count compares what was acknowledged with what the new primary stores,
// prints the figures and fails on a lost or duplicated entry.
func (c *cluster) count(ctx context.Context, w *writeLoad, f failoverTimes) error {
	stored, dups, err := storedKeys(ctx, c.url("node2", "auditgraph"))
	if err != nil {
		return err
	}
	lost := 0
	for k := range w.acked {
		if !stored[k] {
			lost++
		}
	}
	fmt.Printf("\nha-test: %d writers for %s, kill, then %s\n", *writers, *load, *load)
	fmt.Printf("  acknowledged   %d (%d before the kill)\n", len(w.acked), f.before)
	fmt.Printf("  stored         %d on the new primary\n", len(stored))
	fmt.Printf("  lost           %d acknowledged entries not stored\n", lost)
	fmt.Printf("  duplicates     %d idempotency keys stored more than once\n", dups)
	fmt.Printf("  failover       promoted %.1fs, first write %.1fs after the kill\n", f.promoted.Seconds(), f.first.Sub(f.killed).Seconds())
	fmt.Printf("  failed tries   %v (retried with the same idempotency key)\n", w.codes)
	if lost != 0 || dups != 0 {
		return fmt.Errorf("%d acknowledged entries lost, %d duplicated", lost, dups)
	}
	fmt.Println("ha-test: PASS")
	return nil
}

func stepper() func(string) {
	start := time.Now()
	return func(msg string) { fmt.Printf("[%6.1fs] %s\n", time.Since(start).Seconds(), msg) }
}

// keeper starts `pg_autoctl args...` for node name in a process group of
// its own, logging to name.log.
func (c *cluster) keeper(name string, args ...string) error {
	logf, err := os.OpenFile(filepath.Join(c.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("pg_autoctl", args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.mu.Lock()
	c.procs[name] = cmd
	c.all = append(c.all, cmd)
	c.mu.Unlock()
	go cmd.Wait() //nolint:errcheck
	return nil
}

// kill ends a node's whole process group (keeper and PostgreSQL) with
// SIGKILL, as a machine that dies.
func (c *cluster) kill(name string) error {
	c.mu.Lock()
	cmd := c.procs[name]
	delete(c.procs, name)
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	// PostgreSQL started by pg_ctl runs in its own session: find it by its
	// data directory.
	killByDataDir(filepath.Join(c.dir, name))
	return err
}

func (c *cluster) teardown() {
	c.mu.Lock()
	all := c.all
	c.all = nil
	c.mu.Unlock()
	// Every keeper's process group (its services included), then the
	// PostgreSQL servers, which pg_autoctl may have started in another.
	for _, cmd := range all {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	for _, name := range []string{"monitor", "node1", "node2"} {
		killByDataDir(filepath.Join(c.dir, name))
	}
	time.Sleep(200 * time.Millisecond)
	if *keep {
		fmt.Println("ha-test: kept", c.dir)
		return
	}
	os.RemoveAll(c.dir)
}

// killByDataDir SIGKILLs the postmaster whose postmaster.pid is in dir and
// every process it started.
func killByDataDir(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 1 {
		return
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if f := strings.Fields(string(stat[i+1:])); i > 0 && len(f) > 1 && f[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(e.Name()); err == nil {
				syscall.Kill(child, syscall.SIGKILL)
			}
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

func (c *cluster) logs(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitState waits until the monitor reports node in state.
func waitState(ctx context.Context, monitor, node, state string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var got string
		err := devproc.QueryRow(ctx, monitor, "SELECT reportedstate::text || '/' || goalstate::text FROM pgautofailover.node WHERE nodename = '"+node+"'", &got)
		if err == nil {
			last = got
			if got == state+"/"+state {
				return nil
			}
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not %s after %v (reported/goal: %s)", node, state, timeout, last)
}

func waitSQL(ctx context.Context, url, q string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := devproc.Exec(ctx, url, q)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// storedKeys returns the run's idempotency keys stored, and how many are
// stored more than once.
func storedKeys(ctx context.Context, url string) (map[string]bool, int, error) {
	d, err := sql.Open("pgx", url)
	if err != nil {
		return nil, 0, err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, `SELECT idempotency_key, count(*) FROM event_type_history WHERE idempotency_key LIKE '%ha-%' GROUP BY 1`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, dups := map[string]bool{}, 0
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, 0, err
		}
		k = k[strings.LastIndexByte(k, ':')+1:] // stored keys are namespaced by organization
		if n > 1 || out[k] {
			dups++
		}
		out[k] = true
	}
	return out, dups, rows.Err()
}

// writeLoad records one event type change at a time per writer, retrying
// each with the same idempotency key until it is acknowledged.
type writeLoad struct {
	url, key string
	mu       sync.Mutex
	acked    map[string]bool
	codes    map[string]int
	killed   time.Time
	first    time.Time
}

func (w *writeLoad) count() int { w.mu.Lock(); defer w.mu.Unlock(); return len(w.acked) }

func (w *writeLoad) setKilled(t time.Time) { w.mu.Lock(); w.killed = t; w.mu.Unlock() }

func (w *writeLoad) waitFirstAfterKill(timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		f := w.first
		w.mu.Unlock()
		if !f.IsZero() {
			return f
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Time{}
}

func (w *writeLoad) run(id int, stop <-chan struct{}) {
	client := &http.Client{Timeout: 20 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		idem := fmt.Sprintf("ha-%d-%d", id, i)
		for {
			begun := time.Now()
			code := w.record(client, idem)
			w.mu.Lock()
			if code == "" {
				w.acked[idem] = true
				if !w.killed.IsZero() && begun.After(w.killed) && w.first.IsZero() {
					w.first = time.Now()
				}
				w.mu.Unlock()
				break
			}
			w.codes[code]++
			w.mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// record sends one entry and returns "" when acknowledged, else why not.
func (w *writeLoad) record(client *http.Client, idem string) string {
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($org: ID!, $entries: [EventTypeChangeEntryInput!]!) { recordEventTypeChanges(organizationId: $org, entries: $entries) { id } }`,
		"variables": map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "entries": []any{map[string]any{
			"idempotencyKey": idem, "eventTypeId": strconv.FormatInt(seed.TeamEventTypeID, 10),
			"action": model.EventTypeModified, "source": "API_V2", "actor": map[string]any{"type": model.ActorSystem},
			"before": map[string]any{"title": "a"}, "after": map[string]any{"title": idem},
		}}},
	})
	req, _ := http.NewRequest(http.MethodPost, w.url+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.key)
	resp, err := client.Do(req)
	if err != nil {
		return "transport error"
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
		Data map[string][]struct{ ID string } `json:"data"`
	}
	if json.Unmarshal(raw, &out) != nil {
		return "undecodable answer"
	}
	if len(out.Errors) > 0 {
		c, _ := out.Errors[0].Extensions["code"].(string)
		return c
	}
	if len(out.Data["recordEventTypeChanges"]) != 1 {
		return "unexpected answer"
	}
	return ""
}
