package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// Key is an entry's position: entries are ordered by timestamp, then id.
type Key struct {
	TS time.Time
	ID string
}

// Less reports whether k comes before o (is older).
func (k Key) Less(o Key) bool {
	if !k.TS.Equal(o.TS) {
		return k.TS.Before(o.TS)
	}
	return k.ID < o.ID
}

// Item is one entry of a feed.
type Item struct {
	Key
	// Value is the entry (a model history entry).
	Value any
}

// Feed is what one subscription reads; the caller builds it from the
// connection's filters, so that a subscription selects what a page does.
type Feed struct {
	// Kind is the history (a model cursor kind), as notifications name it.
	Kind string
	// Group identifies the filter: subscriptions with equal Kind and Group
	// share the reads of new entries.
	Group string
	// Match returns the entries among ids that the feed selects, oldest first.
	Match func(ctx context.Context, ids []string) ([]Item, error)
	// After returns up to limit entries right after the entry named by
	// cursor (an entry id), oldest first, and whether more follow.
	After func(ctx context.Context, cursor string, limit int) ([]Item, bool, error)
	// Authorize re-checks the subscriber's access (the key may have been
	// revoked, a membership changed). An error ends the subscription with it.
	Authorize func(ctx context.Context) error
}

// Config tunes a hub. Zero values take the defaults of DefaultConfig.
type Config struct {
	// Buffer is how many entries a subscriber may have waiting; one more
	// ends its subscription with SLOW_SUBSCRIBER.
	Buffer int
	// Settle is how long a new entry is held, counted from its timestamp and
	// at most from its arrival, so that entries of concurrent writers are
	// delivered in keyset order.
	Settle time.Duration
	// MaxPerKey and MaxTotal bound the open subscriptions of one API key and
	// of the process.
	MaxPerKey, MaxTotal int
	// Recheck is how often every subscriber's access is re-checked even
	// without a notification.
	Recheck time.Duration
	// Page is the page size of a subscription's catch-up reads.
	Page int
}

// DefaultConfig is what a zero Config means.
func DefaultConfig() Config {
	return Config{Buffer: 1000, Settle: 250 * time.Millisecond, MaxPerKey: 50, MaxTotal: 5000, Recheck: time.Minute, Page: 500}
}

func (c Config) orDefault() Config {
	d := DefaultConfig()
	if c.Buffer <= 0 {
		c.Buffer = d.Buffer
	}
	if c.Settle < 0 {
		c.Settle = 0
	} else if c.Settle == 0 {
		c.Settle = d.Settle
	}
	if c.MaxPerKey <= 0 {
		c.MaxPerKey = d.MaxPerKey
	}
	if c.MaxTotal <= 0 {
		c.MaxTotal = d.MaxTotal
	}
	if c.Recheck <= 0 {
		c.Recheck = d.Recheck
	}
	if c.Page <= 0 {
		c.Page = d.Page
	}
	return c
}

// Codes of the errors a subscription ends with, beside the access errors.
var (
	// ErrSlow ends a subscriber whose queue is full. The caller adds the
	// cursor of the last entry it delivered.
	ErrSlow = &model.Error{Code: model.CodeSlowSubscriber, Message: "the subscriber did not keep up; resubscribe with the last cursor received"}
	// ErrInterrupted ends every subscription when the live channel was lost
	// (the database restarted): notifications may have been missed.
	ErrInterrupted = &model.Error{Code: model.CodeUnavailable, Message: "the live feed was interrupted; resubscribe with the last cursor received"}
	// ErrNotListening refuses subscriptions while the live channel is down.
	ErrNotListening = &model.Error{Code: model.CodeUnavailable, Message: "live subscriptions are unavailable; retry later"}
	// ErrShutdown ends subscriptions when the server stops.
	ErrShutdown = &model.Error{Code: model.CodeUnavailable, Message: "the server is shutting down; resubscribe with the last cursor received"}
)

