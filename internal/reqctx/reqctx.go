// Package reqctx carries the request id (and the trace id /v1 answers
// show) through a request's context, so every layer logs with it and errors
// shown to callers can quote it.
package reqctx

import "context"

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

// WithTraceID returns ctx carrying a trace id: a UUID, as /v1's error
// envelope shows it, logged beside the request id.
func WithTraceID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, traceKey{}, id)
}

// TraceID returns the trace id of ctx, or "".
func TraceID(ctx context.Context) string {
	id, _ := ctx.Value(traceKey{}).(string)
	return id
}
