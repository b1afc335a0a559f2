// Package seed writes the demo data set: two organizations with teams, users
// in every role, event types of every kind and a few hundred history entries
// covering every action, actor type, source and displayed value kind.
//
// It is deterministic (same ids, same entries on every run) and goes through
// model.Store only, so running it twice duplicates nothing: the directory is
// upserted and every entry carries an idempotency key.
package seed
