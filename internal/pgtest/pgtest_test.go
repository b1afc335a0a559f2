package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	SetTemplate(func(ctx context.Context, dsn string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `
			CREATE TABLE tpl_marker (id int PRIMARY KEY, note text NOT NULL);
			INSERT INTO tpl_marker VALUES (1, 'from the template');`)
		return err
	})
	os.Exit(Main(m))
}

func open(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgx.Connect(%q): %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewDatabaseWorks(t *testing.T) {
	ctx := context.Background()
	db := open(t, NewDatabase(t))
	if _, err := db.Exec(ctx, `CREATE TABLE thing (id serial PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO thing (name) VALUES ($1)`, "héllo"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := db.QueryRow(ctx, `SELECT name FROM thing WHERE id = 1`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "héllo" {
		t.Fatalf("got %q, want %q", name, "héllo")
	}
}

func TestNewDatabaseWithPgxConnect(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT 40 + $1::int`, 2).Scan(&n); err != nil || n != 42 {
		t.Fatalf("got %d, %v; want 42", n, err)
	}
}

func TestClonesAreIsolated(t *testing.T) {
	ctx := context.Background()
	dsnA, dsnB := NewDatabase(t), NewDatabase(t)
	if dsnA == dsnB {
		t.Fatalf("two calls returned the same database %s", dsnA)
	}
	a, b := open(t, dsnA), open(t, dsnB)
	if _, err := a.Exec(ctx, `CREATE TABLE only_in_a (x int); INSERT INTO tpl_marker VALUES (2, 'a')`); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := b.QueryRow(ctx, `SELECT to_regclass('only_in_a') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("table created in one clone is visible in the other")
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM tpl_marker`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("second clone has %d tpl_marker rows, want 1", n)
	}
}

func TestTemplateSetupRan(t *testing.T) {
	ctx := context.Background()
	var note string
	err := open(t, NewDatabase(t)).QueryRow(ctx, `SELECT note FROM tpl_marker WHERE id = 1`).Scan(&note)
	if err != nil {
		t.Fatal(err)
	}
	if note != "from the template" {
		t.Fatalf("got %q", note)
	}
	if tplWarning != "" {
		t.Errorf("unexpected template warning: %s", tplWarning)
	}
}

func TestParallelClones(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, NewDatabase(t))
			if _, err := db.Exec(ctx, `CREATE TABLE p (i int)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO p VALUES ($1)`, i); err != nil {
				t.Fatal(err)
			}
			var got int
			if err := db.QueryRow(ctx, `SELECT sum(i) FROM p`).Scan(&got); err != nil || got != i {
				t.Fatalf("got %d, %v; want %d", got, err, i)
			}
		})
	}
}

func TestAvailableAndServerDSN(t *testing.T) {
	NewDatabase(t) // skips (or fails on CI) when there is no server
	if !Available() {
		t.Fatal("Available() = false after NewDatabase succeeded")
	}
	dsn := ServerDSN()
	if dsn == "" {
		t.Fatal("ServerDSN() is empty")
	}
	var name string
	if err := open(t, dsn).QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TEST_DATABASE_URL") == "" && name != "postgres" {
		t.Fatalf("ServerDSN connects to %q, want postgres", name)
	}
}

func TestStopStartServer(t *testing.T) {
	dsn := NewDatabase(t)
	if !Restartable() {
		t.Skip("server from TEST_DATABASE_URL cannot be stopped")
	}
	ctx := context.Background()
	conn := open(t, dsn)
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before stop')`); err != nil {
		t.Fatal(err)
	}

	begin := time.Now()
	StopServer()
	t.Logf("StopServer took %v", time.Since(begin))
	StopServer() // idempotent

	var v string
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err == nil {
		t.Fatal("query on an open connection succeeded while the server is stopped")
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := pgx.Connect(cctx, dsn)
	cancel()
	if err == nil {
		t.Fatal("pgx.Connect succeeded while the server is stopped")
	}

	begin = time.Now()
	StartServer()
	t.Logf("StartServer took %v", time.Since(begin))
	StartServer() // idempotent

	if err := open(t, dsn).QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil {
		t.Fatalf("query after StartServer: %v", err)
	}
	if v != "before stop" {
		t.Fatalf("got %q after restart", v)
	}
	// New clones keep working too.
	var n int
	if err := open(t, NewDatabase(t)).QueryRow(ctx, `SELECT count(*) FROM tpl_marker`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("clone after restart: %d, %v", n, err)
	}
}

func TestTimings(t *testing.T) {
	NewDatabase(t)
	if srv != nil {
		t.Logf("private server start (initdb + postgres ready): %v", startupTook)
	}
	const n = 10
	begin := time.Now()
	for range n {
		NewDatabase(t)
	}
	t.Logf("one clone (CREATE DATABASE ... TEMPLATE): %v on average over %d", time.Since(begin)/n, n)
}

func TestSetTemplateTooLate(t *testing.T) {
	NewDatabase(t)
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("SetTemplate after the template was built did not panic")
		}
	}()
	SetTemplate(func(context.Context, string) error { return errors.New("unreachable") })
}

func BenchmarkNewDatabase(b *testing.B) {
	NewDatabase(b) // server start and template build are not measured
	b.ResetTimer()
	for b.Loop() {
		NewDatabase(b)
	}
}
