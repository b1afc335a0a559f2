package resolvers

import (
	"context"
	"sync"
	"sync/atomic"
)

// Shared rendering of live entries. gqlgen renders a subscription's edge
// once per subscriber; with many subscribers of one filter and one
// selection, that execution and its JSON are the same bytes every time. The
// server's response handler therefore learns which entry comes next before
// the executor renders it (this hand-over), and either sends bytes another
// subscription with the same document, variables and principal already
// rendered for that entry, or lets the executor render them (and keeps them
// for the others).

type sharedKey struct{}

// Shared is one subscription's hand-over between its stream and the
// server's response handler.
type Shared struct {
	// Key names what the rendering depends on besides the entry: the
	// operation's document, variables and principal (set by the server).
	Key string

	active atomic.Bool
	ids    chan string
	render chan bool
	end    sync.Once
}

// WithShared returns ctx with a hand-over slot whose renderings are shared
// under key.
func WithShared(ctx context.Context, key string) (context.Context, *Shared) {
	s := &Shared{Key: key, ids: make(chan string), render: make(chan bool)}
	return context.WithValue(ctx, sharedKey{}, s), s
}

// SharedFrom returns ctx's hand-over slot, nil if none.
func SharedFrom(ctx context.Context) *Shared {
	s, _ := ctx.Value(sharedKey{}).(*Shared)
	return s
}

// Active reports whether a stream uses the slot: only a subscription that
// opened does; one refused at subscribe time answers through the executor.
func (s *Shared) Active() bool { return s.active.Load() }

// Next waits for the id of the entry the stream delivers next; false when
// the stream ended (its last response, if any, comes from the executor).
// Every true must be followed by one Decide.
func (s *Shared) Next(ctx context.Context) (string, bool) {
	select {
	case id, ok := <-s.ids:
		return id, ok
	case <-ctx.Done():
		return "", false
	}
}

// Decide tells the stream whether the executor renders the entry (true:
// the stream hands it to gqlgen) or the caller sent shared bytes (false:
// the stream skips it).
func (s *Shared) Decide(ctx context.Context, render bool) {
	select {
	case s.render <- render:
	case <-ctx.Done():
	}
}

// offer hands the entry's id over and returns whether the executor must
// render it; ok is false when ctx ended.
func (s *Shared) offer(ctx context.Context, id string) (render, ok bool) {
	select {
	case s.ids <- id:
	case <-ctx.Done():
		return false, false
	}
	select {
	case render = <-s.render:
		return render, true
	case <-ctx.Done():
		return false, false
	}
}

func (s *Shared) close() { s.end.Do(func() { close(s.ids) }) }
