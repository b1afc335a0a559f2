// Package server assembles auditgraph's HTTP face: the GraphQL endpoint, the
// playground, the REST shim, health and metrics, and the middleware they share
// (request ids, logging, credentials, limits, CORS, security headers, and the
// /v1 and /v2 envelopes for any path of those families).
//
// It holds no business rules: access is model's, rendering is model/display's,
// SQL is db's. It is built from Parts that cmd/ makes (internal/wire): a
// Store interface, the resolvers' executable schema, the live fan-out and
// the database's metric series. Consistency tokens are opaque strings to it.
// It must never import db.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/graph/playground"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/rest"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is what the server runs on: the domain's store (credentials,
// readiness, the export's pages), and what the error mapping, the query
// fairness and the consistency tokens need of the database beneath it.
// cmd/ opens it (package db); the server never reaches past this interface.
type Store interface {
	model.Store
	Consistency
	// Unavailable reports whether err means the database could not be
	// reached, which callers see as SERVICE_UNAVAILABLE.
	Unavailable(err error) bool
	// WithTenant returns ctx whose statements count against tenant's cap
	// (Config.UserDBConcurrency, which the wiring applies to the store).
	WithTenant(ctx context.Context, tenant string) context.Context
}

// Consistency is read-your-writes across read replicas, with the token as
// an opaque string: the server reads it from a request's header, pins a
// writing operation to the primary, and answers the token of its writes.
type Consistency interface {
	// ReadAfterToken returns ctx whose reads see every write up to the
	// client's token, or an error when token is not one (the client gets
	// BAD_USER_INPUT).
	ReadAfterToken(ctx context.Context, token string) (context.Context, error)
	// PrimaryOnly returns ctx whose reads all go to the primary: an
	// operation's reads must see its own writes at once.
	PrimaryOnly(ctx context.Context) context.Context
	// CurrentToken is the token of every write committed so far (the
	// primary's write position); ok is false where there are no replicas
	// (SQLite), and the answer then has none.
	CurrentToken(ctx context.Context) (token string, ok bool, err error)
}

// Parts are what the server is built from; the wiring (internal/wire)
// makes them from the opened database.
type Parts struct {
	// Store is the primary's store.
	Store Store
	// Schema is the executable schema (resolvers.Resolver.Schema) that the
	// GraphQL endpoint, the REST shim and the export run.
	Schema graphql.ExecutableSchema
	// Live is the fan-out the schema's subscriptions are fed from; Close
	// ends it (nil: nothing to end).
	Live interface{ Close() }
	// Collectors are the database's series of /metrics (statements, the
	// pool, the read replicas), read at each scrape.
	Collectors []prometheus.Collector
}

// Server is the assembled HTTP handler.
type Server struct {
	cfg     Config
	store   Store
	logger  *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	limiter *rateLimiter
	// refused remembers, by hash, keys that failed to authenticate.
	refused *expirable.LRU[string, error]
	// good remembers, by hash, keys that authenticated.
	good   *expirable.LRU[string, struct{}]
	schema graphql.ExecutableSchema
	exec   *executor.Executor
	live   interface{ Close() }
	// share keeps live entries' renderings for subscriptions that select
	// them alike.
	share liveShare
	// v1NotFound and v2NotFound answer a path of their family that no
	// route takes, in the family's envelope.
	v1NotFound, v2NotFound http.Handler
}

// New builds the HTTP server from its parts, on an open, migrated store.
func New(cfg Config, p Parts, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, store: p.Store, logger: logger, mux: http.NewServeMux(),
		metrics: newMetrics(p.Collectors), limiter: newRateLimiter(cfg),
		refused: expirable.NewLRU[string, error](refusedKeys, nil, refusedKeyTTL),
		good:    expirable.NewLRU[string, struct{}](goodKeys, nil, goodKeyTTL),
		schema:  p.Schema, live: p.Live}
	s.exec = s.newExecutor(s.schema)
	s.routes()
	return s
}

// Close ends the live subscriptions (SERVICE_UNAVAILABLE with their
// cursors) and stops listening to the live channel.
func (s *Server) Close() {
	if s.live != nil {
		s.live.Close()
	}
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.secure(s.cors(s.apiFamilies(s.mux))) }

