package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A test skipped for want of PostgreSQL is written to the skip report.
func TestSkipIsReported(t *testing.T) {
	report := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipReportEnv, report)
	t.Setenv("CI", "")
	t.Run("needs-postgres", func(t *testing.T) {
		unavailable(t, errors.New("initdb: not found"))
	})
	b, err := os.ReadFile(report)
	if err != nil || string(b) != "pgtest\tTestSkipIsReported/needs-postgres\tinitdb: not found\n" {
		t.Fatalf("skip report %q (%v)", b, err)
	}
}

// `make test` prints a banner naming the skipped tests, which `go test`
// without -v would not show, and keeps go test's exit status. A stand-in
// for go writes a skip as a test binary would.
func TestMakeTestShowsSkippedPostgresTests(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	for name, status := range map[string]string{"go-pass": "0", "go-fail": "1"} {
		script := "#!/bin/sh\nprintf 'db\\tTestStore\\tinitdb: not found\\n' >>\"$" + SkipReportEnv + "\"\necho 'ok  	example/db	0.1s'\nexit " + status + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(goCmd string) (string, error) {
		cmd := exec.Command("make", "-s", "-C", filepath.Join("..", ".."), "test", "GO="+filepath.Join(dir, goCmd))
		cmd.Env = append(os.Environ(), "MAKEFLAGS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("go-pass")
	if err != nil || !strings.Contains(out, "SKIPPED 1 PostgreSQL tests") || !strings.Contains(out, "initdb: not found") || !strings.Contains(out, "by package: db (1)") {
		t.Errorf("make test (%v) shows no banner:\n%s", err, out)
	}
	out, err = run("go-fail")
	if err == nil || !strings.Contains(out, "SKIPPED 1 PostgreSQL tests") {
		t.Errorf("make test with failing tests: err %v, want a failure, and the banner:\n%s", err, out)
	}
}
