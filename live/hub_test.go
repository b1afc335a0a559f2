package live

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// fakeChannel is a live channel the test announces on.
type fakeChannel struct {
	mu  sync.Mutex
	fn  func(string, []string)
	end chan error
}

func (c *fakeChannel) listen(ctx context.Context, ready func(), fn func(string, []string)) error {
	c.mu.Lock()
	c.fn = fn
	c.mu.Unlock()
	ready()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-c.end:
		return err
	}
}

func (c *fakeChannel) announce(ids ...string) {
	c.mu.Lock()
	fn := c.fn
	c.mu.Unlock()
	fn("k", ids)
}

// store is the entries the fake feed reads: every id is one entry, its
// timestamp its position.
type store struct {
	mu      sync.Mutex
	entries []Item
}

func (s *store) add(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for range n {
		i := len(s.entries)
		it := Item{Key: Key{TS: time.Unix(0, 0).Add(time.Duration(i) * time.Millisecond), ID: fmt.Sprintf("e%05d", i)}}
		s.entries = append(s.entries, it)
		ids = append(ids, it.ID)
	}
	return ids
}

func (s *store) feed() Feed {
	return Feed{Kind: "k", Group: "g",
		Match: func(ctx context.Context, ids []string) ([]Item, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var out []Item
			for _, it := range s.entries {
				for _, id := range ids {
					if it.ID == id {
						out = append(out, it)
					}
				}
			}
			return out, nil
		},
		After: func(ctx context.Context, cursor string, limit int) ([]Item, bool, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for i, it := range s.entries {
				if it.ID == cursor {
					rest := s.entries[i+1:]
					if len(rest) > limit {
						return append([]Item(nil), rest[:limit]...), true, nil
					}
					return append([]Item(nil), rest...), false, nil
				}
			}
			return nil, false, model.InvalidField("after", cursor, "no such entry")
		}}
}

func newHub(t *testing.T, cfg Config) (*Hub, *fakeChannel) {
	ch := &fakeChannel{end: make(chan error, 1)}
	h := New(cfg, ch.listen, nil)
	t.Cleanup(h.Close)
	return h, ch
}

func TestSlowSubscriberEndsWithErrSlow(t *testing.T) {
	h, ch := newHub(t, Config{Buffer: 3, Settle: -1})
	s := &store{}
	s.add(1)
	sub, err := h.Subscribe(context.Background(), s.feed(), "key", "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the subscriber has joined
	// Nobody reads: one entry waits to be handed over, three queue, the
	// fifth does not fit.
	for range 10 {
		ch.announce(s.add(1)...)
	}
	deadline := time.After(5 * time.Second)
	for range sub.C() {
		select {
		case <-deadline:
			t.Fatal("the subscription did not end")
		default:
		}
	}
	if sub.Err() != ErrSlow {
		t.Fatalf("ended with %v, want ErrSlow", sub.Err())
	}
}

func TestCatchUpThenLiveOnceInOrder(t *testing.T) {
	h, ch := newHub(t, Config{Settle: 20 * time.Millisecond, Page: 7})
	s := &store{}
	first := s.add(30)
	sub, err := h.Subscribe(context.Background(), s.feed(), "key", first[4])
	if err != nil {
		t.Fatal(err)
	}
	// Entries committed meanwhile come from the store and the channel.
	more := s.add(20)
	ch.announce(more...)
	var got []string
	for it := range sub.C() {
		got = append(got, it.ID)
		if len(got) == 25+20 {
			break
		}
	}
	want := append(append([]string(nil), first[5:]...), more...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestLimitsAndInterruption(t *testing.T) {
	h, ch := newHub(t, Config{MaxPerKey: 2, MaxTotal: 3})
	s := &store{}
	ctx := context.Background()
	var subs []*Sub
	for _, owner := range []string{"a", "a", "b"} {
		sub, err := h.Subscribe(ctx, s.feed(), owner, "")
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	if _, err := h.Subscribe(ctx, s.feed(), "a", ""); model.ErrorCode(err) != model.CodeRateLimited {
		t.Fatalf("third of one key: %v, want RATE_LIMITED", err)
	}
	if _, err := h.Subscribe(ctx, s.feed(), "c", ""); model.ErrorCode(err) != model.CodeRateLimited {
		t.Fatalf("over the process cap: %v, want RATE_LIMITED", err)
	}
	// The channel is lost: every subscription ends, resumable.
	ch.end <- fmt.Errorf("connection reset")
	for _, sub := range subs {
		for range sub.C() {
		}
		if sub.Err() != ErrInterrupted {
			t.Fatalf("ended with %v, want ErrInterrupted", sub.Err())
		}
	}
}

func TestAccessRecheckEndsSubscription(t *testing.T) {
	h, _ := newHub(t, Config{})
	s := &store{}
	var revoked sync.Mutex
	allowed := true
	f := s.feed()
	f.Authorize = func(context.Context) error {
		revoked.Lock()
		defer revoked.Unlock()
		if !allowed {
			return model.ErrUnauthenticated
		}
		return nil
	}
	sub, err := h.Subscribe(context.Background(), f, "key", "")
	if err != nil {
		t.Fatal(err)
	}
	revoked.Lock()
	allowed = false
	revoked.Unlock()
	h.Notify(AccessKind, nil)
	for range sub.C() {
	}
	if model.ErrorCode(sub.Err()) != model.CodeUnauthenticated {
		t.Fatalf("ended with %v, want UNAUTHENTICATED", sub.Err())
	}
}
