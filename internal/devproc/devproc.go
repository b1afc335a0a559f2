package devproc

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// BuildAuditgraph compiles ./cmd/auditgraph (run from the module root) into
// dir and returns the binary's path; the compiler's output goes to stderr.
func BuildAuditgraph(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "auditgraph")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/auditgraph")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/auditgraph: %w", err)
	}
	return bin, nil
}

// Options shapes a child process started by Start.
type Options struct {
	// What names the process in errors ("the server", "PostGraphile").
	What string
	Path string
	Args []string
	Dir  string
	// Env is added to this process's environment.
	Env []string
	// LogPath receives the process's stderr (and its stdout unless
	// DiscardStdout).
	LogPath       string
	DiscardStdout bool
	// Ready reports whether the process serves; Start polls it every
	// Poll (default 100ms) for ReadyTimeout (default a minute).
	Ready        func() bool
	Poll         time.Duration
	ReadyTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before it kills the
	// process (default 20s).
	Grace time.Duration
}

// Process is a child process in a process group of its own.
type Process struct {
	LogPath string
	what    string
	cmd     *exec.Cmd
	done    chan error
	grace   time.Duration
}

// Start runs the process and returns once Ready answers true, or with an
// error (the process stopped) when it exits first, ctx ends or
// ReadyTimeout passes.
func Start(ctx context.Context, opt Options) (*Process, error) {
	logFile, err := os.Create(opt.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(opt.Path, opt.Args...)
	cmd.Dir = opt.Dir
	cmd.Env = append(os.Environ(), opt.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if opt.DiscardStdout {
		cmd.Stdout = io.Discard
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &Process{LogPath: opt.LogPath, what: opt.What, cmd: cmd, done: make(chan error, 1), grace: or(opt.Grace, 20*time.Second)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	if err := p.waitReady(ctx, opt.Ready, or(opt.Poll, 100*time.Millisecond), or(opt.ReadyTimeout, time.Minute)); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (p *Process) waitReady(ctx context.Context, ready func() bool, poll, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-p.done:
			p.done <- err // for Stop
			return fmt.Errorf("%s exited at start (%v); log: %s", p.what, err, Tail(p.LogPath, 2000))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within %v; log: %s", p.what, timeout, Tail(p.LogPath, 2000))
		}
		time.Sleep(poll)
	}
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop ends the process with SIGTERM, or kills it after the grace period.
// It may be called more than once, and on a nil Process.
func (p *Process) Stop() {
	if p == nil {
		return
	}
	select {
	case err := <-p.done:
		p.done <- err
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-p.done:
	case <-time.After(p.grace):
		p.cmd.Process.Kill()
		err = <-p.done
	}
	p.done <- err
}

// ServerOptions shapes an auditgraph server started by StartServer.
type ServerOptions struct {
	// Args follow "serve" on the command line.
	Args []string
	// Env is added to this process's environment, after the address
	// (AUDITGRAPH_ADDR) StartServer chooses.
	Env           []string
	LogPath       string
	DiscardStdout bool
	Grace         time.Duration
}

// Server is an auditgraph binary serving on a loopback port.
type Server struct {
	*Process
	// Base is the server's URL, http://127.0.0.1:port.
	Base string
	// Addr is its host:port.
	Addr string
}

// StartServer runs `bin serve` on a free loopback port and returns once
// its /readyz answers 200.
func StartServer(ctx context.Context, bin string, opt ServerOptions) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.Base = "http://" + s.Addr
	s.Process, err = Start(ctx, Options{
		What: "the server", Path: bin, Args: append([]string{"serve"}, opt.Args...),
		Env:     append([]string{"AUDITGRAPH_ADDR=" + s.Addr}, opt.Env...),
		LogPath: opt.LogPath, DiscardStdout: opt.DiscardStdout, Grace: opt.Grace,
		Ready: func() bool { return Answers(s.Base + "/readyz") },
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Answers reports whether a GET of url answers 200.
func Answers(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Tail is the last n bytes of the file at path (its error's text when it
// cannot be read).
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Exec runs one statement on a connection of its own to dsn.
func Exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// QueryRow runs one query on a connection of its own to dsn and scans its
// single row into dest.
func QueryRow(ctx context.Context, dsn, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// CreateDatabase makes database name on the server of adminURL and returns
// its URL (adminURL with the database replaced) and a function dropping it
// (sessions still connected are ended).
func CreateDatabase(ctx context.Context, adminURL, name string) (string, func() error, error) {
	ident := pgx.Identifier{name}.Sanitize()
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	if err := execWithin(ctx, adminURL, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	drop := func() error {
		return execWithin(context.Background(), adminURL, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

// execWithin is Exec bounded by a minute, for administrative statements.
func execWithin(ctx context.Context, dsn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return Exec(ctx, dsn, sql)
}
