// Package reliability holds the tests that prove auditgraph holds up outside
// the happy path: database faults with traffic running, graceful shutdown of
// the real binary, the configured limits, abusive requests (one test per
// kind: costly documents, made-up keys, unbounded labels, one tenant's flood
// of the pool) answered within CPU, memory and size budgets, secret handling
// in storage and logs, and fuzzing of whole GraphQL documents against the
// real handler and of a document's cost before execution.
//
// It has no code of its own: everything is in its _test.go files. The fault
// test stops and starts the package's private PostgreSQL server, so tests of
// this package do not run in parallel with each other. The replica and
// failover tests build replicated clusters of their own (pgtest.NewCluster):
// read-your-writes across two instances, a replica stopped under load, and
// the primary killed under write load.
package reliability
