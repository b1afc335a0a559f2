package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// graphqlEngine is what handler.Server (HTTP) and executor.Executor (the
// REST shim, in process) have in common: both are set up by configure, so
// both run the same schema with the same limits, directives and errors.
type graphqlEngine interface {
	Use(graphql.HandlerExtension)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
	AroundOperations(graphql.OperationMiddleware)
	AroundResponses(graphql.ResponseMiddleware)
	SetParserTokenLimit(int)
}

// newGraphQL builds the HTTP GraphQL server: explicit transports on the
// shared configuration.
func (s *Server) newGraphQL(schema graphql.ExecutableSchema) *handler.Server {
	srv := handler.New(schema)
	srv.AddTransport(transport.Options{})
	// Subscriptions: graphql-transport-ws over WebSocket, and server-sent
	// events (a POST asking for text/event-stream, so before postJSON).
	srv.AddTransport(s.websocket())
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postJSON{})
	s.configure(srv)
	return srv
}

// newExecutor builds the in-process executor the REST shim runs operations on.
func (s *Server) newExecutor(schema graphql.ExecutableSchema) *executor.Executor {
	exec := executor.New(schema)
	s.configure(exec)
	return exec
}

// Execute runs one GraphQL operation in process, with the caller's context
// (credentials, request id), exactly as the HTTP endpoint would.
func (s *Server) Execute(ctx context.Context, query string, variables map[string]any) *graphql.Response {
	ctx = resolvers.WithLoaders(graphql.StartOperationTrace(ctx))
	now := graphql.Now()
	params := &graphql.RawParams{Query: query, Variables: variables, ReadTime: graphql.TraceTiming{Start: now, End: now}}
	oc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return s.exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
	}
	responses, ctx := s.exec.DispatchOperation(ctx, oc)
	if resp := responses(ctx); resp != nil {
		return resp
	}
	// gqlgen answers nothing when the context ended before execution began.
	return &graphql.Response{Errors: gqlerror.List{timedOut()}}
}

// configure applies, in this order: persisted queries (to put the document
// in place), the document limits (before gqlgen parses and validates), the
// parser's token limit, the cost limit, then storing a persisted query
// (after everything accepted it); error mapping and bounding, and metrics.
func (s *Server) configure(srv graphqlEngine) {
	parsed := newByteCache(s.cfg.QueryCacheBytes, func(q string, _ *ast.QueryDocument) int {
		// A parsed document holds about ten times its text.
		return 11 * len(q)
	})
	srv.SetQueryCache(parsed)
	srv.SetParserTokenLimit(s.cfg.Limits.Tokens)
	if s.cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	persisted := persistedQueries{cache: newByteCache(s.cfg.QueryCacheBytes, func(h, q string) int { return len(h) + len(q) })}
	srv.Use(persisted)
	limits := s.cfg.Limits
	limits.Depth = s.cfg.MaxDepth
	srv.Use(documentLimits{DocumentLimits: limits, parsed: parsed})
	if s.cfg.MaxComplexity > 0 {
		srv.Use(costLimit{max: s.cfg.MaxComplexity, es: s.schema})
	}
	srv.Use(errorBound{max: s.cfg.MaxErrors, maxMessage: maxErrorMessage})
	srv.Use(queryFairness{store: s.store})
	srv.Use(resolvers.TextGuard{})
	srv.SetErrorPresenter(resolvers.ErrorPresenter(s.logger, s.store.Unavailable))
	srv.SetRecoverFunc(resolvers.Recover(s.logger))
	srv.AroundOperations(s.aroundMutation)
	srv.AroundOperations(s.liveOperation)
	srv.AroundResponses(s.liveResponse)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if oc.Operation != nil {
			name = oc.Operation.Name
		}
		name = s.metrics.operationName(name)
		h := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			s.metrics.operations.WithLabelValues(name).Observe(time.Since(start).Seconds())
			if resp != nil {
				for _, e := range resp.Errors {
					code, _ := e.Extensions["code"].(string)
					s.metrics.errors.WithLabelValues(s.metrics.codeLabel(code)).Inc()
				}
			}
			return resp
		}
	})
	// The persisted query is stored by the last context mutator: every
	// check before it has passed.
	srv.Use(persistedStore(persisted))
}

// maxErrorMessage cuts an error message (a validation message can quote
// the caller's input).
const maxErrorMessage = 1024

// costLimit refuses operations whose cost (resolvers.Cost) is over max.
type costLimit struct {
	max int
	es  graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = costLimit{}

func (costLimit) ExtensionName() string                   { return "ComplexityLimit" }
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (c costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost := resolvers.Cost(ctx, c.es, oc.Operation, oc.Doc.Fragments, oc.Variables)
	if cost > c.max {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost, c.max)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		err.Extensions["complexity"] = cost
		err.Extensions["maxComplexity"] = c.max
		return err
	}
	return nil
}

// graphqlHandler is the GraphQL endpoint: credentials, per-request loaders,
// then the executable schema.
func (s *Server) graphqlHandler() http.Handler {
	srv := s.newGraphQL(s.schema)
	return s.admit(writeGraphQLError, nil, false, s.consistency(writeGraphQLError, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := resolvers.WithLoaders(r.Context())
		if streaming(r) {
			// The server's read deadline bounds reading a request; a
			// stream of events outlives it.
			http.NewResponseController(w).SetReadDeadline(time.Time{})
			// A WebSocket's operations are charged to this address when
			// they carry no valid key.
			ctx = context.WithValue(ctx, clientAddrKey{}, clientIP(r))
		}
		srv.ServeHTTP(&deadlineGuard{ResponseWriter: w, ctx: ctx}, r.WithContext(ctx))
	})))
}

// writeGraphQLError answers a request refused before execution (rate limit)
// in GraphQL's error format.
func writeGraphQLError(w http.ResponseWriter, _ *http.Request, err *model.Error) {
	status := http.StatusBadRequest
	if err.Code == model.CodeRateLimited {
		status = http.StatusTooManyRequests
	}
	ext := map[string]any{"code": err.Code}
	if err.Field != "" {
		ext["field"] = err.Field // a refused header (X-Consistency-Token) is named like an argument
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{{Message: err.Message, Extensions: ext}}})
}

// queryFairness names the caller's user as the tenant of a query
// operation's statements, so the store caps how many of them run at once
// (see Config.UserDBConcurrency). Keyed on the user, not the key: a tenant's
// many keys share one cap. Mutations are left alone: their transactions
// must not wait for a slot while holding a connection.
type queryFairness struct{ store Store }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = queryFairness{}

func (queryFairness) ExtensionName() string                   { return "QueryFairness" }
func (queryFairness) Validate(graphql.ExecutableSchema) error { return nil }
func (q queryFairness) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Query {
		if p, err := model.PrincipalFrom(ctx); err == nil && p.User != nil {
			ctx = q.store.WithTenant(ctx, "user:"+strconv.FormatInt(p.User.ID, 10))
		}
	}
	return next(ctx)
}
