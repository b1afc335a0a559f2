package server_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerDoesNotImportTheDatabase guards the layering: the server
// builds HTTP on interfaces (server.Store, server.Parts) and reaches the
// database only through them, so neither it nor anything it imports, test
// files aside, may import db or a package beneath it. The wiring
// (internal/wire) is where db and server meet.
func TestServerDoesNotImportTheDatabase(t *testing.T) {
	const module = "github.com/auditgraph/auditgraph"
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	via := map[string]string{module + "/server": ""}
	queue := []string{module + "/server"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		pkg, err := build.ImportDir(filepath.Join(root, strings.TrimPrefix(path, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if _, seen := via[imp]; seen {
				continue
			}
			via[imp] = path
			if imp == module+"/db" || strings.HasPrefix(imp, module+"/db/") {
				chain := imp
				for p := path; p != ""; p = via[p] {
					chain = p + " -> " + chain
				}
				t.Errorf("server imports the database: %s", chain)
				continue
			}
			queue = append(queue, imp)
		}
	}
	if len(via) < 5 {
		t.Fatalf("walked %d packages only: the walk no longer follows the server's imports", len(via))
	}
}
