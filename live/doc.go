// Package live fans newly committed history entries out to the server's
// subscriptions: one Hub per process takes the live channel's notifications
// (package db: PostgreSQL LISTEN/NOTIFY, or an in-process bus on SQLite),
// reads the entries once per group of identical filters, holds them for a
// short settle time so that concurrent writers' entries go out in keyset
// order, and hands them to each subscriber's bounded queue. A subscription
// that resumes from a cursor first reads what it missed from the store, then
// switches to the live feed without a gap or a repeat.
//
// What a subscription reads and who may read it are the caller's (package
// resolvers builds a Feed from the connection's own filters and access
// directives): live holds no filter and no access rule of its own.
//
// It must never import the database, GraphQL or HTTP packages.
package live
