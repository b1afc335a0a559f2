// Package display turns stored audit entries into what the history endpoints
// show, and computes the stored event type payloads from snapshots.
//
// The GraphQL resolvers present entries with it; the REST shim shows what its
// in-process GraphQL operation answered, so the two APIs show byte-identical
// text without REST calling this package (REST only reads the changes
// GraphQL answered into their stored forms, which are its documents'). ingest computes the stored event
// type payloads with it. It must never import database, HTTP or GraphQL
// packages: it works on bytes and strings only, which keeps it testable
// without a server and usable from either side. None of its functions panic,
// whatever bytes they are given.
//
// The specification is the section "Event type history: how entries are
// displayed" of the REST contract README. Where that is silent, this package
// decides as follows.
//
// # Reading stored event type payloads
//
// The payload is {"version":1,"changedFields":[...],"changes":[...]}.
//
//   - It must be exactly one JSON object; trailing data is an error.
//   - version may be absent; if present it must be the number 1.
//   - changedFields may be absent or null; if present it must be an array of
//     strings. It is not cross-checked against changes, which alone decide
//     what is shown.
//   - changes must be an array (an empty one shows no fields). Each change
//     must be an object with a non-empty string field and a type of "value"
//     or "collection". label, if present and not null, must be a string.
//   - A collection's added, removed and updated may be absent or null
//     (empty), otherwise arrays; each updated item must be an object holding
//     both previousValue and newValue.
//   - Unknown keys are ignored everywhere.
//   - An action other than EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED or
//     EVENT_TYPE_DELETED cannot be rendered and is reported as HasError.
//
// Anything else gives HasError with no fields and a nil DisplayJSON.
// Fields are shown in the order of changes.
//
// # Text of a value
//
// Strings are shown as they are, numbers as written in the payload (2335925,
// 1.5; 1.50 stays 1.50, because the digits are what the writer stored),
// booleans as true/false, null as "null", and objects and arrays as compact
// JSON with keys sorted. A previousValue or newValue missing from a value
// change shows as "—" (U+2014).
//
// # Modified entries
//
// A value change becomes ValueChange. A collection change becomes Diff of the
// collection before and after. The payload only holds what changed, so the
// sides are defined as previous = removed followed by each updated item's
// previousValue, and next = added followed by each updated item's newValue;
// items that did not change are not shown. Each side is written like
// json.MarshalIndent(v, "", "  ") with keys sorted, "[]" when empty.
//
// # Created and deleted entries
//
// A created entry shows each change's newValue, a deleted entry its
// previousValue: a list becomes RawValues, anything else RawValue (so a
// plain object is one compact JSON text). A list's items are shown with the
// text rules above, except that a list holding any object or array shows
// every item as compact JSON, so its items read uniformly. A collection
// change shows its added items (created) or removed items (deleted) as
// RawValues. A missing side shows as RawValue "—".
//
// # JSON text
//
// All JSON this package writes (DisplayJSON, Diff sides, compact values,
// stored payloads) sorts object keys by byte order, which is code point
// order. Strings are escaped like JSON.stringify does: only the quote, the
// backslash and control characters; unlike encoding/json, <, > and & are not
// turned into \u003c-style escapes, since the live service shows them as
// they are. Invalid UTF-8 in stored strings reads as U+FFFD. When an object
// repeats a key, the last one wins.
//
// # Labels
//
// A change's label is used when non-empty; otherwise Label derives one from
// the field name (see Label for the exact splitting rules; acronyms such as
// URL are kept whole).
//
// # Actors
//
// ActorDisplayName follows the contract. A blank name or email counts as
// missing, and an unknown actor type shows name, else email, else "Unknown".
// ActionDisplayTitle says "changed" and RecordType returns "" for an unknown
// action.
//
// # Writing event type payloads
//
// EventTypeChangePayload compares the before and after snapshots field by
// field, in sorted key order, and skips fields whose values are equal JSON
// (key order is ignored; numbers compare by value, so 1 and 1.0 are equal).
// For a created event type every field of the snapshot is written, with only
// newValue; for a deleted one every field with only previousValue.
//
// A field is written as a collection change when each present side is an
// array of objects and at least one side is non-empty. Items are matched by
// their "id" when every item on both sides has one and no id repeats within
// a side; matched items whose content differs go into updated (in the order
// of the after list). Otherwise items are matched by equality, as a
// multiset, and nothing is reported as updated. A change that is only a
// reordering cannot be expressed as added/removed/updated, so it is written
// as a value change holding both whole lists. Everything else, including
// arrays of scalars and null, is a value change. Numbers keep their text.
// A snapshot with an empty key is rejected, since a change needs a field name.
//
// Any payload EventTypeChangePayload returns renders without HasError under
// the same action.
//
// # Attribute assignments and member change logs
//
// ParseAttributeChanges and ParseMemberChanges read the stored change lists
// with exact key names and report any structural problem as an error; see
// their documentation.
package display
