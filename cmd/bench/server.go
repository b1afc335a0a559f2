package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is the real auditgraph binary, serving the bench database.
type serverProc struct {
	cmd  *exec.Cmd
	base string
	log  string
	done chan error
}

// buildServer compiles ./cmd/auditgraph into dir.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "auditgraph")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/auditgraph")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/auditgraph: %w", err)
	}
	return bin, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs `auditgraph serve` on a loopback port with rate limiting
// off; its log goes to a file in dir.
func startServer(ctx context.Context, bin, dir, databaseURL string, extraEnv []string) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+databaseURL,
		"AUDITGRAPH_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"AUDITGRAPH_RATE_LIMIT=0",
		"AUDITGRAPH_DEMO=false",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &serverProc{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("the server exited at start (%v); log: %s", err, tail(logPath))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, fmt.Errorf("the server did not get ready within a minute; log: %s", tail(logPath))
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// stop ends the server gracefully, or kills it after 10 s.
func (p *serverProc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// serverMetrics are the series of /metrics the bench reads.
type serverMetrics struct {
	Statements float64 // auditgraph_sql_statements_total
	Requests   float64 // auditgraph_http_requests_total, all routes and statuses
	CPUSeconds float64 // process_cpu_seconds_total
	RSSBytes   float64 // process_resident_memory_bytes
}

func (p *serverProc) metrics() (serverMetrics, error) {
	var m serverMetrics
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := cutMetric(line)
		if !ok {
			continue
		}
		switch name {
		case "auditgraph_sql_statements_total":
			m.Statements += value
		case "auditgraph_http_requests_total":
			m.Requests += value
		case "process_cpu_seconds_total":
			m.CPUSeconds = value
		case "process_resident_memory_bytes":
			m.RSSBytes = value
		}
	}
	return m, sc.Err()
}

// cutMetric splits a text exposition line into the metric name (labels
// dropped) and its value.
func cutMetric(line string) (string, float64, bool) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", 0, false
	}
	name := line[:sp]
	if i := strings.IndexByte(name, '{'); i >= 0 {
		name = name[:i]
	}
	return strings.TrimSpace(name), v, true
}

// rssBytes reads the current resident set size of pid from /proc.
func rssBytes(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	return statusKB(f, "VmRSS:") * 1024
}

func statusKB(r io.Reader, key string) float64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				v, _ := strconv.ParseFloat(fields[0], 64)
				return v
			}
		}
	}
	return 0
}
