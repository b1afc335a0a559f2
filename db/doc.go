// Package db is the bun implementation of model.Store, over PostgreSQL
// (pgdialect with the pgx driver: production) and SQLite (sqlitedialect with a
// pure-Go driver: the embedded default). The same code and the same tests
// serve both; where the dialects differ (migrations, bulk copy) the
// difference is kept in one place. Its query hooks count statements and cap
// how many one tenant runs at once (Fairness), whoever names the tenant.
//
// It must never import the GraphQL or HTTP packages.
package db
