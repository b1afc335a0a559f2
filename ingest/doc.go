// Package ingest is the write side: validating input records and turning
// them into stored directory records and history entries. The GraphQL
// mutations and `auditgraph import` both go through it, so an entry the API
// refuses is refused by the import too, for the same reason and with the
// same error.
//
// Rules shared by both paths:
//
//   - Every history entry belongs to one organization: its member (attribute
//     changes), its actor (change logs) must be members of it, and an event
//     type belongs to it through its team (a managed child through its
//     parent's) or, for a personal event type, through its owner's
//     membership.
//   - Timestamps default to now, are stored with millisecond precision, and
//     may not be before 1970 nor more than MaxFutureSkew ahead.
//   - JSON documents (payloads, snapshots, changes, source context) are at
//     most MaxJSONBytes each.
//   - Idempotency keys are stored as "<organization id>:<key>", so tenants
//     cannot collide; a key already stored returns the stored entry.
//   - Errors are *model.Error values naming the field: "entries[3].timestamp"
//     for a batch, the field within the record for an import line.
//
// A record batch is all-or-nothing. An import is not: every line stands
// alone, rejected lines are listed with their line numbers and the others
// are imported (see Import).
//
// The input records (input.go) are also the GraphQL write inputs: gqlgen
// binds them, so ingest must never import the GraphQL, HTTP or database
// packages, and an entry's field is declared here once.
package ingest