// ListenFunc listens to the live channel (db.DB.Listen): it calls ready once
// listening, then fn for each notification, until ctx ends or the channel is
// lost (its error).
type ListenFunc func(ctx context.Context, ready func(), fn func(kind string, ids []string)) error

// Hub is the process's one fan-out point.
type Hub struct {
	cfg    Config
	logger *slog.Logger
	listen ListenFunc

	startOnce sync.Once
	ready     chan struct{}
	cancel    context.CancelFunc

	mu        sync.Mutex
	listening bool
	closed    bool
	groups    map[groupKey]*group
	subs      map[*Sub]struct{}
	perKey    map[string]int

	notes  chan note
	access chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
}

type groupKey struct{ kind, group string }

type group struct {
	feed Feed
	subs map[*Sub]struct{}
}

// subsOf lists the subscribers of a set (the hub's or a group's), for
// acting on them after the hub's lock is released; the caller holds it.
func subsOf(set map[*Sub]struct{}) []*Sub {
	out := make([]*Sub, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	return out
}

// arrival is an entry as the live feed brought it.
type arrival struct {
	Item
	at time.Time
}

type note struct {
	kind string
	ids  []string
}

// New returns a hub listening with listen. It starts listening with the
// first subscription (a server nobody subscribes to holds no listening
// connection); Close stops it.
func New(cfg Config, listen ListenFunc, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{cfg: cfg.orDefault(), logger: logger, listen: listen, groups: map[groupKey]*group{}, subs: map[*Sub]struct{}{},
		perKey: map[string]int{}, notes: make(chan note, 4096), access: make(chan struct{}, 1), stop: make(chan struct{}),
		ready: make(chan struct{})}
}

// startTimeout bounds the wait of the first subscription for the listener.
const startTimeout = 5 * time.Second

// ReconnectDelay is the pause before listening again after the live
// channel was lost.
var ReconnectDelay = 500 * time.Millisecond

// start runs the listener and the hub's loops, once.
func (h *Hub) start() {
	h.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			cancel()
			return
		}
		h.cancel = cancel
		h.mu.Unlock()
		h.wg.Add(3)
		go h.run()
		go h.recheck()
		go func() {
			defer h.wg.Done()
			var once sync.Once
			for {
				err := h.listen(ctx, func() {
					h.Listening(true)
					once.Do(func() { close(h.ready) })
				}, h.Notify)
				h.Listening(false)
				if ctx.Err() != nil {
					return
				}
				h.logger.Warn("live: the live channel was lost; listening again", "err", err)
				select {
				case <-time.After(ReconnectDelay):
				case <-ctx.Done():
					return
				}
			}
		}()
	})
}

// Config returns the hub's effective configuration.
func (h *Hub) Config() Config { return h.cfg }

// Close ends every subscription with ErrShutdown and stops the hub.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	stopListening := h.cancel
	subs := subsOf(h.subs)
	h.mu.Unlock()
	for _, s := range subs {
		s.fail(ErrShutdown)
	}
	close(h.stop)
	if stopListening != nil {
		stopListening()
	}
	h.wg.Wait()
}

// Listening records whether the live channel is being listened to. While it
// is not, subscriptions are refused; when it is lost, every subscription
// ends with ErrInterrupted, since entries committed meanwhile were not
// announced.
func (h *Hub) Listening(on bool) {
	h.mu.Lock()
	was := h.listening
	h.listening = on
	var subs []*Sub
	if was && !on {
		for s := range h.subs {
			subs = append(subs, s)
		}
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.fail(ErrInterrupted)
	}
}

// Notify takes one notification: entries of kind committed, or (with
// AccessKind) a change of access. It never blocks the listener for long.
func (h *Hub) Notify(kind string, ids []string) {
	if kind == AccessKind {
		select {
		case h.access <- struct{}{}:
		default:
		}
		return
	}
	h.mu.Lock()
	wanted := false
	for k := range h.groups {
		if k.kind == kind {
			wanted = true
			break
		}
	}
	h.mu.Unlock()
	if !wanted || len(ids) == 0 {
		return
	}
	select {
	case h.notes <- note{kind: kind, ids: ids}:
	case <-h.stop:
	}
}

