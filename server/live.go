package server

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Live subscriptions over HTTP: the WebSocket transport (graphql-transport-ws)
// and server-sent events, with the credentials, limits and error codes of
// every other GraphQL request.

// websocket is gqlgen's WebSocket transport with the API's credentials: the
// upgrade request's headers (read by credentials, as for any request) or,
// for browsers, which cannot set headers on a WebSocket, the connection
// parameters `Authorization` (`Bearer cal_…`) or `X-API-Key`.
func (s *Server) websocket() transport.Websocket {
	var origins []string
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" {
			origins = append(origins, "*")
			continue
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			origins = append(origins, u.Host)
		}
	}
	return transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: origins}},
		InitFunc:       s.websocketInit,
		InitTimeout:    10 * time.Second,
		// Pings keep proxies from closing a quiet subscription and find
		// dead clients.
		KeepAlivePingInterval: 15 * time.Second,
	}
}

type overWebsocketKey struct{}

// clientAddrKey holds a streaming request's client address.
type clientAddrKey struct{}

func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// websocketInit reads the key of the connection parameters, as admit reads
// a request's: refused keys count against the address's failed
// authentication budget, which, once spent, refuses keys that did not
// authenticate recently.
func (s *Server) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx = context.WithValue(ctx, overWebsocketKey{}, true)
	secret, present := "", false
	if h := payload.Authorization(); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		secret, present = strings.TrimSpace(token), true
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			secret = ""
		}
	} else if v, ok := payload["X-API-Key"].(string); ok {
		secret, present = strings.TrimSpace(v), true
	}
	if !present {
		return ctx, nil, nil
	}
	rl, addr := s.limiter, clientAddr(ctx)
	if rl != nil && rl.failures != nil {
		if ok, _, _ := rl.failures.take(addr, 0); !ok && !s.recentlyGood(secret) {
			return model.WithCredentialError(ctx, &model.Error{Code: model.CodeRateLimited,
				Message: "Too many requests (too many failed authentications from this address)"}), nil, nil
		}
	}
	p, err := s.authenticate(ctx, secret)
	switch {
	case err == nil:
		ctx = model.WithPrincipal(ctx, p)
	default:
		if refusedCredential(err) && rl != nil && rl.failures != nil {
			rl.failures.take(addr, 1)
		}
		ctx = model.WithCredentialError(ctx, err)
	}
	return ctx, nil, nil
}

// liveOperation gives every subscription its terminal-error slot, and
// charges operations sent over a WebSocket (after its upgrade, which admit
// charged) to the caller's budget: the key's, or the address's anonymous
// one.
func (s *Server) liveOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if over, _ := ctx.Value(overWebsocketKey{}).(bool); over && s.limiter != nil {
		table, bucket := s.limiter.anonymous, clientAddr(ctx)
		if p, err := model.PrincipalFrom(ctx); err == nil && p.Key != nil {
			table, bucket = s.limiter.keys, "key:"+strconv.FormatInt(p.Key.ID, 10)
		}
		if table != nil {
			if ok, wait, _ := table.take(bucket, 1); !ok {
				secs := max(1, int(math.Ceil(wait.Seconds())))
				return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
					Message:    "Too many requests: retry in " + strconv.Itoa(secs) + "s",
					Extensions: map[string]any{"code": model.CodeRateLimited},
				}}})
			}
		}
	}
	if oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		ctx, _ = resolvers.WithTerminal(ctx)
		if key := shareKey(ctx, oc); key != "" && !s.share.off.Load() {
			ctx, _ = resolvers.WithShared(ctx, key)
		}
	}
	return next(ctx)
}

// liveResponse adds the error a subscription ended with to its last response.
func (s *Server) liveResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	var resp *graphql.Response
	if sh := resolvers.SharedFrom(ctx); sh != nil && sh.Active() {
		resp = s.share.respond(ctx, sh, next)
	} else {
		resp = next(ctx)
	}
	if resp == nil {
		return nil
	}
	if t := resolvers.TerminalFrom(ctx); t != nil {
		if err := t.Take(); err != nil {
			resp.Errors = append(resp.Errors, resolvers.ErrorPresenter(s.logger, s.store.Unavailable)(ctx, err))
		}
	}
	return resp
}

// streaming reports requests that stay open: WebSocket upgrades, server-sent
// event streams and exports. The request timeout does not apply to them
// (every statement still has the statement timeout).
func streaming(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/export/") || strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// Flush lets server-sent events through the middleware's writers.
func (w *statusWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Flush lets server-sent events through.
func (g *deadlineGuard) Flush() { http.NewResponseController(g.ResponseWriter).Flush() }
