package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/jackc/pgx/v5"
)

// ClusterOptions shapes a replicated cluster made by NewCluster.
type ClusterOptions struct {
	// Standbys is the number of streaming standbys (at least 1).
	Standbys int
	// Synchronous makes every commit on the primary wait until a standby
	// has the commit record (synchronous_standby_names = '*',
	// synchronous_commit = on), so an acknowledged commit survives the loss
	// of the primary. A synchronous primary stops committing while no
	// standby is connected.
	Synchronous bool
	// ApplyDelay holds each standby this far behind the primary
	// (recovery_min_apply_delay), so that reads of a replica are stale for
	// a while, as on a loaded replica.
	ApplyDelay time.Duration
}

// Cluster is a primary and its streaming standbys, each a private PostgreSQL
// server of its own (separate from the server of NewDatabase), made for one
// test and removed when it ends.
//
// The primary holds one database, Database; the standbys are copies made
// with pg_basebackup that stream the primary's WAL and answer read-only
// queries (hot standby).
type Cluster struct {
	Primary  *Node
	Standbys []*Node
	root     string
	// what each node is made with
	initdb, postgres, basebackup string
	cred                         *syscall.Credential
}

// Database is the name of the database a Cluster is created with.
const Database = "auditgraph"

// Node is one server of a Cluster.
type Node struct {
	Name string
	s    *server
}