// AccessKind is the notification kind of access changes (db.AccessChanged).
const AccessKind = "access"

// Stats is a snapshot of the hub, for metrics.
type Stats struct {
	Subscriptions, Groups int
}

// Stats returns the hub's current counts.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Subscriptions: len(h.subs), Groups: len(h.groups)}
}

// maxMatch bounds the ids of one read of new entries.
const maxMatch = 1000

// run reads each notification's entries once per group and queues them for
// the group's subscribers.
func (h *Hub) run() {
	defer h.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-h.stop:
			return
		case n := <-h.notes:
			// Announcements that queued meanwhile are read together: one
			// statement per group for up to maxMatch ids, not one per commit.
			byKind := map[string][]string{n.kind: n.ids}
			kinds := []string{n.kind}
		drain:
			for total := len(n.ids); total < maxMatch; {
				select {
				case m := <-h.notes:
					if _, ok := byKind[m.kind]; !ok {
						kinds = append(kinds, m.kind)
					}
					byKind[m.kind] = append(byKind[m.kind], m.ids...)
					total += len(m.ids)
				default:
					break drain
				}
			}
			for _, k := range kinds {
				h.match(ctx, note{kind: k, ids: byKind[k]})
			}
		}
	}
}

// matchAttempts bounds the reads of one notification's entries. After the
// database restarts, the pool still holds connections to the old server,
// and each fails once when used: a read retried on the next connection
// succeeds, where failing at once would end every subscription of the
// group for nothing.
const matchAttempts = 4

func matchRetrying(ctx context.Context, feed Feed, ids []string) ([]Item, error) {
	var err error
	for attempt := 0; attempt < matchAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
			}
		}
		var items []Item
		if items, err = feed.Match(ctx, ids); err == nil {
			return items, nil
		}
	}
	return nil, err
}

func (h *Hub) match(ctx context.Context, n note) {
	h.mu.Lock()
	var gs []*group
	for k, g := range h.groups {
		if k.kind == n.kind {
			gs = append(gs, g)
		}
	}
	h.mu.Unlock()
	now := time.Now()
	for _, g := range gs {
		items, err := matchRetrying(ctx, g.feed, n.ids)
		if err != nil {
			// The entries cannot be read: the group's subscribers would
			// miss them, so they end and resume from their cursors.
			h.logger.Warn("live: reading new entries failed", "kind", n.kind, "err", err)
			h.mu.Lock()
			subs := subsOf(g.subs)
			h.mu.Unlock()
			for _, s := range subs {
				s.fail(ErrInterrupted)
			}
			continue
		}
		if len(items) == 0 {
			continue
		}
		h.mu.Lock()
		subs := subsOf(g.subs)
		h.mu.Unlock()
		for _, s := range subs {
			for _, it := range items {
				if !s.push(arrival{Item: it, at: now}) {
					break
				}
			}
		}
	}
}

// recheck re-checks every subscriber's access on access notifications
// (gathered for a moment: a directory sync changes many memberships) and
// every cfg.Recheck.
func (h *Hub) recheck() {
	defer h.wg.Done()
	tick := time.NewTicker(h.cfg.Recheck)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.access:
			select {
			case <-time.After(50 * time.Millisecond):
			case <-h.stop:
				return
			}
		case <-tick.C:
		}
		h.mu.Lock()
		subs := subsOf(h.subs)
		h.mu.Unlock()
		for _, s := range subs {
			s.authorize()
		}
	}
}

