package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/ast"
)

// ConsistencyHeader carries a consistency token: in the answer to every
// mutation (PostgreSQL only), and in a request whose reads must see the
// writes it stands for.
const ConsistencyHeader = "X-Consistency-Token"

// maxTokenLength bounds the header before it is parsed ("FFFFFFFF/FFFFFFFF").
const maxTokenLength = 17

type tokenSlot struct{ token string }

type tokenSlotKey struct{}

// consistency reads a presented consistency token into the request's
// context, where the store's replica routing finds it, and writes the
// token of the request's writes, if any, into the answer's header. A
// malformed token is refused with BAD_USER_INPUT in the interface's own
// format (write): reading without it could answer from a replica that has
// not seen the client's write.
func (s *Server) consistency(write limitedWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if raw := r.Header.Get(ConsistencyHeader); raw != "" {
			var err error
			if len(raw) > maxTokenLength {
				err = errTokenTooLong
			} else {
				ctx, err = s.store.ReadAfterToken(ctx, raw)
			}
			if err != nil {
				e := model.Errorf(model.CodeInvalid, "the %s header is not a consistency token: pass the value of an earlier answer's header unchanged", ConsistencyHeader)
				e.Field = ConsistencyHeader
				write(w, r, e)
				return
			}
		}
		slot := &tokenSlot{}
		ctx = context.WithValue(ctx, tokenSlotKey{}, slot)
		next.ServeHTTP(&tokenWriter{ResponseWriter: w, slot: slot}, r.WithContext(ctx))
	})
}

type tokenError string

func (e tokenError) Error() string { return string(e) }

const errTokenTooLong = tokenError("too long")

// tokenWriter adds the header once the answer's headers are written, which
// is after the operation (and its writes) has run.
type tokenWriter struct {
	http.ResponseWriter
	slot    *tokenSlot
	flushed bool
}

func (w *tokenWriter) header() {
	if !w.flushed {
		w.flushed = true
		if w.slot.token != "" {
			w.ResponseWriter.Header().Set(ConsistencyHeader, w.slot.token)
		}
	}
}

func (w *tokenWriter) WriteHeader(code int) {
	w.header()
	w.ResponseWriter.WriteHeader(code)
}

func (w *tokenWriter) Write(b []byte) (int, error) {
	w.header()
	return w.ResponseWriter.Write(b)
}

func (w *tokenWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// aroundMutation runs a mutation (and a subscription) with every read on the primary (its own
// reads must see its writes at once) and, once it has run, reads the
// primary's WAL position: a consistency token covering each of its
// commits, put in extensions.consistencyToken and in the answer's header.
// Without a token (SQLite, or the primary not answering) the answer has
// none and the client reads as it would without replicas.
func (s *Server) aroundMutation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		// A subscription's catch-up read and its live reads must see every
		// announced commit: a lagging replica would open a gap between them.
		return next(s.store.PrimaryOnly(ctx))
	}
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	ctx = s.store.PrimaryOnly(ctx)
	h := next(ctx)
	return func(rctx context.Context) *graphql.Response {
		resp := h(s.store.PrimaryOnly(rctx))
		if resp == nil {
			return nil
		}
		token, ok, err := s.store.CurrentToken(rctx)
		if err != nil {
			s.logger.WarnContext(rctx, "reading the consistency token failed; the answer has none", "err", err)
		}
		if !ok {
			return resp
		}
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["consistencyToken"] = token
		if slot, _ := rctx.Value(tokenSlotKey{}).(*tokenSlot); slot != nil {
			slot.token = token
		}
		return resp
	}
}
