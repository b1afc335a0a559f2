package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Options tunes the connection pool and statement deadline.
type Options struct {
	MaxOpenConns int
	MaxIdleConns int
	// StatementTimeout bounds every statement on PostgreSQL (0: none), so a
	// stuck database fails requests instead of hanging them.
	StatementTimeout time.Duration
}

// DB is an open database with its dialect.
type DB struct {
	*bun.DB
	Dialect string
	// statements counts every statement run through DB and the databases
	// WithQueryHook derives from it: the server's metric and the tests'
	// statement budgets read it.
	statements *StatementCounter

	// pgConfig opens the live channel's listening connection (PostgreSQL).
	pgConfig *pgx.ConnConfig
	// bus is the live channel of SQLite databases (see live.go), shared by
	// the databases WithQueryHook derives.
	bus *bus
}

// newDB wraps b with the statement counter.
func newDB(b *bun.DB, dialect string) *DB {
	c := &StatementCounter{}
	return &DB{DB: b.WithQueryHook(c), Dialect: dialect, statements: c, bus: &bus{}}
}

// WithQueryHook returns a DB that also runs hook on every statement; d is
// unchanged, and both share the connection pool and the statement count.
func (d *DB) WithQueryHook(hook bun.QueryHook) *DB {
	return &DB{DB: d.DB.WithQueryHook(hook), Dialect: d.Dialect, statements: d.statements, pgConfig: d.pgConfig, bus: d.bus}
}

// Statements is the number of statements run so far.
func (d *DB) Statements() int64 { return d.statements.Count() }

// Open opens url: a postgres:// or postgresql:// URL, or a SQLite file path
// (optionally prefixed with sqlite: or file:). It does not migrate.
func Open(url string, opt Options) (*DB, error) {
	if opt.MaxOpenConns == 0 {
		opt.MaxOpenConns = 20
	}
	if opt.MaxIdleConns == 0 {
		opt.MaxIdleConns = opt.MaxOpenConns
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("parse database url: %w", err)
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = 5 * time.Second
		}
		// bun interpolates its arguments into the SQL text, so nearly every
		// statement is new text (cursors, ids, ingested values): pgx's default
		// prepare-and-cache mode would prepare each one (an extra round trip)
		// and keep up to 512 of them per connection, client and server side.
		// The simple protocol sends the text as is.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		if opt.StatementTimeout > 0 {
			cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
		}
		sqldb := stdlib.OpenDB(*cfg)
		sqldb.SetMaxOpenConns(opt.MaxOpenConns)
		sqldb.SetMaxIdleConns(opt.MaxIdleConns)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		d := newDB(bun.NewDB(sqldb, pgdialect.New()), Postgres)
		d.pgConfig = cfg
		return d, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// SQLite has one writer; a small pool avoids lock contention churn.
	sqldb.SetMaxOpenConns(4)
	sqldb.SetMaxIdleConns(4)
	return newDB(bun.NewDB(sqldb, sqlitedialect.New()), SQLite), nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.DB.PingContext(ctx) }
