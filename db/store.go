package db

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

// Store implements model.Store on a bun database or transaction.
type Store struct {
	db      *DB
	idb     bun.IDB
	dialect string
	// facts is the database's fact cache (facts.go), nil when off; the
	// stores of transactions write through it but never read from it.
	facts *factCache
	inTx  bool
	// txWrote is set by a transaction's writes, so that the fact cache is
	// dropped again once they are committed and visible.
	txWrote *atomic.Bool
	// noLog leaves the integrity log out of writes: only the benchmarks
	// that measure the log's cost set it.
	noLog bool
}

var _ model.Store = (*Store)(nil)

// NewStore returns the store of an open database.
func NewStore(d *DB) *Store { return &Store{db: d, idb: d.DB, dialect: d.Dialect, facts: d.facts} }

// DB returns the underlying database.
func (s *Store) DB() *DB { return s.db }

// Dialect returns Postgres or SQLite.
func (s *Store) Dialect() string { return s.dialect }

// InTx runs fn in one transaction; fn's error rolls it back.
func (s *Store) InTx(ctx context.Context, fn func(model.Store) error) error {
	if _, nested := s.idb.(bun.Tx); nested {
		return fn(s)
	}
	wrote := new(atomic.Bool)
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(&Store{db: s.db, idb: tx, dialect: s.dialect, facts: s.facts, inTx: true, txWrote: wrote, noLog: s.noLog})
	})
	if wrote.Load() {
		s.wrote()
	}
	return err
}

// Pool is the connection pool, for its metrics.
func (s *Store) Pool() *sql.DB { return s.db.DB.DB }

// Statements is the number of statements run on the database so far.
func (s *Store) Statements() int64 { return s.db.Statements() }

// Unavailable reports whether err means the database could not be reached
// (see IsUnavailable).
func (s *Store) Unavailable(err error) bool { return IsUnavailable(err) }

// CapTenants makes the store, and the replicas when not nil, run at most
// per statements of one tenant (see WithTenant) at once, all of them
// together; 0 leaves them unbounded. It adds a hook to the database, so it
// is called once, before the store serves.
func (s *Store) CapTenants(per int, replicas *ReplicaSet) {
	if per <= 0 {
		return
	}
	f := &Fairness{Per: per}
	s.db.AddQueryHook(f)
	if replicas != nil {
		replicas.AddQueryHook(f)
	}
}

// WithTenant returns ctx whose statements count against tenant's cap (see
// CapTenants).
func (s *Store) WithTenant(ctx context.Context, tenant string) context.Context {
	return WithTenant(ctx, tenant)
}

// Listen calls fn with every entry announced as written (see DB.Listen).
func (s *Store) Listen(ctx context.Context, ready func(), fn func(Notification)) error {
	return s.db.Listen(ctx, ready, fn)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// notFound turns sql.ErrNoRows into a NOT_FOUND domain error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return model.Errorf(model.CodeNotFound, format, args...)
	}
	return err
}
