package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the README's section under heading, up to the next
// heading of the same level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	rest := doc[i+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// What a newcomer needs from the quick start: how to change the port,
// examples that follow it, how long the first build takes, and how to get
// the binary the Command line section uses.
func TestREADMEQuickStartForNewcomers(t *testing.T) {
	doc := readme(t)
	quick := section(t, doc, "## Quick start")
	for _, want := range []string{"-addr", "AUDITGRAPH_ADDR", "first `go run`", "minutes", "make build", "go install ./cmd/auditgraph"} {
		if !strings.Contains(quick, want) {
			t.Errorf("the quick start does not mention %q", want)
		}
	}
	// Every example request goes to $API, which the reader sets once.
	for _, line := range strings.Split(doc, "\n") {
		if strings.Contains(line, "curl ") && strings.Contains(line, "localhost:") {
			t.Errorf("an example hardcodes the address: %s", line)
		}
	}
	if !regexp.MustCompile(`(?m)^API=http://127\.0\.0\.1:8080$`).MatchString(quick) {
		t.Error("the quick start does not set API")
	}
	// make build builds the binary the README promises.
	if _, err := exec.LookPath("make"); err == nil {
		out, err := exec.Command("make", "-n", "-C", filepath.Join("..", ".."), "build").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "build -o auditgraph ./cmd/auditgraph") {
			t.Errorf("make -n build: %v\n%s", err, out)
		}
	}
}

// The README states the /v1 status of an oversized body as the server
// answers it (422, see rest's TestV1OversizedBodyIs422).
func TestREADMEOversizedBodyStatus(t *testing.T) {
	for _, line := range strings.Split(readme(t), "\n") {
		if strings.HasPrefix(line, "| `-max-body-bytes`") {
			if !strings.Contains(line, "`/v1` 422") || strings.Contains(line, "400") {
				t.Errorf("the -max-body-bytes row: %s", line)
			}
			return
		}
	}
	t.Error("no -max-body-bytes row")
}
