package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/server"
)

// TestExportCommandResumes downloads a history from a server on the demo
// (SQLite), cuts the file in the middle of a line as a broken transfer
// would, and resumes: the file ends up whole, every entry once.
func TestExportCommandResumes(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(filepath.Join(dir, "demo.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store := db.NewStore(d)
	res, err := seed.Run(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wire.Server(server.Defaults(), store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	key := res.Keys["owner"]

	for _, format := range []string{"ndjson", "csv"} {
		whole := filepath.Join(dir, "whole."+format)
		args := []string{"export", "event-types", "-url", ts.URL, "-key", key, "-event-type", "2", "-format", format}
		if code, _, stderr := cli(t, nil, append(args, "-o", whole)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		want, _ := os.ReadFile(whole)
		if strings.Count(string(want), "\n") < 10 {
			t.Fatalf("%s: short export: %s", format, want)
		}
		part := filepath.Join(dir, "part."+format)
		cut := len(want) / 2
		if err := os.WriteFile(part, want[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := cli(t, nil, append(args, "-o", part, "-resume")...); code != 0 {
			t.Fatalf("%s resume: exit %d: %s", format, code, stderr)
		}
		if got, _ := os.ReadFile(part); string(got) != string(want) {
			t.Fatalf("%s: the resumed export differs from the whole one (%d and %d bytes)", format, len(got), len(want))
		}
	}
	if code, _, _ := cli(t, nil, "export", "event-types", "-url", ts.URL, "-key", key); code != exitUsage {
		t.Fatalf("missing -event-type: exit %d, want %d", code, exitUsage)
	}
	if code, _, stderr := cli(t, nil, "export", "event-types", "-url", ts.URL, "-key", "cal_nope", "-event-type", "2"); code != exitError || !strings.Contains(stderr, "UNAUTHENTICATED") {
		t.Fatalf("bad key: exit %d: %s", code, stderr)
	}
}
