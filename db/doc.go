// Package db is the bun implementation of model.Store, over PostgreSQL
// (pgdialect with the pgx driver: production) and SQLite (sqlitedialect with a
// pure-Go driver: the embedded default). The same code and the same tests
// serve both; where the dialects differ (migrations, bulk copy) the
// difference is kept in one place. Its query hooks count statements and cap
// how many one tenant runs at once (Fairness), whoever names the tenant.
//
// On PostgreSQL, Routed sends reads to streaming replicas (ReplicaSet: health,
// lag, rotation) and honours consistency tokens, the primary's WAL position
// after a write (LSN), so that a client reads its own writes; migrations of
// processes started together take turns on an advisory lock.
// Every write of history entries, row by row or by COPY, also gives each
// entry it stores a position in its tenant's tamper-evident log (package
// integrity) in the same transaction (integrity.go); the proofs, the
// checkpoint signing, the verifier's reading and the backfill are in
// integrity_read.go.
//
// It must never import the GraphQL or HTTP packages.
package db
