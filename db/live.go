package db

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// Live histories. Every append tells the server processes which entries it
// committed, so subscriptions learn of new entries without polling:
//
//   - on PostgreSQL, inside the writing transaction, NOTIFY on LiveChannel
//     with the history kind and the new entries' ids. PostgreSQL delivers a
//     notification when (and only if) its transaction commits, to every
//     listening process, whichever process wrote; each server holds one
//     listening connection (Listen), never one per subscriber.
//   - on SQLite, which has no such channel, an in-process bus: the store
//     publishes after the commit to the process's own listeners. Writes of
//     another process (`auditgraph import` beside a running server) are not
//     seen live on SQLite.
//
// A notification with the kind AccessChanged says a key was revoked or a
// membership changed: subscribers re-check their access.

// LiveChannel is the PostgreSQL notification channel.
const LiveChannel = "auditgraph_live"

// AccessChanged is the kind of a notification that access may have changed.
const AccessChanged = "access"

// maxNotifyIDs bounds the ids of one notification: PostgreSQL payloads are
// at most 8000 bytes, an id is at most 36 bytes and a separator.
const maxNotifyIDs = 180

// Notification is one message of the live channel.
type Notification struct {
	// Kind is a cursor kind (model.CursorAttributeHistory, …) or AccessChanged.
	Kind string
	// IDs are the entries committed (none for AccessChanged).
	IDs []string
}

func (n Notification) payload() string {
	return n.Kind + " " + strings.Join(n.IDs, " ")
}

func parseNotification(payload string) Notification {
	f := strings.Fields(payload)
	if len(f) == 0 {
		return Notification{}
	}
	return Notification{Kind: f[0], IDs: f[1:]}
}

// chunks splits the ids of one commit into notifications.
func chunks(kind string, ids []string) []Notification {
	var out []Notification
	for len(ids) > 0 {
		n := min(len(ids), maxNotifyIDs)
		out = append(out, Notification{Kind: kind, IDs: ids[:n]})
		ids = ids[n:]
	}
	return out
}

// bus is the in-process channel of SQLite databases.
type bus struct {
	mu        sync.Mutex
	listeners map[int]func(Notification)
	next      int
}

func (b *bus) publish(n Notification) {
	b.mu.Lock()
	ls := make([]func(Notification), 0, len(b.listeners))
	for _, l := range b.listeners {
		ls = append(ls, l)
	}
	b.mu.Unlock()
	for _, l := range ls {
		l(n)
	}
}

func (b *bus) add(f func(Notification)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listeners == nil {
		b.listeners = map[int]func(Notification){}
	}
	id := b.next
	b.next++
	b.listeners[id] = f
	return func() {
		b.mu.Lock()
		delete(b.listeners, id)
		b.mu.Unlock()
	}
}

// notify announces entries committed by the transaction of idb (PostgreSQL),
// or queues them for after the commit (SQLite, see publishAfter).
func (s *Store) notify(ctx context.Context, idb bun.IDB, kind string, ids []string) error {
	if len(ids) == 0 && kind != AccessChanged {
		return nil
	}
	if s.dialect != Postgres {
		return nil
	}
	ns := chunks(kind, ids)
	if kind == AccessChanged {
		ns = []Notification{{Kind: kind}}
	}
	for _, n := range ns {
		if _, err := idb.ExecContext(ctx, "SELECT pg_notify(?, ?)", LiveChannel, n.payload()); err != nil {
			return err
		}
	}
	return nil
}

// publish tells this process's SQLite listeners of a commit.
func (s *Store) publish(kind string, ids []string) {
	if s.dialect == Postgres || (len(ids) == 0 && kind != AccessChanged) {
		return
	}
	if kind == AccessChanged {
		s.db.bus.publish(Notification{Kind: kind})
		return
	}
	for _, n := range chunks(kind, ids) {
		s.db.bus.publish(n)
	}
}

// Listen delivers the live channel's notifications to fn until ctx ends or,
// on PostgreSQL, the listening connection is lost: then it returns the
// error (notifications may have been missed; the caller decides how its
// subscribers recover). ready is called once listening has begun.
func (d *DB) Listen(ctx context.Context, ready func(), fn func(Notification)) error {
	if d.Dialect != Postgres {
		remove := d.bus.add(fn)
		defer remove()
		ready()
		<-ctx.Done()
		return ctx.Err()
	}
	if d.pgConfig == nil {
		return errors.New("db: no connection configuration to listen with")
	}
	cfg := d.pgConfig.Copy()
	// The listening connection must not be cut by the statement timeout
	// while it waits.
	delete(cfg.RuntimeParams, "statement_timeout")
	return listenPG(ctx, cfg, LiveChannel, ready, func(payload string) { fn(parseNotification(payload)) })
}

// listenPG holds a connection of its own LISTENing on channel: ready is
// called once listening has begun, then fn with each notification's
// payload, until ctx ends or the connection is lost (its error).
func listenPG(ctx context.Context, cfg *pgx.ConnConfig, channel string, ready func(), fn func(payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// LiveReconnectDelay is how long Listen's callers wait before listening
// again after a lost connection.
const LiveReconnectDelay = 500 * time.Millisecond

// Entries of a filter among given ids, in keyset order (oldest first): what
// a notification's ids mean to one group of subscribers. The filters are the
// page reads' own.

// AttributeHistoryByIDs returns the entries among ids that f selects.
func (s *Store) AttributeHistoryByIDs(ctx context.Context, f model.AttributeHistoryFilter, ids []string) ([]model.AttributeAssignmentEntry, error) {
	var rows []attributeEntryRow
	err := attributeFilter(s.idb.NewSelect().Model(&rows), f).Where("h.id IN (?)", bun.List(ids)).
		OrderExpr("h.created_at ASC, h.id ASC").Scan(ctx)
	return unwrap(rows, func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry }), err
}

// EventTypeHistoryByIDs returns the entries among ids that f selects.
func (s *Store) EventTypeHistoryByIDs(ctx context.Context, f model.EventTypeHistoryFilter, ids []string) ([]model.EventTypeEntry, error) {
	var rows []eventTypeEntryRow
	err := eventTypeFilter(s.idb.NewSelect().Model(&rows), f).Where("h.id IN (?)", bun.List(ids)).
		OrderExpr("h.created_at ASC, h.id ASC").Scan(ctx)
	return unwrap(rows, func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry }), err
}

// MemberChangeLogsByIDs returns the entries among ids that f selects.
func (s *Store) MemberChangeLogsByIDs(ctx context.Context, f model.MemberChangeLogFilter, ids []string) ([]model.MemberChangeLog, error) {
	var rows []changeLogRow
	err := changeLogFilters(changeLogScope(f)(s.idb.NewSelect().Model(&rows)), f).Where("h.id IN (?)", bun.List(ids)).
		OrderExpr("h.created_at ASC, h.id ASC").Scan(ctx)
	return unwrap(rows, func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog }), err
}
