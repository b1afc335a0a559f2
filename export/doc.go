// Package export writes one history as NDJSON or CSV, page by page over the
// store's keyset reads, in constant memory. NDJSON lines are `auditgraph
// import` lines carrying each entry's id, so an export imported into another
// database (with the same directory) gives the same entries, ids and
// rendering; each line (and each CSV row) also carries the entry's
// connection cursor, to resume an interrupted export with `after`.
//
// What is exported and who may export it are decided before, by the
// caller (the server runs the connection's own query for that): this
// package holds no access rule and no filter of its own.
//
// It must never import the GraphQL or HTTP packages.
package export
