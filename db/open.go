package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
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
	// SimpleProtocolOnly sends every statement as text, the hot page
	// included (prepared.go): for comparing the two in benchmarks.
	SimpleProtocolOnly bool
}

// DB is an open database with its dialect.
type DB struct {
	*bun.DB
	Dialect string
	// url is what Open was given: the fact cache's listener connects with it.
	url string
	// facts is the fact cache of every Store on this database (CacheFacts).
	facts *factCache
	// hooks are the query hooks, run for prepared statements too.
	hooks      []bun.QueryHook
	simpleOnly bool
	// anchors are the entries cursors named, by id (prepared.go).
	anchors *lru.Cache[string, anchor]
	// statements counts every statement run on the database, from Open on:
	// the server's metric and the tests' statement budgets read it.
	statements *StatementCounter

	// pgConfig opens the live channel's listening connection (PostgreSQL).
	pgConfig *pgx.ConnConfig
	// bus is the live channel of SQLite databases (see live.go).
	bus bus
}

// counted gives d its statement counter.
func counted(d *DB) *DB {
	d.statements = &StatementCounter{}
	d.AddQueryHook(d.statements)
	return d
}

// Statements is the number of statements run so far.
func (d *DB) Statements() int64 { return d.statements.Count() }

// Close stops the fact cache's listener, then closes the database.
func (d *DB) Close() error {
	d.closeFacts()
	return d.DB.Close()
}

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
		// The few statements prepared on purpose (prepared.go) ask for it
		// one by one; the cache holds them and can hold no more than this.
		cfg.StatementCacheCapacity = preparedCacheSize
		if opt.StatementTimeout > 0 {
			cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(opt.StatementTimeout.Milliseconds())
		}
		sqldb := stdlib.OpenDB(*cfg)
		sqldb.SetMaxOpenConns(opt.MaxOpenConns)
		sqldb.SetMaxIdleConns(opt.MaxIdleConns)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		anchors, _ := lru.New[string, anchor](anchorCacheSize)
		return counted(&DB{DB: bun.NewDB(sqldb, pgdialect.New()), Dialect: Postgres, url: url, simpleOnly: opt.SimpleProtocolOnly, anchors: anchors, pgConfig: cfg}), nil
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
	return counted(&DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Dialect: SQLite, url: url}), nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.DB.PingContext(ctx) }
