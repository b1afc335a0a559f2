// Package rest is the REST face of auditgraph: the three endpoints existing
// clients already call (see the contract under ../shared/contract), answered
// exactly as those clients expect.
//
// It is a translation and nothing more. Each endpoint reads its REST input,
// runs one GraphQL operation in process (so access, validation and limits are
// the schema's, written once), reshapes the data into the documented JSON and
// maps GraphQL error codes to each service's status codes and envelope. Where
// a selection can write the document's shape itself (aliases, the connection's
// nodes, FieldValue.kind), as for event type history, the nodes pass through
// as GraphQL wrote them and only the envelope around them is written here.
// Where it cannot, the nodes are decoded into the smallest shape that writes
// them as the document does, named by aliases and by the stored forms in
// model/display, each saying why it must exist (attributeLog, changeLog).
//
// It must never import db, resolvers or server, and never hold an access
// rule: a rule written here would be a second copy that GraphQL does not see.
package rest
