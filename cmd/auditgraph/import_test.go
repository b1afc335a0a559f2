package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/ingest"
)

// TestImportCommand imports a file with one bad line into a seeded SQLite
// database: the valid lines are imported, the bad one is named with its line
// number, the exit code is 1, and a second run imports nothing.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "import.db")
	vars := map[string]string{"DATABASE_URL": dbPath}
	if code, _, stderr := cli(t, vars, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr)
	}
	lines := []string{
		`{"kind":"user","id":500,"email":"imported@acme.example","name":"Imported"}`,
		`{"kind":"membership","id":500,"userId":500,"organizationId":1,"role":"MEMBER"}`,
		`{"kind":"memberChangeLog","organizationId":1,"timestamp":"2026-02-01T10:00:00Z","actorId":500,"action":"updated","resourceType":"assistant","resourceId":"asst_1","changes":[{"field":"enabled","old_value":true,"new_value":false}]}`,
		``,
		`{"kind":"memberChangeLog","organizationId":1,"timestamp":"not a time","actorId":500,"action":"updated","resourceType":"assistant","resourceId":"asst_1"}`,
		`{"kind":"eventTypeChange","organizationId":"org_acme7f3k2q9x1b5m8n4v","timestamp":"2026-02-01T11:00:00Z","eventTypeId":2,"action":"EVENT_TYPE_MODIFIED","source":"API_V2","actor":{"type":"SYSTEM"},"before":{"length":30},"after":{"length":45}}`,
		`{"kind":"attributeChange","organizationId":1,"timestamp":"2026-02-01T12:00:00Z","userId":500,"source":"DSYNC","actor":{"type":"SYSTEM"},"attributeId":"attr_dept","current":{"optionId":"opt_sales"}}`,
		`{"kind":"bogus"}`,
	}
	file := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, vars, "import", file)
	if code != exitError {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
	}
	for _, want := range []string{
		"7 lines read",
		"imported: 3 entries (1 attribute changes, 1 event type changes, 1 member change logs), 2 directory records\n",
		"skipped as duplicates: 0\n",
		"rejected: 2\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{
		`line 5 (memberChangeLog): timestamp: timestamp "not a time" is not an RFC 3339 date-time`,
		`line 8 (bogus): kind: unknown kind "bogus"`,
		"auditgraph: import: 2 line(s) rejected",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	code, stdout, _ = cli(t, vars, "import", file)
	if code != exitError || !strings.Contains(stdout, "imported: 0 entries") || !strings.Contains(stdout, "skipped as duplicates: 3\n") {
		t.Fatalf("second run: exit %d\n%s", code, stdout)
	}

	// Without the bad lines the import succeeds.
	good := strings.Join([]string{lines[0], lines[1], lines[2]}, "\n") + "\n"
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := cli(t, vars, "import", file); code != exitOK || !strings.Contains(stdout, "skipped as duplicates: 1\n") {
		t.Fatalf("clean file: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, _ := cli(t, vars, "import"); code != exitUsage {
		t.Fatalf("import without a file: exit %d, want %d", code, exitUsage)
	}
}

// The shipped example imports as it is into an empty database, holds every
// line kind, and each kind is documented in the README with an example line;
// `import -h` points there.
func TestImportExampleFileAndItsDocumentation(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "import.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	if i := strings.Index(section, "## Importing (NDJSON)"); i >= 0 {
		section = section[i:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
	} else {
		t.Fatal(`README has no "## Importing (NDJSON)" section`)
	}
	for _, kind := range ingest.Kinds {
		tag := `{"kind":"` + kind + `"`
		if !strings.Contains(string(example), tag) {
			t.Errorf("examples/import.ndjson has no %s line", kind)
		}
		if !strings.Contains(section, tag) {
			t.Errorf("the README's import section has no example %s line", kind)
		}
	}
	lines := strings.Count(strings.TrimSpace(string(example)), "\n") + 1

	dbPath := filepath.Join(t.TempDir(), "example.db")
	code, stdout, stderr := cli(t, map[string]string{"DATABASE_URL": dbPath}, "import", filepath.Join("..", "..", "examples", "import.ndjson"))
	if code != 0 || !strings.Contains(stdout, "rejected: 0\n") || !strings.Contains(stdout, fmt.Sprintf("%d lines read", lines)) {
		t.Fatalf("import of the example: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = cli(t, nil, "import", "-h")
	if help := stdout + stderr; code != 0 || !strings.Contains(help, `"Importing (NDJSON)"`) || !strings.Contains(help, "examples/import.ndjson") {
		t.Errorf("import -h (exit %d) does not point to the format:\n%s", code, help)
	}
}
