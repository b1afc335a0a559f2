package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/auditgraph into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "auditgraph")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/auditgraph")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestGracefulShutdown runs the real binary, starts a request whose body is
// still arriving, and sends SIGTERM: the listener closes at once, the request
// in flight still gets its 200, and the process exits 0 within the grace
// period, saying so in its log.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	const grace = 10 * time.Second
	var stdout, stderr syncBuffer
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-database-url", filepath.Join(dir, "auditgraph.db"),
		"-demo", "-log-format", "json", "-shutdown-grace", grace.String(), "-rate-limit", "0")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	// The binary binds a port the kernel picks and names it in its
	// "listening" log line, written once the banner is out: no other
	// process can take the port between a probe and the bind. The banner
	// (one write) and the log line come through separate pipes, so both
	// are waited for.
	listening := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	apiKey := regexp.MustCompile(`API key\s+(cal_[0-9a-f]+)`)
	var addr, key string
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		m := listening.FindStringSubmatch(stderr.String())
		k := apiKey.FindStringSubmatch(stdout.String())
		if m != nil && k != nil {
			addr, key = m[1], k[1]
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited early (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no listening line and demo key after 60s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}

	// A request whose body arrives in two parts: the server has read its
	// headers and is reading the body when the signal comes.
	body, _ := json.Marshal(map[string]any{"query": eventTypeHistoryQuery, "variables": map[string]any{"id": teamEventType, "first": 50}})
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(grace + 10*time.Second))
	head := fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", addr, key, len(body))
	half := len(body) / 2
	if _, err := io.WriteString(conn, head+string(body[:half])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown has begun.
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Logf("dial after SIGTERM: %v", err)
			}
			break
		}
		c.Close()
		if time.Since(sent) > 3*time.Second {
			t.Fatal("the server still accepts connections 3s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	refusedAfter := time.Since(sent)
	// The process waits for the request in flight.
	select {
	case err := <-exited:
		t.Fatalf("the process exited (%v) before the request in flight finished\nstderr:\n%s", err, stderr.String())
	case <-time.After(500 * time.Millisecond):
	}

	if _, err := conn.Write(body[half:]); err != nil {
		t.Fatalf("finishing the request in flight: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to the request in flight: %v\nstderr:\n%s", err, stderr.String())
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"edges"`)) || bytes.Contains(got, []byte(`"errors"`)) {
		t.Fatalf("request in flight: status %d, body %s", resp.StatusCode, got)
	}

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v (want status 0)\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(grace + 5*time.Second):
		t.Fatalf("the process did not exit within the %s grace period\nstderr:\n%s", grace, stderr.String())
	}
	took := time.Since(sent)
	if took > grace {
		t.Errorf("exit took %s, longer than the %s grace period", took, grace)
	}
	logs := stderr.String()
	for _, msg := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, msg) {
			t.Errorf("the log lacks %s:\n%s", msg, logs)
		}
	}
	if strings.Contains(logs, "still running after the shutdown grace period") {
		t.Errorf("the request in flight was cut off:\n%s", logs)
	}
	t.Logf("refused new connections %s after SIGTERM; exited 0 %s after it", refusedAfter.Round(time.Millisecond), took.Round(time.Millisecond))
}