// NewCluster starts a primary with a database named Database and the given
// number of standbys, all running when it returns. setup, when not nil,
// runs against the primary's database before the standbys are copied (for
// example migrations), so they start with it. Everything is stopped and
// removed when the test ends. Without PostgreSQL binaries the test is
// skipped (failed under CI), as with NewDatabase.
func NewCluster(t testing.TB, opt ClusterOptions, setup func(ctx context.Context, dsn string) error) *Cluster {
	t.Helper()
	if opt.Standbys < 1 {
		opt.Standbys = 1
	}
	c := newCluster(t)
	c.startPrimary(t)
	ctx, cancel := context.WithTimeout(context.Background(), templateTimeout)
	defer cancel()
	if err := devproc.Exec(ctx, c.Primary.URL("postgres"), "CREATE DATABASE "+ident(Database)); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		if err := setup(ctx, c.Primary.URL(Database)); err != nil {
			t.Fatalf("pgtest: cluster setup: %v", err)
		}
	}
	for i := 1; i <= opt.Standbys; i++ {
		c.addStandby(t, "standby"+strconv.Itoa(i), opt.ApplyDelay)
	}
	if err := c.waitStreaming(ctx); err != nil {
		t.Fatal(err)
	}
	if opt.Synchronous {
		// Only now: a synchronous primary without a standby commits nothing,
		// the setup and the base backups included.
		for _, sql := range []string{"ALTER SYSTEM SET synchronous_standby_names = '*'", "SELECT pg_reload_conf()"} {
			if err := devproc.Exec(ctx, c.Primary.URL("postgres"), sql); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

// newCluster finds the server binaries (skipping the test without them)
// and makes the cluster's directory, removed when the test ends.
func newCluster(t testing.TB) *Cluster {
	initdb, postgres, err := findBinaries()
	if err != nil {
		unavailable(t, err)
	}
	c := &Cluster{initdb: initdb, postgres: postgres, basebackup: filepath.Join(filepath.Dir(initdb), "pg_basebackup")}
	if !isExecutable(c.basebackup) {
		unavailable(t, fmt.Errorf("%s not found", c.basebackup))
	}
	if os.Geteuid() == 0 {
		if c.cred, err = systemCredential(); err != nil {
			t.Fatal(err)
		}
	}
	if c.root, err = makeRoot(c.cred != nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.remove)
	if err := os.WriteFile(filepath.Join(c.root, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.chown(c.root); err != nil {
		t.Fatal(err)
	}
	return c
}

// chown gives path to the user the servers run as, if not this one.
func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
}

// node prepares server name (its socket directory; not its data) with the
// extra settings given.
func (c *Cluster) node(t testing.TB, name string, extra ...string) *Node {
	s := &server{initdb: c.initdb, postgres: c.postgres, cred: c.cred, root: c.root,
		dataDir: filepath.Join(c.root, name), sockDir: filepath.Join(c.root, name+".sock"),
		logPath: filepath.Join(c.root, name+".log"), extra: extra}
	if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.chown(s.sockDir); err != nil {
		t.Fatal(err)
	}
	return &Node{Name: name, s: s}
}

// startPrimary makes and starts the primary.
func (c *Cluster) startPrimary(t testing.TB) {
	// Commits wait for their own WAL flush here (the private server of
	// NewDatabase does not), so what is acknowledged is what was replicated.
	c.Primary = c.node(t, "primary", "synchronous_commit=on", "wal_keep_size=256MB", "max_wal_senders=10")
	out, err := c.Primary.s.command(c.initdb, "-D", c.Primary.s.dataDir, "--no-sync", "-A", "trust", "-U", superuser,
		"-E", "UTF8", "--locale=C").CombinedOutput()
	if err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := c.Primary.startOnFreePort(); err != nil {
		t.Fatalf("pgtest: starting the primary: %v", err)
	}
}

// addStandby copies the primary with pg_basebackup and starts the copy as
// a streaming standby named name, applyDelay behind.
func (c *Cluster) addStandby(t testing.TB, name string, applyDelay time.Duration) {
	var conf []string
	if applyDelay > 0 {
		conf = append(conf, fmt.Sprintf("recovery_min_apply_delay=%dms", applyDelay.Milliseconds()))
	}
	// The standby is promoted by some tests; it then serves as a
	// synchronous primary for the remaining standbys too.
	conf = append(conf, "synchronous_commit=on", "wal_keep_size=256MB")
	sb := c.node(t, name, conf...)
	// -R writes primary_conninfo and standby.signal: the copy starts as a
	// streaming standby of the primary.
	out, err := sb.s.command(c.basebackup, "-h", "127.0.0.1", "-p", strconv.Itoa(c.Primary.s.port), "-U", superuser,
		"-D", sb.s.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("pgtest: pg_basebackup: %v\n%s", err, out)
	}
	// primary_conninfo names the standby, so pg_stat_replication tells them apart.
	if err := appendConf(sb.s, fmt.Sprintf("primary_conninfo = 'host=127.0.0.1 port=%d user=%s application_name=%s'\n",
		c.Primary.s.port, superuser, sb.Name)); err != nil {
		t.Fatal(err)
	}
	if err := sb.startOnFreePort(); err != nil {
		t.Fatalf("pgtest: starting %s: %v", sb.Name, err)
	}
	c.Standbys = append(c.Standbys, sb)
}

// appendConf adds a line to a node's postgresql.auto.conf.
func appendConf(s *server, line string) error {
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(line)
	return err
}

// waitStreaming waits until every standby streams from the primary.
func (c *Cluster) waitStreaming(ctx context.Context) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := pgx.Connect(ctx, c.Primary.URL("postgres"))
		if err != nil {
			return err
		}
		var n int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").Scan(&n)
		conn.Close(ctx)
		if err != nil {
			return err
		}
		if n >= len(c.Standbys) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: %d of %d standbys streaming after %v", n, len(c.Standbys), readyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remove stops every node at once and removes the cluster's files.
func (c *Cluster) remove() {
	for _, n := range append([]*Node{c.Primary}, c.Standbys...) {
		if n == nil {
			continue
		}
		n.s.mu.Lock()
		_ = n.s.stop(syscall.SIGQUIT)
		n.s.mu.Unlock()
	}
	_ = os.RemoveAll(c.root)
}

// MultiHostURL is a URL naming every node, primary first, that connects
// only to the one accepting writes (target_session_attrs=read-write): after
// a standby is promoted it finds the new primary.
func (c *Cluster) MultiHostURL(db string) string {
	var hosts []string
	for _, n := range append([]*Node{c.Primary}, c.Standbys...) {
		hosts = append(hosts, net.JoinHostPort("127.0.0.1", strconv.Itoa(n.s.port)))
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		superuser, strings.Join(hosts, ","), db)
}

func (n *Node) startOnFreePort() error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = devproc.FreePort(); err != nil {
			return err
		}
		n.s.mu.Lock()
		err = n.s.start(port)
		n.s.mu.Unlock()
		if err == nil {
			return nil
		}
	}
	return err
}

// URL is the postgres:// URL of database db on this node.
func (n *Node) URL(db string) string { return n.s.url(db).String() }

// Stop shuts the node down (fast shutdown: sessions are ended, committed
// data is kept) and waits until it is gone. Start brings it back.
func (n *Node) Stop() error {
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	return n.s.stop(syscall.SIGINT)
}

// Kill ends the node's postmaster and every process it started with
// SIGKILL, as a machine that dies: no shutdown, no checkpoint, and no
// backend left to finish a commit or answer a client (a postmaster killed
// alone leaves its backends serving their sessions for a while).
func (n *Node) Kill() error {
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	if n.s.cmd == nil {
		return nil
	}
	pid := n.s.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGSTOP) // no new children from here on
	for _, child := range children(pid) {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	return n.s.stop(syscall.SIGKILL)
}

// children lists the processes whose parent is pid (Linux /proc).
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// Start starts a stopped node again on its port and waits until it accepts
// connections.
func (n *Node) Start() error {
	n.s.mu.Lock()
	defer n.s.mu.Unlock()
	if n.s.cmd != nil {
		return nil
	}
	return n.s.start(n.s.port)
}

// Promote makes a standby the primary (pg_promote) and waits until it
// accepts writes.
func (n *Node) Promote(ctx context.Context) error {
	return devproc.Exec(ctx, n.URL("postgres"), "SELECT pg_promote(true, 60)")
}

// Log is the node's server log.
func (n *Node) Log() string { return n.s.logSince(0) }

// CPUTime is the CPU time the node's server has used so far: the
// postmaster's and its live processes', and that of the processes it has
// reaped (ended sessions). Linux only; 0 elsewhere or when stopped.
func (n *Node) CPUTime() time.Duration {
	n.s.mu.Lock()
	cmd := n.s.cmd
	n.s.mu.Unlock()
	if cmd == nil {
		return 0
	}
	pid := cmd.Process.Pid
	total := ticks(pid, true)
	for _, child := range children(pid) {
		total += ticks(child, false)
	}
	// USER_HZ is 100 on every Linux platform Go supports.
	return time.Duration(total) * 10 * time.Millisecond
}

// ticks reads utime+stime (and cutime+cstime when reaped is set) of pid.
func ticks(pid int, reaped bool) int64 {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0
	}
	// After "(comm)": state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime.
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 15 {
		return 0
	}
	var sum int64
	last := 12
	if reaped {
		last = 14
	}
	for _, s := range f[11 : last+1] {
		v, _ := strconv.ParseInt(s, 10, 64)
		sum += v
	}
	return sum
}
