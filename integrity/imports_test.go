package integrity

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package doc's boundary: a verifier builds from this package alone,
// without the database, the API or the server.
func TestImportsStayInside(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"/db", "/graph", "/resolvers", "/server", "/rest", "/ingest", "net/http", "github.com/uptrace/bun", "github.com/jackc/pgx"} {
				if strings.HasPrefix(path, "github.com/auditgraph/auditgraph"+banned) || strings.HasPrefix(path, banned) {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}
