// Package pgtest gives tests and benchmarks a fresh, real PostgreSQL database.
//
// There is no docker and no mock: each test binary that uses the package runs
// its own throw-away PostgreSQL server (or uses the one named by
// TEST_DATABASE_URL) and every call to [NewDatabase] returns the URL of a brand
// new database cloned from a per-process template. Tests therefore never share
// state and may run in parallel.
//
// Typical use, in one _test.go file of a package:
//
//	func TestMain(m *testing.M) {
//		pgtest.SetTemplate(func(ctx context.Context, dsn string) error {
//			db, err := sql.Open("pgx", dsn)
//			if err != nil {
//				return err
//			}
//			defer db.Close() // the template must have no open connection afterwards
//			return migrate(ctx, db)
//		})
//		os.Exit(pgtest.Main(m))
//	}
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // dropped automatically when the test ends
//		...
//	}
//
// # Where the server comes from
//
// If TEST_DATABASE_URL is set (a postgres:// URL of a role allowed to create
// databases, typically pointing at the "postgres" database), that server is
// used: the template is created there as tpl_<pid> and the clones as
// t_<pid>_<n>, so several test processes can share the server.
//
// Otherwise the package looks for the initdb and postgres binaries, first in
// /usr/lib/postgresql/<version>/bin (highest version first), then on PATH, and
// lazily starts one private server per test process: a fresh data directory
// (in /dev/shm when it has room, as a memory-backed directory makes clones
// much faster, else under os.TempDir; PGTEST_TMPDIR overrides both), a free
// TCP port on 127.0.0.1, durability switched off
// (fsync, synchronous_commit, full_page_writes) and trust authentication for
// the "postgres" superuser. When the tests run as root the server runs as the
// "postgres" system user, since PostgreSQL refuses to run as root. On Linux the
// server is told to shut down if the test process dies, and data directories
// left behind by crashed test processes are removed by the next run.
//
// When no PostgreSQL is available, [NewDatabase] skips the test with a loud
// message, unless the CI environment variable is set, in which case it fails.
//
// # Replicated clusters
//
// [NewCluster] starts, for one test, a primary of its own and streaming
// standbys copied from it with pg_basebackup (optionally synchronous, or
// held behind by recovery_min_apply_delay). Its nodes can be stopped,
// killed and promoted, and [Cluster.MultiHostURL] names them all with
// target_session_attrs=read-write, as a client of a failover setup would.
//
// # Restrictions
//
// The package starts processes, writes to the temp directory and relies on
// package testing: it must only be imported from _test.go files, benchmarks
// and test tools, never from production code.
package pgtest
