package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the role created by initdb for a private server.
	superuser = "postgres"
	// systemUser is the account a private server runs as when the tests run as root.
	systemUser = "postgres"
	// readyTimeout bounds how long a (re)started server may take to accept connections.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds how long an immediate shutdown may take before the server is killed.
	stopTimeout = 10 * time.Second
	// templateTimeout bounds the template setup function.
	templateTimeout = 10 * time.Minute
	// dirPrefix starts the name of every data directory made by the package.
	dirPrefix = "pgtest-"
	// ownerFile, inside such a directory, holds the pid of the test process that made it.
	ownerFile = "owner.pid"
)

var (
	// setup state, see SetTemplate.
	setupMu   sync.Mutex
	setupFunc func(ctx context.Context, dsn string) error
	setupSet  bool
	setupUsed bool

	// server state, see ensure.
	initOnce sync.Once
	initErr  error
	started  atomic.Bool // initOnce ran (Main must not start a server just to stop it)
	srv      *server     // nil when TEST_DATABASE_URL is used
	adminURL *url.URL    // URL of the maintenance database

	// template state, see template.
	tplOnce    sync.Once
	tplName    string
	tplErr     error
	tplWarning string
	tplBuilt   atomic.Bool
	// cloneOptions ends CREATE DATABASE for the clones: STRATEGY FILE_COPY
	// where supported (PostgreSQL 15+), several times faster than the
	// default WAL_LOG strategy for small databases with fsync off.
	cloneOptions string

	// cloneMu serializes CREATE DATABASE ... TEMPLATE: PostgreSQL refuses to
	// copy a template while another session is connected to it, and a running
	// clone counts as such a session.
	cloneMu  sync.Mutex
	cloneSeq atomic.Int64

	// startupTook is how long the first start of the private server took
	// (initdb included); reported by the package's own tests.
	startupTook time.Duration
)

// SetTemplate registers a function run once per process against the template
// database (e.g. to apply migrations) before any clone is made. Call it from
// TestMain or init of a test file before NewDatabase.
//
// The function receives a postgres:// URL of the template database. It must
// close every connection it opens (for a *sql.DB: db.Close) before returning,
// because PostgreSQL cannot clone a database that has open sessions;
// connections left open are terminated, and NewDatabase logs a warning
// about them.
//
// SetTemplate panics if it is called twice or after the template was built.
func SetTemplate(setup func(ctx context.Context, dsn string) error) {
	setupMu.Lock()
	defer setupMu.Unlock()
	if setupUsed {
		panic("pgtest: SetTemplate called after the template database was built; call it from TestMain or init")
	}
	if setupSet {
		panic("pgtest: SetTemplate called twice; register a single function doing all the setup")
	}
	setupFunc, setupSet = setup, true
}

// NewDatabase returns the DSN (postgres://... URL usable by pgx stdlib /
// pgx.Connect) of a brand-new database cloned from the template
// (CREATE DATABASE x TEMPLATE tpl), dropped in t.Cleanup (WITH (FORCE)).
// If no PostgreSQL is available: t.Skip with a loud message, but t.Fatal when
// env CI is set (non-empty).
func NewDatabase(t testing.TB) string {
	t.Helper()
	if err := ensure(); err != nil {
		unavailable(t, err)
	}
	tpl, err := template()
	if err != nil {
		t.Fatalf("pgtest: building the template database: %v", err)
	}
	if tplWarning != "" {
		t.Logf("pgtest: WARNING: %s", tplWarning)
	}

	return create(t, " TEMPLATE "+ident(tpl)+cloneOptions)
}

// NewEmptyDatabase is NewDatabase without the template: a database with
// nothing in it (PostgreSQL's template0), for tests of what a first start
// does, such as migrations. It is dropped in t.Cleanup.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	if err := ensure(); err != nil {
		unavailable(t, err)
	}
	return create(t, " TEMPLATE template0")
}

