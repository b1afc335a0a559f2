package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
)

var appliedLine = regexp.MustCompile(`migrations_applied=(\d+)`)

// Instances started at the same moment on a new database all start: they
// take turns on the migrations' advisory lock, the first applies every
// migration and the others find the schema current. Before the lock, all
// but one exited with "migrations table is already locked".
func TestServeInstancesStartTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several server processes")
	}
	dbURL := pgtest.NewEmptyDatabase(t)
	const instances = 4
	procs := make([]*process, instances)
	for i := range procs {
		procs[i] = startServe(t, t.TempDir(), map[string]string{"DATABASE_URL": dbURL},
			"-addr", "127.0.0.1:0", "-rate-limit", "0")
	}
	total := 0
	for i, p := range procs {
		p.waitListening(t)
		m := appliedLine.FindStringSubmatch(p.stderr.String())
		if m == nil {
			t.Fatalf("instance %d logged no migrations_applied:\n%s", i, p.stderr)
		}
		n, _ := strconv.Atoi(m[1])
		total += n
		if code := getStatus(t, p.baseURL(t)+"/readyz"); code != 200 {
			t.Errorf("instance %d: /readyz = %d", i, code)
		}
	}
	d, err := db.Open(dbURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	status, err := d.MigrationsStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if !m.Applied {
			t.Errorf("migration %s is not applied", m.Name)
		}
	}
	if total != len(status) {
		t.Errorf("the instances applied %d migrations between them, want each of the %d once", total, len(status))
	}
}