// Subscribe opens a subscription to feed for the API key owner, starting
// after the entry named by cursor ("" for only entries committed from now
// on). Entries come on the returned channel in keyset order, each once; the
// channel is closed when ctx ends or the subscription fails (Sub.Err).
func (h *Hub) Subscribe(ctx context.Context, feed Feed, owner, cursor string) (*Sub, error) {
	h.start()
	select {
	case <-h.ready:
	case <-time.After(startTimeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return nil, ErrShutdown
	case !h.listening:
		h.mu.Unlock()
		return nil, ErrNotListening
	case h.perKey[owner] >= h.cfg.MaxPerKey:
		h.mu.Unlock()
		return nil, model.Errorf(model.CodeRateLimited, "an API key may hold at most %d subscriptions", h.cfg.MaxPerKey)
	case len(h.subs) >= h.cfg.MaxTotal:
		h.mu.Unlock()
		return nil, model.Errorf(model.CodeRateLimited, "the server holds its most subscriptions (%d); retry later", h.cfg.MaxTotal)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Sub{hub: h, feed: feed, owner: owner, ctx: ctx, cancel: cancel,
		q: make(chan arrival, h.cfg.Buffer), out: make(chan Item), failed: make(chan struct{})}
	h.subs[s] = struct{}{}
	h.perKey[owner]++
	h.mu.Unlock()
	go s.run(cursor)
	return s, nil
}

// join adds s to its feed's group; from then on new entries queue for it.
func (h *Hub) join(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := groupKey{s.feed.Kind, s.feed.Group}
	g := h.groups[k]
	if g == nil {
		g = &group{feed: s.feed, subs: map[*Sub]struct{}{}}
		h.groups[k] = g
	}
	g.subs[s] = struct{}{}
	s.group = g
}

func (h *Hub) leave(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	if h.perKey[s.owner]--; h.perKey[s.owner] <= 0 {
		delete(h.perKey, s.owner)
	}
	if g := s.group; g != nil {
		delete(g.subs, s)
		if len(g.subs) == 0 {
			delete(h.groups, groupKey{s.feed.Kind, s.feed.Group})
		}
	}
}

// Sub is one open subscription.
type Sub struct {
	hub    *Hub
	feed   Feed
	owner  string
	ctx    context.Context
	cancel context.CancelFunc
	group  *group

	q      chan arrival
	out    chan Item
	once   sync.Once
	failed chan struct{}
	err    error
}

// C delivers the entries; it is closed when the subscription ends.
func (s *Sub) C() <-chan Item { return s.out }

// Err is why the subscription ended: nil when its context ended, else a
// *model.Error (ErrSlow, ErrInterrupted, an access error, …).
func (s *Sub) Err() error {
	select {
	case <-s.failed:
		return s.err
	default:
		return nil
	}
}

func (s *Sub) fail(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.failed)
		s.cancel()
	})
}

// push queues a live entry; a full queue fails the subscriber.
func (s *Sub) push(it arrival) bool {
	select {
	case s.q <- it:
		return true
	default:
		s.fail(ErrSlow)
		return false
	}
}

func (s *Sub) authorize() {
	if s.feed.Authorize == nil || s.ctx.Err() != nil {
		return
	}
	err := s.feed.Authorize(s.ctx)
	if err == nil {
		return
	}
	var me *model.Error
	if errors.As(err, &me) && (me.Code == model.CodeForbidden || me.Code == model.CodeUnauthenticated || me.Code == model.CodeNotFound) {
		s.fail(err)
		return
	}
	// The check itself failed (the database is away): the next one decides.
	s.hub.logger.Warn("live: re-checking access failed", "err", err)
}

// recentIDs bounds the ids a subscription remembers from its catch-up, to
// recognise entries that the live feed brings too (those committed while it
// caught up, a short window).
const recentIDs = 10000

