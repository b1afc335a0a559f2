package db_test

import (
	"slices"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
)

// The integrity encoding takes an entry's columns in the declaration order
// of its model type; the package doc promises table order. A field
// declared elsewhere than where its migration put the column (or a column
// no field stores) fails here, on both dialects.
func TestEncodingFollowsTableColumns(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		q := `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
		if s.Dialect() == db.SQLite {
			q = `SELECT name FROM pragma_table_info(?) ORDER BY cid`
		}
		for _, h := range integrity.Histories {
			var cols []string
			if err := s.DB().NewRaw(q, h.String()).Scan(ctx, &cols); err != nil {
				t.Fatal(err)
			}
			if want := integrity.Columns(h); !slices.Equal(cols, want) {
				t.Errorf("%s: table columns\n%v\nencoding columns\n%v", h, cols, want)
			}
		}
	})
}
