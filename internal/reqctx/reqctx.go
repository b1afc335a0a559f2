// Package reqctx carries the request id (and the trace id /v1 answers
// show) through a request's context, so every layer logs with it and errors
// shown to callers can quote it.
package reqctx

import (
	"context"
	"sync"

	"github.com/google/uuid"
)

type key struct{}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

type traceKey struct{}

// trace is a request's trace id, made on first use: most requests never
// show one.
type trace struct {
	mu sync.Mutex
	id string
}

func (t *trace) get(create bool) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.id == "" && create {
		t.id = uuid.NewString()
	}
	return t.id
}

// WithTrace returns ctx able to give the request a trace id: a UUID, as
// /v1's error envelope shows it. made returns the id if one was made.
func WithTrace(ctx context.Context) (c context.Context, made func() string) {
	t := &trace{}
	return context.WithValue(ctx, traceKey{}, t), func() string { return t.get(false) }
}

// TraceID returns the request's trace id, making it on first use; "" when
// ctx was not made by WithTrace.
func TraceID(ctx context.Context) string {
	t, _ := ctx.Value(traceKey{}).(*trace)
	if t == nil {
		return ""
	}
	return t.get(true)
}
