package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/live"
	"github.com/auditgraph/auditgraph/model"
)

// LiveReader reads the entries of a filter among given ids: what a
// notification's ids mean to a group of subscribers (package db).
type LiveReader interface {
	AttributeHistoryByIDs(ctx context.Context, f model.AttributeHistoryFilter, ids []string) ([]model.AttributeAssignmentEntry, error)
	EventTypeHistoryByIDs(ctx context.Context, f model.EventTypeHistoryFilter, ids []string) ([]model.EventTypeEntry, error)
	MemberChangeLogsByIDs(ctx context.Context, f model.MemberChangeLogFilter, ids []string) ([]model.MemberChangeLog, error)
}

// A subscription that ends with an error sends a null edge; the error
// travels beside it, in the response's errors, by way of the terminal slot
// the server puts in every subscription's context (WithTerminal), so that
// it is presented and coded like any error, on every transport.

type terminalKey struct{}

// Terminal holds the error a subscription ended with.
type Terminal struct {
	mu  sync.Mutex
	err error
}

// WithTerminal returns ctx with a fresh terminal slot.
func WithTerminal(ctx context.Context) (context.Context, *Terminal) {
	t := &Terminal{}
	return context.WithValue(ctx, terminalKey{}, t), t
}

// TerminalFrom returns ctx's terminal slot, nil if none.
func TerminalFrom(ctx context.Context) *Terminal {
	t, _ := ctx.Value(terminalKey{}).(*Terminal)
	return t
}

// Take returns the error once.
func (t *Terminal) Take() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.err
	t.err = nil
	return err
}

func (t *Terminal) set(err error) {
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
}

