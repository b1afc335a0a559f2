// Package devproc is what the development programs in cmd/ (bench,
// benchlive, soak, hatest, explain) and internal/pgtest share to run other
// processes: a free loopback port, a freshly built auditgraph binary served
// as a child process (started, waited for until ready, stopped), the tail of
// a log, and one-statement SQL against a server, scratch databases included.
//
// It exists so that each program does not carry its own copy of these steps.
// It is never imported by the product (server, resolvers, rest, db, ingest,
// model, live, export) and must never import any auditgraph package: it
// knows the binary only by its command line, environment and /readyz.
package devproc
