package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/auditgraph/auditgraph/graph"
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
}

func (s *Server) executableSchema() graphql.ExecutableSchema {
	res := &resolvers.Resolver{Store: s.store, Logger: s.logger, PageSizes: s.cfg.PageSizes}
	cfg := graph.Config{Resolvers: res, Directives: res.Directives()}
	resolvers.SetComplexity(&cfg.Complexity, s.cfg.PageSizes)
	return graph.NewExecutableSchema(cfg)
}

// newGraphQL builds the HTTP GraphQL server: explicit transports on the
// shared configuration.
func (s *Server) newGraphQL(schema graphql.ExecutableSchema) *handler.Server {
	srv := handler.New(schema)
	srv.AddTransport(transport.Options{})
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

// configure applies the parsed-query cache, persisted queries, complexity
// and depth limits, error mapping and metrics.
func (s *Server) configure(srv graphqlEngine) {
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if s.cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	if s.cfg.MaxComplexity > 0 {
		srv.Use(extension.FixedComplexityLimit(s.cfg.MaxComplexity))
	}
	if s.cfg.MaxDepth > 0 {
		srv.Use(depthLimit{max: s.cfg.MaxDepth})
	}
	srv.Use(resolvers.TextGuard{})
	srv.SetErrorPresenter(resolvers.ErrorPresenter(s.logger, s.store.Unavailable))
	srv.SetRecoverFunc(resolvers.Recover(s.logger))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		name := graphql.GetOperationContext(ctx).OperationName
		if name == "" {
			name = "anonymous"
		}
		h := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			s.metrics.operations.WithLabelValues(name).Observe(time.Since(start).Seconds())
			if resp != nil {
				for _, e := range resp.Errors {
					code, _ := e.Extensions["code"].(string)
					s.metrics.errors.WithLabelValues(code).Inc()
				}
			}
			return resp
		}
	})
}

// graphqlHandler is the GraphQL endpoint: credentials, per-request loaders,
// then the executable schema.
func (s *Server) graphqlHandler() http.Handler {
	srv := s.newGraphQL(s.schema)
	return s.rateLimit(writeGraphQLError, nil, s.credentials(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := resolvers.WithLoaders(r.Context())
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
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{{
		Message: err.Message, Extensions: map[string]any{"code": err.Code},
	}}})
}

// depthLimit refuses operations nested deeper than max selections.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.max {
		return &gqlerror.Error{
			Message:    "operation is nested too deeply",
			Extensions: map[string]any{"code": model.CodeInvalid, "depth": depth, "maxDepth": d.max},
		}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen int) int {
	if seen > 64 { // fragment cycles are rejected by validation; stop anyway
		return seen
	}
	max := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				d = 1 + selectionDepth(s.SelectionSet, frags, seen+1)
			} else {
				d = 1
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, seen+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, seen+1)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