// create makes a database with the given CREATE DATABASE options and drops
// it when the test ends.
func create(t testing.TB, options string) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), cloneSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cloneMu.Lock()
	err := adminExec(ctx, "CREATE DATABASE "+ident(name)+options)
	cloneMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: creating database %s (%s): %v", name, options, err)
	}
	t.Cleanup(func() {
		if srv != nil && !srv.running() {
			return // stopped on purpose; the data directory goes away with the server
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return databaseURL(name)
}

// Main wraps testing.M: call `os.Exit(pgtest.Main(m))` from TestMain. It runs
// the tests and then stops the server this process started (if any) and
// removes its data directory. With TEST_DATABASE_URL it drops the template
// database instead.
func Main(m *testing.M) int {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: shutdown: %v\n", err)
	}
	return code
}

// Available reports whether a server can be used (starting it lazily if
// needed); for benchmarks/tools.
func Available() bool {
	return ensure() == nil
}

// ServerDSN returns the DSN of the "postgres" maintenance DB of the running
// server (starting it if needed), or "" if none. With TEST_DATABASE_URL it is
// that URL unchanged.
func ServerDSN() string {
	if ensure() != nil {
		return ""
	}
	return adminURL.String()
}

// Restartable reports whether StopServer and StartServer can be used, that is
// whether the server is one this process started itself (and not the one
// named by TEST_DATABASE_URL). It starts the server if needed.
func Restartable() bool {
	return ensure() == nil && srv != nil
}

// StopServer stops the server this process started and waits until it is
// gone: every session is terminated at once and new connections are refused,
// as when a database server goes away. It is a "fast" shutdown, so committed
// data is flushed first. The data directory and port are kept so StartServer
// can bring the server back with the databases made by NewDatabase intact.
// It does nothing if the server is already stopped, and panics if there is no
// such server (see Restartable).
func StopServer() {
	s := restartable("StopServer")
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stop(syscall.SIGINT); err != nil {
		panic("pgtest: StopServer: " + err.Error())
	}
}

// StartServer starts again, on the same port and data directory, a server
// stopped by StopServer, and waits until it accepts connections. It does nothing if the server is running, and panics if there is
// no such server (see Restartable) or it cannot be started.
func StartServer() {
	s := restartable("StartServer")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	if err := s.start(s.port); err != nil {
		panic("pgtest: StartServer: " + err.Error())
	}
}

func restartable(op string) *server {
	if err := ensure(); err != nil {
		panic(fmt.Sprintf("pgtest: %s: no PostgreSQL server: %v", op, err))
	}
	if srv == nil {
		panic(fmt.Sprintf("pgtest: %s: the server comes from TEST_DATABASE_URL and cannot be stopped or started; check Restartable first", op))
	}
	return srv
}

// SkipReportEnv names a file to which every test skipped for want of a
// PostgreSQL server appends a line, "package<TAB>test<TAB>reason". `go test`
// without -v prints nothing of a passing package, skips included, so `make
// test` sets it and prints a banner after the run when the file is not empty.
const SkipReportEnv = "PGTEST_SKIP_REPORT"

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("pgtest: no PostgreSQL server available and CI is set: %v", err)
	}
	reportSkip(t.Name(), err)
	t.Skipf("\n"+
		"********************************************************************\n"+
		"pgtest: SKIPPING: no PostgreSQL server available:\n  %v\n"+
		"Install PostgreSQL (initdb and postgres binaries) or set TEST_DATABASE_URL.\n"+
		"********************************************************************", err)
}

// ensure makes the server usable once per process: either checks
// TEST_DATABASE_URL or starts a private server.
func ensure() error {
	initOnce.Do(func() {
		started.Store(true)
		if raw := os.Getenv("TEST_DATABASE_URL"); raw != "" {
			initErr = useExternal(raw)
			return
		}
		begin := time.Now()
		s, err := newServer()
		if err != nil {
			initErr = err
			return
		}
		startupTook = time.Since(begin)
		srv = s
		adminURL = s.url("postgres")
	})
	return initErr
}

func useExternal(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("TEST_DATABASE_URL must be a postgres:// URL, got %q", raw)
	}
	adminURL = u
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	return conn.Close(ctx)
}

// databaseURL is adminURL with the database name replaced.
func databaseURL(name string) string {
	u := *adminURL
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// adminExec runs statements on a fresh connection to the maintenance
// database. A fresh connection per call keeps working across
// StopServer/StartServer.
func adminExec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, adminURL.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// template builds the template database once per process.
func template() (string, error) {
	tplOnce.Do(func() {
		setupMu.Lock()
		fn := setupFunc
		setupUsed = true
		setupMu.Unlock()
		tplName = fmt.Sprintf("tpl_%d", os.Getpid())
		tplWarning, tplErr = buildTemplate(tplName, fn)
		tplBuilt.Store(tplErr == nil)
	})
	return tplName, tplErr
}

func buildTemplate(name string, fn func(ctx context.Context, dsn string) error) (warning string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), templateTimeout)
	defer cancel()
	// A template of the same name can only be a leftover of a dead process
	// that had our pid (on a shared TEST_DATABASE_URL server).
	if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if err := adminExec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return "", err
	}
	if fn != nil {
		if err := fn(ctx, databaseURL(name)); err != nil {
			return "", fmt.Errorf("template setup function: %w", err)
		}
	}
	// Nobody may connect to the template from now on; sessions left by the
	// setup function are given a moment to end, then terminated.
	if err := adminExec(ctx, "ALTER DATABASE "+ident(name)+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, adminURL.String())
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return "", err
	}
	if version >= 150000 {
		cloneOptions = " STRATEGY FILE_COPY"
	}
	const others = "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) "+others, name).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", nil
		}
		if time.Now().After(deadline) {
			if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) "+others, name); err != nil {
				return "", err
			}
			return fmt.Sprintf("the SetTemplate function left %d connection(s) open to the template; "+
				"they were terminated (close your *sql.DB / pgx connections before returning)", n), nil
		}
	}
}

