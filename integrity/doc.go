// Package integrity makes the audit histories tamper-evident: every entry
// of the three histories is a leaf of an RFC 6962 Merkle tree, one tree per
// tenant stream, and signed checkpoints commit to each tree's root, so
// that a changed, removed, forged or reordered entry is found by anyone
// holding the verifier key.
//
// It holds the canonical encoding of entries, the stream names, the tree
// state writers keep (compact ranges, github.com/transparency-dev/merkle),
// inclusion and consistency proofs, signed checkpoints (tlog checkpoints
// of github.com/transparency-dev/formats in signed notes of
// golang.org/x/mod/sumdb/note, Ed25519), and the verifier. It must never
// import the database, GraphQL, HTTP or resolver packages: the store (db)
// and the API use it, and a verifier must be buildable from it alone.
//
// # Streams
//
// An entry's stream is its tenant, fixed when the entry is written:
//
//   - org/<id>: attribute assignment entries and member change logs of the
//     organization, and event type entries of event types whose team (a
//     managed child: its parent's team) belongs to the organization;
//   - team/<id>: event type entries of a team outside any organization;
//   - user/<id>: event type entries of a personal event type.
//
// A stream is read by whoever may read every history of its tenant
// (model.AuthorizeStream); an entry's proof by whoever may read the entry.
//
// # Canonical entry encoding, version 1
//
// An entry's bytes are the magic, the version, the history's kind byte,
// then the stored columns of the entry's table in table order, each as one
// tagged value:
//
//	magic    16 bytes  "auditgraph-entry" (ASCII)
//	version   1 byte   0x01
//	kind      1 byte   0x01 attribute_assignment_history
//	                   0x02 event_type_history
//	                   0x03 member_change_logs
//	values   …
//
//	NULL       0x00
//	text       0x01, length as uint32 big-endian, the UTF-8 bytes
//	bigint     0x02, int64 big-endian two's complement
//	timestamp  0x03, int64 big-endian: microseconds since 1970-01-01T00:00:00Z
//
// Columns, in order (text unless said otherwise; "?" may be NULL):
//
//	0x01 attribute_assignment_history (14 values): id, organization_id
//	     (bigint), user_id (bigint), membership_id (bigint), created_at
//	     (timestamp), source, actor_type, actor_ref?, actor_name?,
//	     actor_email?, actor_avatar?, source_context, changes,
//	     idempotency_key?
//	0x02 event_type_history (16 values): id, event_type_id (bigint),
//	     action, type, created_at (timestamp), source, actor_type,
//	     actor_ref?, actor_name?, actor_email?, actor_avatar?,
//	     impersonated_by_name?, impersonated_by_email?,
//	     impersonated_by_avatar?, payload, idempotency_key?
//	0x03 member_change_logs (14 values): id, organization_id (bigint),
//	     actor_user_id (bigint), action, created_at (timestamp),
//	     resource_type, resource_id, resource_name?, changes,
//	     idempotency_key?, actor_public_id?, actor_name?, actor_email?,
//	     actor_avatar?
//
// Ids of the two uuid-keyed histories are encoded in PostgreSQL's output
// form (lowercase, hyphenated); writers store ids in that form and
// timestamps truncated to microseconds on both dialects, so what is read
// back encodes to the same bytes. A change of form is a new version. A
// migration that rewrites stored entries changes their bytes: every log
// position after it fails verification, as it should; such a migration
// must run before the log exists (as the change log actor columns did) or
// come with a new encoding version and a re-logging.
//
// # Columns added later
//
// The encoder is derived from the entry types (model/history.go): their
// bun-tagged fields in declaration order, the fields of embedded structs
// in place, are the columns; declaration order is table order. The values
// above, version 1's columns, are always encoded, NULL or not. A column
// added later goes at the end of its entry type (where ALTER TABLE … ADD
// COLUMN puts it) and must be nullable (a pointer: *string text, *int64
// bigint, *time.Time timestamp). After version 1's columns, the columns
// are encoded in order up to the last one that is not NULL, and trailing
// NULLs are left out; so a column added later, NULL on every entry logged
// before it, adds no byte to their leaves and they keep verifying, while
// an entry that sets it has its tagged value (and a 0x00 for each NULL
// column before it) after version 1's. The encoding stays one-to-one: an
// entry's values are its bytes' values, padded with NULLs. A NOT NULL
// column, a column of another Go type (a new tag), or a column anywhere
// but at the end would change or make ambiguous the bytes of entries
// already logged: each needs a new Version. The package refuses, when it
// is initialized, an entry type with a NOT NULL column after version 1's
// or a column type it has no tag for; its golden test
// (testdata/entries.golden) fails when a version 1 entry's bytes change.
//
// The leaf hash is SHA-256(0x00 || bytes) and an inner node
// SHA-256(0x01 || left || right) (RFC 6962 section 2.1).
//
// # Checkpoints
//
// A checkpoint is the C2SP tlog checkpoint "auditgraph/<stream>\n<size>\n
// <base64 root>\n" in a C2SP signed note, signed with Ed25519. Verifier keys
// are note verifier keys, "<name>+<hash>+<base64 0x01||public key>".
package integrity