func (s *Server) handle(pattern, route string, h http.Handler) {
	s.mux.Handle(pattern, s.observe(route, s.limits(h)))
}

func (s *Server) routes() {
	gql := s.graphqlHandler()
	s.handle("/graphql", "graphql", gql)
	s.handle("GET /schema.graphql", "schema", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, graph.SDL())
	}))
	s.mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	s.mux.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx := r.Context()
		if s.cfg.RequestTimeout > 0 {
			// A database that does not answer must not hold the probe.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
			defer cancel()
		}
		if err := s.store.Ping(ctx); err != nil {
			s.logger.WarnContext(r.Context(), "database unreachable", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":"unavailable"}`))
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	pgConfig := playground.Config{Endpoint: "/graphql", Title: "auditgraph", ExampleVariables: s.cfg.PlaygroundVariables}
	var pg http.Handler = playground.Handler(pgConfig)
	if s.cfg.PlaygroundAPIKey != "" && LoopbackOnly(s.cfg.ListenAddr) {
		// The key is embedded only for a server nobody else can reach, and
		// only in a page asked for by a loopback name: a page fetched
		// through another name (DNS rebinding) gets none.
		pgConfig.DefaultAPIKey = s.cfg.PlaygroundAPIKey
		keyed, plain := playground.Handler(pgConfig), pg
		pg = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if LoopbackOnly(r.Host) || LoopbackOnly(r.Host+":0") {
				keyed.ServeHTTP(w, r)
				return
			}
			plain.ServeHTTP(w, r)
		})
	}
	s.mux.Handle("GET /{$}", pg)
	s.mux.Handle("GET /playground/", pg)

	// The export (a project extension): the connections' files.
	s.handle("GET /export/{history}", "export", s.admit(writeGraphQLError, nil, false, s.consistency(writeGraphQLError, http.HandlerFunc(s.export))))

	// The REST shim: each endpoint runs its GraphQL operation through Execute.
	api := rest.New(s, s.cfg.PageSizes)
	calRoute := func(pattern, route string, h http.HandlerFunc) {
		s.handle(pattern, route, s.admit(rest.WriteCalError, calQuota, true, s.consistency(rest.WriteCalError, h)))
	}
	calRoute("/v2/organizations/{orgId}/attributes/assignments/{userId}/history", "rest_attribute_history", api.AttributeAssignmentHistory)
	calRoute("/v2/event-types/{eventTypeId}/history", "rest_event_type_history", api.EventTypeHistory)
	s.v2NotFound = s.observe("rest_v2_not_found", s.limits(s.admit(rest.WriteCalError, calQuota, false, http.HandlerFunc(api.CalNotFound))))
	s.mux.Handle("/v2/", s.v2NotFound)
	// The integrity endpoints (this project's extension) take the GraphQL
	// endpoint's credentials and answer errors in the /v2 envelope. Like
	// every read, they and the export honour a consistency token: an entry
	// just written is found even when a replica serves the read.
	integrityRoute := func(pattern, route string, h http.HandlerFunc) {
		s.handle(pattern, route, s.admit(rest.WriteCalError, calQuota, false, s.consistency(rest.WriteCalError, h)))
	}
	integrityRoute("GET /integrity/entries/{history}/{id}", "rest_integrity_entry", api.IntegrityEntry)
	integrityRoute("GET /integrity/streams/{kind}/{id}", "rest_integrity_stream", api.IntegrityStream)
	integrityRoute("GET /integrity/streams/{kind}/{id}/consistency", "rest_integrity_consistency", api.IntegrityConsistency)
	s.handle("/v1/organizations/{organization_id}/users/{user_id}/change-logs", "rest_change_logs",
		s.admit(rest.WriteV1Error, v1Quota, false, s.consistency(rest.WriteV1Error, http.HandlerFunc(api.MemberChangeLogs))))
	s.v1NotFound = s.observe("rest_v1_not_found", s.limits(s.admit(rest.WriteV1Error, v1Quota, false, http.HandlerFunc(api.V1NotFound))))
	s.mux.Handle("/v1/", s.v1NotFound)
}