// shutdown is Main's epilogue.
func shutdown() error {
	if !started.Load() || initErr != nil {
		return nil
	}
	if srv == nil {
		if !tplBuilt.Load() {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return adminExec(ctx, "DROP DATABASE IF EXISTS "+ident(tplName)+" WITH (FORCE)")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	err := srv.stop(syscall.SIGQUIT) // the data is thrown away: no need for a clean shutdown
	if rmErr := os.RemoveAll(srv.root); err == nil {
		err = rmErr
	}
	return err
}

// server is a private PostgreSQL server run by this process.
type server struct {
	initdb, postgres string // binaries
	cred             *syscall.Credential
	root             string // temp directory holding everything below
	dataDir          string
	sockDir          string
	logPath          string
	port             int
	// extra are more -c settings, given after the defaults so they win.
	extra []string

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited
}

func (s *server) url(db string) *url.URL {
	return &url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
}

func (s *server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

func newServer() (*server, error) {
	s := &server{}
	var err error
	if s.initdb, s.postgres, err = findBinaries(); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if s.cred, err = systemCredential(); err != nil {
			return nil, err
		}
	}

	if s.root, err = makeRoot(s.cred != nil); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(s.root)
		}
	}()
	if err := os.WriteFile(filepath.Join(s.root, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	s.dataDir = filepath.Join(s.root, "data")
	s.sockDir = filepath.Join(s.root, "sock")
	s.logPath = filepath.Join(s.root, "postgres.log")
	if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		return nil, err
	}
	if s.cred != nil {
		for _, dir := range []string{s.root, s.sockDir} {
			if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				return nil, err
			}
		}
	}

	initdb := s.command(s.initdb, "-D", s.dataDir, "--no-sync", "-A", "trust", "-U", superuser, "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", s.initdb, err, out)
	}

	// The free port may be taken by another process before the server binds
	// it; try a few.
	for attempt := 1; ; attempt++ {
		port, err := devproc.FreePort()
		if err != nil {
			return nil, err
		}
		err = s.start(port)
		if err == nil {
			break
		}
		if attempt == 3 {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// command prepares a PostgreSQL program run as the server user.
func (s *server) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = s.root
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

// start launches the postmaster on port and waits until it accepts
// connections. Callers hold s.mu (or own s exclusively).
func (s *server) start(port int) error {
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	logStart, _ := logFile.Seek(0, 2)

	cmd := s.command(s.postgres,
		"-D", s.dataDir,
		"-p", strconv.Itoa(port),
		"-k", s.sockDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	for _, kv := range s.extra {
		cmd.Args = append(cmd.Args, "-c", kv)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Immediate shutdown if this process dies without stopping the server.
	setPdeathsig(cmd.SysProcAttr, syscall.SIGQUIT)

	// The parent-death signal fires when the thread that started the child
	// ends, so start it from a thread that stays alive as long as the child:
	// this goroutine keeps its thread locked until the child has exited.
	startErr := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := cmd.Start(); err != nil {
			startErr <- err
			return
		}
		startErr <- nil
		_ = cmd.Wait()
		close(done)
	}()
	if err := <-startErr; err != nil {
		return fmt.Errorf("%s: %w", s.postgres, err)
	}
	s.cmd, s.done, s.port = cmd, done, port

	dsn := s.url("postgres").String()
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("postgres exited during startup (%v); log:\n%s", cmd.ProcessState, s.logSince(logStart))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		lastErr = err
		if time.Now().After(deadline) {
			_ = s.stop(syscall.SIGQUIT)
			return fmt.Errorf("postgres not ready after %v (%v); log:\n%s", readyTimeout, lastErr, s.logSince(logStart))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig to the postmaster (SIGINT: fast shutdown, SIGQUIT:
// immediate shutdown) and waits for it to exit, killing it if it takes too
// long. Callers hold s.mu.
func (s *server) stop(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("postgres did not stop within %v and was killed", stopTimeout)
}

// logSince returns the server log written from offset on (its tail if long).
func (s *server) logSince(offset int64) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if offset > 0 && offset <= int64(len(data)) {
		data = data[offset:]
	}
	const max = 8 << 10
	if len(data) > max {
		data = append([]byte("...\n"), data[len(data)-max:]...)
	}
	return string(data)
}

// findBinaries locates initdb and postgres: /usr/lib/postgresql/<v>/bin,
// highest version first, then PATH.
func findBinaries() (initdb, postgres string, err error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.SliceStable(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		i, p := filepath.Join(dir, "initdb"), filepath.Join(dir, "postgres")
		if isExecutable(i) && isExecutable(p) {
			return i, p, nil
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 != nil || err2 != nil {
		return "", "", errors.New("initdb and postgres not found in /usr/lib/postgresql/*/bin nor on PATH")
	}
	return initdb, postgres, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// systemCredential is the identity of the server user, for a root process.
func systemCredential() (*syscall.Credential, error) {
	u, err := user.Lookup(systemUser)
	if err != nil {
		return nil, fmt.Errorf("running as root and PostgreSQL refuses to run as root, but there is no %q user to run it as: %w", systemUser, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %q has a non-numeric uid/gid %s/%s", systemUser, u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeRoot creates the directory holding a private server's files in the
// first usable of: $PGTEST_TMPDIR if set, else /dev/shm when it has room
// (memory-backed: cloning a database is then about 20 times faster than on
// a disk), else os.TempDir. Directories left there by dead test processes
// are removed first.
func makeRoot(forOtherUser bool) (string, error) {
	var bases []string
	if dir := os.Getenv("PGTEST_TMPDIR"); dir != "" {
		bases = []string{dir}
	} else {
		if roomy("/dev/shm", 1<<30) {
			bases = append(bases, "/dev/shm")
		}
		bases = append(bases, os.TempDir())
		if forOtherUser {
			bases = append(bases, "/tmp")
		}
	}
	var err error
	for _, base := range bases {
		if forOtherUser && !traversable(base) {
			err = fmt.Errorf("%s is not reachable by the %s user", base, systemUser)
			continue // the server user must be able to reach its data directory
		}
		removeStale(base)
		var root string
		if root, err = os.MkdirTemp(base, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid())); err == nil {
			return root, nil
		}
	}
	return "", err
}

// roomy reports whether dir is a directory on a file system with at least
// min bytes available.
func roomy(dir string, min uint64) bool {
	var st syscall.Statfs_t
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || syscall.Statfs(dir, &st) != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) >= min
}

// traversable reports whether any user can reach dir (every directory on the
// way is searchable by others).
func traversable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// removeStale deletes the directories of test processes that died without
// cleaning up, once neither the process nor its server is alive.
func removeStale(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		owner, ok := readPid(filepath.Join(dir, ownerFile))
		if !ok || owner == os.Getpid() || alive(owner) {
			continue // not ours to judge, or still in use
		}
		if pm, ok := readPid(filepath.Join(dir, "data", "postmaster.pid")); ok && alive(pm) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

func readPid(path string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// setPdeathsig sets SysProcAttr.Pdeathsig where the platform has it (Linux),
// keeping the package buildable elsewhere; there a test process that dies
// without running Main leaves its server running.
func setPdeathsig(attr *syscall.SysProcAttr, sig syscall.Signal) {
	f := reflect.ValueOf(attr).Elem().FieldByName("Pdeathsig")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(sig) {
		f.Set(reflect.ValueOf(sig))
	}
}

// reportSkip appends the skipped test to the file SkipReportEnv names, if any.
// Test binaries of several packages may append at once: each line is one
// short write to a file opened for appending.
func reportSkip(test string, err error) {
	path := os.Getenv(SkipReportEnv)
	if path == "" {
		return
	}
	f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if ferr != nil {
		return
	}
	defer f.Close()
	pkg := "?"
	if wd, werr := os.Getwd(); werr == nil {
		pkg = filepath.Base(wd)
	}
	reason := strings.Join(strings.Fields(err.Error()), " ")
	if len(reason) > 160 {
		reason = reason[:160] + "…"
	}
	fmt.Fprintf(f, "%s\t%s\t%s\n", pkg, test, reason)
}
