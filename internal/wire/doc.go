// Package wire builds the HTTP server on an opened database: it is where
// db, resolvers, live and server meet. It applies the server's settings
// that belong to the store (the per-tenant statement cap, the fact cache),
// makes the live fan-out over the database's notices, the resolvers over
// the store with its read replicas, their executable schema, and the
// database's metric series, and hands them to server.New as server.Parts.
//
// `auditgraph serve`, the dev programs in cmd/ and every test that runs the
// whole server build it here, so that what is tested is what is served.
// Nothing imports it but programs and tests; it holds no rule of its own
// and must never be imported by a library package (server, rest,
// resolvers, db or beneath them).
package wire