// groupOf names a filter: subscriptions with equal filters share reads.
func groupOf(f any) string {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// afterCursor decodes a subscription's after argument.
func afterCursor(kind string, after *string) (string, error) {
	if after == nil {
		return "", nil
	}
	return model.DecodeCursor(kind, "after", *after)
}

// historyFeed is a subscription to one history kind: its filter (the
// scope and the caller's filter, already checked), how entries are read by
// id when notified and after a cursor when catching up, and the edge an
// entry becomes.
type historyFeed[F, T, E any] struct {
	kind   *model.HistoryKind
	filter F
	// byIDs and page are methods of LiveReader and model.Store, taken
	// from the resolver only when they are called (a server without live
	// subscriptions has no LiveReader).
	byIDs func(LiveReader, context.Context, F, []string) ([]T, error)
	page  func(model.Store, context.Context, F, model.PageArgs) (model.Page[T], error)
	key   func(*T) live.Key
	edge  func(*T, string) *E
}

// subscribeHistory opens the subscription to h from after (a cursor of
// h's kind, or nil for the entries written from now on): the one path of
// every history's subscription.
func subscribeHistory[F, T, E any](ctx context.Context, r *Resolver, h historyFeed[F, T, E], after *string) (<-chan *E, error) {
	cursor, err := afterCursor(h.kind.Cursor, after)
	if err != nil {
		return nil, err
	}
	feed := live.Feed{Kind: h.kind.Cursor, Group: groupOf(h.filter),
		Match: func(ctx context.Context, ids []string) ([]live.Item, error) {
			entries, err := h.byIDs(r.LiveReader, ctx, h.filter, ids)
			return asItems(entries, h.key, err)
		},
		After: func(ctx context.Context, cursor string, limit int) ([]live.Item, bool, error) {
			return readAfter(ctx, func(ctx context.Context, p model.PageArgs) (model.Page[T], error) {
				return h.page(r.Store, ctx, h.filter, p)
			}, h.key, cursor, limit)
		}}
	return stream(ctx, r, feed, after, cursor, func(_ context.Context, e *T, c string) *E { return h.edge(e, c) })
}

// readAfter reads the page of up to limit entries right after cursor (the
// connection's backward page: the same keyset read), oldest first.
func readAfter[T any](ctx context.Context, read func(context.Context, model.PageArgs) (model.Page[T], error), key func(*T) live.Key, cursor string, limit int) ([]live.Item, bool, error) {
	page, err := read(ctx, model.PageArgs{Limit: limit, Backward: true, Cursor: cursor})
	if err != nil {
		return nil, false, err
	}
	items := make([]live.Item, len(page.Items))
	for i := range page.Items {
		e := &page.Items[len(page.Items)-1-i]
		items[i] = live.Item{Key: key(e), Value: e}
	}
	return items, page.More, nil
}

func asItems[T any](entries []T, key func(*T) live.Key, err error) ([]live.Item, error) {
	if err != nil {
		return nil, err
	}
	items := make([]live.Item, len(entries))
	for i := range entries {
		items[i] = live.Item{Key: key(&entries[i]), Value: &entries[i]}
	}
	return items, nil
}

func attributeKey(e *model.AttributeAssignmentEntry) live.Key {
	return live.Key{TS: e.Timestamp, ID: e.ID}
}
func eventTypeKey(e *model.EventTypeEntry) live.Key  { return live.Key{TS: e.Timestamp, ID: e.ID} }
func changeLogKey(e *model.MemberChangeLog) live.Key { return live.Key{TS: e.Timestamp, ID: e.ID} }

// stream opens a subscription to feed and turns its entries into edges.
func stream[T, E any](ctx context.Context, r *Resolver, feed live.Feed, after *string, cursor string, edge func(context.Context, *T, string) *E) (<-chan *E, error) {
	sub, err := r.openLive(ctx, feed, cursor)
	if err != nil {
		return nil, err
	}
	shared := SharedFrom(ctx)
	if shared != nil {
		shared.active.Store(true)
	}
	out := make(chan *E)
	go forward(ctx, sub, feed.Kind, after, shared, edge, out)
	return out, nil
}

// openLive subscribes the caller to feed from cursor, after checking that
// the server has live subscriptions and that the caller's access holds
// now (it is re-checked with feed.Authorize while the subscription lasts).
func (r *Resolver) openLive(ctx context.Context, feed live.Feed, cursor string) (*live.Sub, error) {
	if r.Live == nil {
		return nil, model.Errorf(model.CodeUnavailable, "live subscriptions are not available on this server")
	}
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	feed.Authorize = r.accessCheck(ctx)
	// The credentials of a WebSocket were read when it opened: the key
	// may have been revoked since.
	if err := feed.Authorize(ctx); err != nil {
		return nil, err
	}
	owner := "user:" + strconv.FormatInt(p.User.ID, 10)
	if p.Key != nil {
		owner = "key:" + strconv.FormatInt(p.Key.ID, 10)
	}
	return r.Live.Subscribe(ctx, feed, owner, cursor)
}

// forward turns the subscription's entries into edges on out, offering
// each to the shared rendering first when there is one, and ends it with
// the subscription's error (see endStream).
func forward[T, E any](ctx context.Context, sub *live.Sub, kind string, after *string, shared *Shared, edge func(context.Context, *T, string) *E, out chan<- *E) {
	defer close(out)
	if shared != nil {
		defer shared.close()
	}
	last := ""
	if after != nil {
		last = *after
	}
	for it := range sub.C() {
		c := model.EncodeCursor(kind, it.ID)
		if shared != nil {
			render, ok := shared.offer(ctx, it.ID)
			if !ok {
				return
			}
			if !render {
				// The response handler sent another subscription's
				// rendering of this entry.
				last = c
				continue
			}
		}
		select {
		case out <- edge(ctx, it.Value.(*T), c):
			last = c
		case <-ctx.Done():
			return
		}
	}
	if shared != nil {
		// The last response (nil, or the terminal error) comes from the
		// executor.
		shared.close()
	}
	endStream(ctx, sub.Err(), last, out)
}

// endStream hands the error a subscription ended with (if any) to the
// terminal slot, with the cursor to resume from when resuming is the
// remedy, and sends the null edge that carries it.
func endStream[E any](ctx context.Context, err error, last string, out chan<- *E) {
	term := TerminalFrom(ctx)
	if err == nil || term == nil {
		return
	}
	var me *model.Error
	if errors.As(err, &me) {
		e := *me
		if e.Code == model.CodeSlowSubscriber || e.Code == model.CodeUnavailable {
			e.Cursor = last
		}
		err = &e
	}
	term.set(err)
	select {
	case out <- nil:
	case <-ctx.Done():
	}
}

// accessCheck returns the re-check of a subscription's access: the key is
// looked up again (it may have been revoked or have expired), then the
// field's own access directives run again, with fresh loaders. It must be
// called with ctx or a context derived from it.
func (r *Resolver) accessCheck(ctx context.Context) func(context.Context) error {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	p, _ := model.PrincipalFrom(ctx)
	dirs := r.Directives()
	return func(c context.Context) error {
		if p == nil || p.Key == nil {
			return model.ErrUnauthenticated
		}
		k, u, err := r.Store.APIKeyWithUser(c, p.Key.Hash)
		if model.ErrorCode(err) == model.CodeNotFound {
			return model.ErrUnauthenticated
		}
		if err != nil {
			return err
		}
		if !k.Usable(time.Now()) {
			return model.ErrUnauthenticated
		}
		// c descends from the subscription's field context (the directives
		// read its arguments there): wrapping it again would make the
		// field its own parent.
		c = model.WithPrincipal(WithLoaders(c), &model.Principal{User: u, Key: k})
		pass := func(context.Context) (any, error) { return nil, nil }
		for _, d := range fc.Field.Definition.Directives {
			args := d.ArgumentMap(oc.Variables)
			switch d.Name {
			case "hasRole":
				var roles []model.Role
				if list, ok := args["roles"].([]any); ok {
					for _, v := range list {
						s, _ := v.(string)
						roles = append(roles, model.Role(s))
					}
				}
				_, err = dirs.HasRole(c, nil, pass, roles, stringArg(args, "permission"), stringArg(args, "organization"))
			case "canAuditEventType":
				scope, _ := args["scope"].(string)
				_, err = dirs.CanAuditEventType(c, nil, pass, scope)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

func stringArg(args map[string]any, name string) *string {
	if s, ok := args[name].(string); ok {
		return &s
	}
	return nil
}
