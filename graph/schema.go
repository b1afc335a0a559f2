package graph

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed schema/*.graphqls
var schemaFiles embed.FS

// SDL returns the schema's source, every file in name order, as served at
// /schema.graphql.
func SDL() string {
	names, _ := fs.Glob(schemaFiles, "schema/*.graphqls")
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		src, _ := schemaFiles.ReadFile(n)
		b.Write(src)
		b.WriteString("\n")
	}
	return b.String()
}

// The server does not deliver results incrementally (no transport of it
// carries multipart or SSE increments), so it must not advertise @defer,
// which gqlparser's prelude declares: a client that sees it in introspection
// would send it and wait for increments that never come. Removing it makes a
// query using @defer fail validation with "Unknown directive".
func init() { delete(parsedSchema.Directives, "defer") }
