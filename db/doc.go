// Package db is the bun implementation of model.Store, over PostgreSQL
// (pgdialect with the pgx driver: production) and SQLite (sqlitedialect with a
// pure-Go driver: the embedded default). The same code and the same tests
// serve both; where the dialects differ (migrations, bulk copy) the
// difference is kept in one place.
//
// It must never import the GraphQL or HTTP packages.
package db
