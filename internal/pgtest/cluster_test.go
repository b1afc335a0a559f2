package pgtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
)

// A cluster's standby is a hot standby of the primary: what is committed on
// the primary shows there, it refuses writes until promoted, and it takes
// them after.
func TestClusterStreamsAndPromotes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := NewCluster(t, ClusterOptions{Standbys: 1, Synchronous: true}, func(ctx context.Context, dsn string) error {
		return devproc.Exec(ctx, dsn, "CREATE TABLE marks (id int PRIMARY KEY)")
	})
	if err := devproc.Exec(ctx, c.Primary.URL(Database), "INSERT INTO marks VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// A commit is acknowledged once its WAL is flushed (and, synchronous,
	// on the standby): the settings of the cluster win over the private
	// server's durability shortcuts.
	primary := open(t, c.Primary.URL(Database))
	for setting, want := range map[string]string{"synchronous_commit": "on", "synchronous_standby_names": "*"} {
		var got string
		if err := primary.QueryRow(ctx, "SHOW "+setting).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", setting, got, err, want)
		}
	}
	sb := c.Standbys[0]
	// Synchronous replication: the commit waited for the standby's flush,
	// not its replay, so the row may take a moment to show.
	var n int
	for start := time.Now(); n != 1; time.Sleep(10 * time.Millisecond) {
		conn := open(t, sb.URL(Database))
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM marks").Scan(&n); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if time.Since(start) > 10*time.Second {
			t.Fatal("the primary's row is not on the standby after 10s")
		}
	}
	if err := devproc.Exec(ctx, sb.URL(Database), "INSERT INTO marks VALUES (2)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write on the standby: %v, want a read-only error", err)
	}
	if err := c.Primary.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := sb.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := devproc.Exec(ctx, c.MultiHostURL(Database), "INSERT INTO marks VALUES (2)"); err != nil {
		t.Fatalf("a write through the multi-host URL after promotion: %v", err)
	}
}