// run delivers the subscription: it joins the live feed first (new entries
// queue from then on), reads from the store everything after the cursor,
// then delivers the queue. Entries younger than the settle time, from the
// store or the feed, are held and go out in keyset order once settled; an
// entry both sources bring goes out once.
func (s *Sub) run(cursor string) {
	defer close(s.out)
	defer s.hub.leave(s)
	defer s.cancel()
	d := &delivery{s: s, settle: s.hub.cfg.Settle, seen: map[string]struct{}{}}
	s.hub.join(s)
	if d.catchUp(cursor) {
		d.follow()
	}
}

// delivery is what a subscription's run keeps: the ids it delivered from
// the store (recent ones), and the entries held until they settle.
type delivery struct {
	s      *Sub
	settle time.Duration
	seen   map[string]struct{}
	order  []string // seen's ids, oldest first
	held   heldItems
}

// send delivers it; false when the subscription ended.
func (d *delivery) send(it Item) bool {
	select {
	case d.s.out <- it:
		return true
	case <-d.s.ctx.Done():
		return false
	}
}

// remember records id as delivered; false when it was already.
func (d *delivery) remember(id string) bool {
	if _, dup := d.seen[id]; dup {
		return false
	}
	d.seen[id] = struct{}{}
	d.order = append(d.order, id)
	if len(d.order) > recentIDs {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	return true
}

// hold keeps the entry until it settles.
func (d *delivery) hold(a arrival) {
	wait := min(max(a.TS.Add(d.settle).Sub(a.at), 0), d.settle)
	d.held.push(heldItem{Item: a.Item, release: a.at.Add(wait)})
}

// flush sends the held entries due at now, in keyset order.
func (d *delivery) flush(now time.Time) bool {
	for d.held.len() > 0 && !d.held.top().release.After(now) {
		if !d.send(d.held.pop().Item) {
			return false
		}
	}
	return true
}

// catchUp reads from the store everything after the cursor and sends it,
// holding the entries that have not settled (and all after the first
// held, to keep the order). False when the subscription ended.
func (d *delivery) catchUp(cursor string) bool {
	s := d.s
	for cursor != "" {
		items, more, err := s.feed.After(s.ctx, cursor, s.hub.cfg.Page)
		if err != nil {
			if s.ctx.Err() == nil {
				var me *model.Error
				if !errors.As(err, &me) {
					s.hub.logger.Warn("live: catching up failed", "err", err)
					err = ErrInterrupted
				}
				s.fail(err)
			}
			return false
		}
		now := time.Now()
		for _, it := range items {
			cursor = it.ID
			if !d.remember(it.ID) {
				continue
			}
			if it.TS.After(now.Add(-d.settle)) || d.held.len() > 0 {
				d.hold(arrival{Item: it, at: now})
				continue
			}
			if !d.send(it) {
				return false
			}
		}
		if !more {
			break
		}
	}
	return true
}

// follow delivers the live feed's entries as they settle, until the
// subscription ends.
func (d *delivery) follow() {
	s := d.s
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		if !d.flush(now) {
			return
		}
		wake := time.Hour
		if d.held.len() > 0 {
			wake = d.held.top().release.Sub(now)
		}
		timer.Reset(wake)
		select {
		case <-s.ctx.Done():
			return
		case a := <-s.q:
			// Only the catch-up's ids are remembered: each commit is
			// announced once, so the live feed brings an entry once.
			if _, dup := d.seen[a.ID]; !dup {
				d.hold(a)
			}
		case <-timer.C:
		}
	}
}

// heldItems is a min-heap of entries in keyset order.
type heldItems struct{ h []heldItem }

type heldItem struct {
	Item
	release time.Time
}

func (q *heldItems) len() int      { return len(q.h) }
func (q *heldItems) top() heldItem { return q.h[0] }

func (q *heldItems) push(it heldItem) {
	q.h = append(q.h, it)
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.h[i].Key.Less(q.h[p].Key) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *heldItems) pop() heldItem {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q.h) && q.h[l].Key.Less(q.h[m].Key) {
			m = l
		}
		if r < len(q.h) && q.h[r].Key.Less(q.h[m].Key) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}
