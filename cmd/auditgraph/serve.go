package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

var serveCommand = &command{
	name:    "serve",
	args:    "[flags]",
	summary: "Run the HTTP server (the default command).",
	run:     serve,
}

type serveConfig struct {
	addr          string
	databaseURL   string
	demo          bool
	server        server.Config
	dbMaxConns    int
	dbStmtTimeout time.Duration
	logFormat     string
	shutdownGrace time.Duration
	gcPercent     int
	replicaURLs   []string
	replicas      db.ReplicaOptions
	// integrityKeyFile holds the checkpoint signing key; empty: generated
	// beside the embedded default, none otherwise.
	integrityKeyFile   string
	checkpointInterval time.Duration
}

func parseServeConfig(e *env, cmd *command, args []string) (*serveConfig, error) {
	c := &serveConfig{}
	def := server.Defaults()
	f := newFlagSet(e, cmd)
	f.stringVar(&c.addr, "addr", "AUDITGRAPH_ADDR", "127.0.0.1:8080",
		"address to listen on; the default is this machine only (the playground embeds the demo key only on a loopback-only address): use :8080 to listen on every interface")
	databaseFlag(f, &c.databaseURL)
	f.boolVar(&c.demo, "demo", "AUDITGRAPH_DEMO", false,
		"seed the demo data into an empty database and print demo API keys (default: true on the embedded SQLite default only)")
	f.boolVar(&c.server.Introspection, "introspection", "AUDITGRAPH_INTROSPECTION", def.Introspection,
		"allow GraphQL schema introspection (the playground needs it)")
	f.listVar(&c.server.CORSOrigins, "cors-origins", "AUDITGRAPH_CORS_ORIGINS", def.CORSOrigins,
		"comma-separated origins allowed to call the API from a browser; * allows any")
	f.int64Var(&c.server.MaxBodyBytes, "max-body-bytes", "AUDITGRAPH_MAX_BODY_BYTES", def.MaxBodyBytes, "largest request body accepted")
	f.durationVar(&c.server.RequestTimeout, "request-timeout", "AUDITGRAPH_REQUEST_TIMEOUT", def.RequestTimeout, "time allowed to handle one request")
	f.intVar(&c.server.MaxDepth, "max-depth", "AUDITGRAPH_MAX_DEPTH", def.MaxDepth, "deepest GraphQL operation accepted")
	f.intVar(&c.server.MaxComplexity, "max-complexity", "AUDITGRAPH_MAX_COMPLEXITY", def.MaxComplexity, "most complex GraphQL operation accepted")
	f.float64Var(&c.server.RateLimit, "rate-limit", "AUDITGRAPH_RATE_LIMIT", def.RateLimit, "sustained requests per second per API key; 0: no limit")
	f.intVar(&c.server.RateBurst, "rate-burst", "AUDITGRAPH_RATE_BURST", def.RateBurst, "requests per API key allowed in a burst above the rate limit")
	abuseFlags(f, &c.server, def)
	f.intVar(&c.server.PageSizes.Default, "page-size", "AUDITGRAPH_PAGE_SIZE", def.PageSizes.Default,
		"entries in a history page when the caller asks for no size")
	f.intVar(&c.server.PageSizes.Max, "max-page-size", "AUDITGRAPH_MAX_PAGE_SIZE", def.PageSizes.Max,
		"largest page of the attribute assignment and event type histories (first, last; REST limit)")
	f.intVar(&c.server.PageSizes.MaxChangeLogs, "max-change-log-page-size", "AUDITGRAPH_MAX_CHANGE_LOG_PAGE_SIZE", def.PageSizes.MaxChangeLogs,
		"largest page of member change logs (first, last; REST take)")
	f.durationVar(&c.server.AccessCacheTTL, "access-cache-ttl", "AUDITGRAPH_ACCESS_CACHE_TTL", def.AccessCacheTTL,
		"longest an API key or access fact is served from memory (at most 10s); 0: read them on every request")
	f.intVar(&c.server.Live.Buffer, "live-buffer", "AUDITGRAPH_LIVE_BUFFER", def.Live.Buffer,
		"entries a live subscriber may have waiting before it is ended with SLOW_SUBSCRIBER")
	f.durationVar(&c.server.Live.Settle, "live-settle", "AUDITGRAPH_LIVE_SETTLE", def.Live.Settle,
		"how long new entries are held so that concurrent writers' entries go out in order")
	f.intVar(&c.server.Live.MaxPerKey, "live-max-per-key", "AUDITGRAPH_LIVE_MAX_PER_KEY", def.Live.MaxPerKey,
		"open live subscriptions allowed per API key")
	f.intVar(&c.server.Live.MaxTotal, "live-max-subscriptions", "AUDITGRAPH_LIVE_MAX_SUBSCRIPTIONS", def.Live.MaxTotal,
		"open live subscriptions allowed in the process")
	f.durationVar(&c.server.Live.Recheck, "live-recheck", "AUDITGRAPH_LIVE_RECHECK", def.Live.Recheck,
		"how often live subscribers' access is re-checked besides on key and membership changes")
	f.intVar(&c.dbMaxConns, "db-max-conns", "AUDITGRAPH_DB_MAX_CONNS", 20, "largest number of open database connections (PostgreSQL)")
	f.durationVar(&c.dbStmtTimeout, "db-statement-timeout", "AUDITGRAPH_DB_STATEMENT_TIMEOUT", 30*time.Second,
		"longest a database statement may run (PostgreSQL); 0: no limit")
	f.stringVar(&c.logFormat, "log-format", "AUDITGRAPH_LOG_FORMAT", "text", "log format: text or json")
	f.durationVar(&c.shutdownGrace, "shutdown-grace", "AUDITGRAPH_SHUTDOWN_GRACE", 15*time.Second,
		"how long in-flight requests may finish after SIGINT or SIGTERM")
	gcPercentFlag(f, &c.gcPercent)
	rdef := db.DefaultReplicaOptions()
	f.listVar(&c.replicaURLs, "replica-urls", "AUDITGRAPH_REPLICA_URLS", nil,
		"comma-separated postgres:// URLs of read replicas (streaming standbys of the primary): history pages, counts and directory reads go there")
	f.durationVar(&c.replicas.MaxLag, "replica-max-lag", "AUDITGRAPH_REPLICA_MAX_LAG", rdef.MaxLag,
		"a replica further behind the primary than this leaves the rotation until it catches up")
	f.durationVar(&c.replicas.MaxWait, "replica-max-wait", "AUDITGRAPH_REPLICA_MAX_WAIT", rdef.MaxWait,
		"how long a read presenting a consistency token waits for a replica to replay up to it before it goes to the primary")
	f.durationVar(&c.replicas.CheckInterval, "replica-check-interval", "AUDITGRAPH_REPLICA_CHECK_INTERVAL", rdef.CheckInterval,
		"how often each replica's health and lag are checked")
	f.stringVar(&c.integrityKeyFile, "integrity-key-file", "AUDITGRAPH_INTEGRITY_KEY_FILE", "",
		"file holding the Ed25519 note key that signs integrity checkpoints; empty: "+defaultKeyFile+" (created on first start) with the embedded SQLite default, no signing otherwise")
	f.durationVar(&c.checkpointInterval, "checkpoint-interval", "AUDITGRAPH_CHECKPOINT_INTERVAL", 5*time.Second,
		"how often a signed checkpoint is made of every integrity stream that grew")
	// The demo default follows the database actually chosen, which a flag may change.
	demoSet := e.getenv("AUDITGRAPH_DEMO") != ""
	rest, err := f.parse(args)
	if err != nil {
		return nil, err
	}
	if err := noArgs(f, rest); err != nil {
		return nil, err
	}
	f.Visit(func(fl *flag.Flag) { demoSet = demoSet || fl.Name == "demo" })
	c.replicaURLs = splitURLs(c.replicaURLs)
	if !demoSet {
		_, c.demo = resolveDatabase(c.databaseURL)
	}
	return c, c.validate()
}

func (c *serveConfig) validate() error {
	switch {
	case c.addr == "":
		return usagef("-addr (AUDITGRAPH_ADDR) must not be empty")
	case c.server.MaxBodyBytes <= 0:
		return usagef("-max-body-bytes (AUDITGRAPH_MAX_BODY_BYTES) must be positive, got %d", c.server.MaxBodyBytes)
	case c.server.RequestTimeout <= 0:
		return usagef("-request-timeout (AUDITGRAPH_REQUEST_TIMEOUT) must be positive, got %s", c.server.RequestTimeout)
	case c.server.MaxDepth <= 0:
		return usagef("-max-depth (AUDITGRAPH_MAX_DEPTH) must be positive, got %d", c.server.MaxDepth)
	case c.server.MaxComplexity <= 0:
		return usagef("-max-complexity (AUDITGRAPH_MAX_COMPLEXITY) must be positive, got %d", c.server.MaxComplexity)
	case c.server.RateLimit < 0:
		return usagef("-rate-limit (AUDITGRAPH_RATE_LIMIT) must not be negative, got %g", c.server.RateLimit)
	case c.server.RateBurst < 0 || (c.server.RateLimit > 0 && c.server.RateBurst < 1):
		return usagef("-rate-burst (AUDITGRAPH_RATE_BURST) must be at least 1 when a rate limit is set, got %d", c.server.RateBurst)
	case validateAbuse(c.server) != nil:
		return validateAbuse(c.server)
	case c.server.PageSizes.Validate() != nil:
		return usagef("-page-size, -max-page-size, -max-change-log-page-size: %v", c.server.PageSizes.Validate())
	case c.server.AccessCacheTTL < 0 || c.server.AccessCacheTTL > server.MaxAccessCacheTTL:
		return usagef("-access-cache-ttl (AUDITGRAPH_ACCESS_CACHE_TTL) must be between 0 and %s, got %s", server.MaxAccessCacheTTL, c.server.AccessCacheTTL)
	case c.server.Live.Buffer < 1 || c.server.Live.Buffer > 100_000:
		return usagef("-live-buffer (AUDITGRAPH_LIVE_BUFFER) must be between 1 and 100000, got %d", c.server.Live.Buffer)
	case c.server.Live.Settle < 0 || c.server.Live.Settle > 10*time.Second:
		return usagef("-live-settle (AUDITGRAPH_LIVE_SETTLE) must be between 0 and 10s, got %s", c.server.Live.Settle)
	case c.server.Live.MaxPerKey < 1:
		return usagef("-live-max-per-key (AUDITGRAPH_LIVE_MAX_PER_KEY) must be at least 1, got %d", c.server.Live.MaxPerKey)
	case c.server.Live.MaxTotal < 1:
		return usagef("-live-max-subscriptions (AUDITGRAPH_LIVE_MAX_SUBSCRIPTIONS) must be at least 1, got %d", c.server.Live.MaxTotal)
	case c.server.Live.Recheck < time.Second:
		return usagef("-live-recheck (AUDITGRAPH_LIVE_RECHECK) must be at least 1s, got %s", c.server.Live.Recheck)
	case c.dbMaxConns < 1:
		return usagef("-db-max-conns (AUDITGRAPH_DB_MAX_CONNS) must be at least 1, got %d", c.dbMaxConns)
	case c.dbStmtTimeout < 0:
		return usagef("-db-statement-timeout (AUDITGRAPH_DB_STATEMENT_TIMEOUT) must not be negative, got %s", c.dbStmtTimeout)
	case c.logFormat != "text" && c.logFormat != "json":
		return usagef("-log-format (AUDITGRAPH_LOG_FORMAT) must be text or json, got %q", c.logFormat)
	case len(c.replicaURLs) > 0 && !isPostgresURL(c.databaseURL):
		return usagef("-replica-urls (AUDITGRAPH_REPLICA_URLS) needs a PostgreSQL -database-url (DATABASE_URL)")
	case !allPostgresURLs(c.replicaURLs):
		return usagef("-replica-urls (AUDITGRAPH_REPLICA_URLS) must be postgres:// URLs")
	case len(c.replicaURLs) > 16:
		return usagef("-replica-urls (AUDITGRAPH_REPLICA_URLS) names %d replicas, at most 16", len(c.replicaURLs))
	case c.replicas.MaxLag <= 0:
		return usagef("-replica-max-lag (AUDITGRAPH_REPLICA_MAX_LAG) must be positive, got %s", c.replicas.MaxLag)
	case c.replicas.MaxWait < 0 || c.replicas.MaxWait > c.server.RequestTimeout:
		return usagef("-replica-max-wait (AUDITGRAPH_REPLICA_MAX_WAIT) must be between 0 and -request-timeout, got %s", c.replicas.MaxWait)
	case c.replicas.CheckInterval < 10*time.Millisecond:
		return usagef("-replica-check-interval (AUDITGRAPH_REPLICA_CHECK_INTERVAL) must be at least 10ms, got %s", c.replicas.CheckInterval)
	case c.shutdownGrace < 0:
		return usagef("-shutdown-grace (AUDITGRAPH_SHUTDOWN_GRACE) must not be negative, got %s", c.shutdownGrace)
	case c.checkpointInterval < 100*time.Millisecond:
		return usagef("-checkpoint-interval (AUDITGRAPH_CHECKPOINT_INTERVAL) must be at least 100ms, got %s", c.checkpointInterval)
	}
	return nil
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func serve(ctx context.Context, e *env, cmd *command, args []string) error {
	c, err := parseServeConfig(e, cmd, args)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, c.logFormat)
	if err := setGCPercent(e, c.gcPercent); err != nil {
		return err
	}
	dbURL, embedded := resolveDatabase(c.databaseURL)
	// Bind first: a taken port must fail before the database is touched, or
	// demo keys would be printed for a server that never ran.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	store, err := openServeStore(ctx, c, dbURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	demo, err := prepareDemo(ctx, c, store)
	if err != nil {
		return err
	}
	c.applyDemo(demo, log)
	warnServeRisks(ctx, c, store, log)
	replicas, err := openServeReplicas(c, store, log)
	if err != nil {
		return err
	}
	if replicas != nil {
		defer replicas.Close()
	}
	signer, err := checkpointSigner(c.integrityKeyFile, embedded, log)
	if err != nil {
		return err
	}
	srv, err := wire.Server(c.server, store, replicas, log)
	if err != nil {
		return err
	}
	base := baseURL(ln.Addr(), c.addr)
	printBanner(e.stdout, base, dbURL, embedded, demo, server.LoopbackOnly(c.addr))
	if signer != nil {
		fmt.Fprintf(e.stdout, "Integrity checkpoints are signed; verify with\n  auditgraph verify -key '%s'\n\n", signer.VerifierKey())
		stopSigning := signCheckpoints(ctx, store, signer, c.checkpointInterval, log)
		defer stopSigning()
	}
	return serveHTTP(ctx, c, ln, srv, base, log)
}

// openServeStore opens and migrates the database the server runs on.
func openServeStore(ctx context.Context, c *serveConfig, dbURL string, log *slog.Logger) (*db.Store, error) {
	d, applied, err := openMigrated(ctx, dbURL, db.Options{MaxOpenConns: c.dbMaxConns, StatementTimeout: c.dbStmtTimeout})
	if err != nil {
		return nil, err
	}
	log.Info("database ready", "database", describeDatabase(dbURL), "dialect", d.Dialect, "migrations_applied", len(applied))
	for _, name := range applied {
		log.Info("applied migration", "name", name)
	}
	return db.NewStore(d), nil
}

// applyDemo gives the playground the demo's key and example variables.
func (c *serveConfig) applyDemo(demo *demoState, log *slog.Logger) {
	if demo.seeded != nil {
		log.Info("seeded demo data",
			"event_type_history", demo.seeded.Entries["eventTypeHistory"],
			"attribute_assignment_history", demo.seeded.Entries["attributeAssignmentHistory"],
			"member_change_logs", demo.seeded.Entries["memberChangeLogs"])
		c.server.PlaygroundAPIKey = demo.seeded.Keys["owner"]
	}
	c.server.PlaygroundVariables = demo.variables
	c.server.ListenAddr = c.addr
}

// warnServeRisks logs the settings that work but weaken a promise: a
// database role that could rewrite history, page sizes beyond the REST
// documents'.
func warnServeRisks(ctx context.Context, c *serveConfig, store *db.Store, log *slog.Logger) {
	if owner, super, err := db.RoleRights(ctx, store.DB()); err != nil {
		log.Warn("could not read the database role's rights", "err", err)
	} else if owner || super {
		log.Warn("the server's database role owns the history tables or is a superuser: it could disable the append-only triggers and rewrite history. "+
			"Run `auditgraph migrate grant-runtime ROLE` as the owner and serve as that role.", "owner", owner, "superuser", super)
	}
	// The REST endpoints page through the GraphQL limits, whose defaults
	// are what the REST documents allow (limit 50, take 100).
	if doc := model.DefaultPageSizes(); c.server.PageSizes.Max != doc.Max || c.server.PageSizes.MaxChangeLogs != doc.MaxChangeLogs {
		log.Warn("largest page sizes differ from what the REST documents allow: REST pages are bounded by these instead",
			"max_page_size", c.server.PageSizes.Max, "rest_v2_limit", doc.Max,
			"max_change_log_page_size", c.server.PageSizes.MaxChangeLogs, "rest_v1_take", doc.MaxChangeLogs)
	}
}

// openServeReplicas opens the configured read replicas (nil: none).
func openServeReplicas(c *serveConfig, store *db.Store, log *slog.Logger) (*db.ReplicaSet, error) {
	if len(c.replicaURLs) == 0 {
		return nil, nil
	}
	rs, err := db.OpenReplicas(store, c.replicaURLs, db.Options{MaxOpenConns: c.dbMaxConns, StatementTimeout: c.dbStmtTimeout}, c.replicas, log)
	if err != nil {
		return nil, err
	}
	for _, st := range rs.Status() {
		log.Info("read replica", "replica", st.Name, "in_rotation", st.InRotation, "reason", st.Reason)
	}
	return rs, nil
}

// serveHTTP serves until ctx ends, then shuts down within the grace period.
func serveHTTP(ctx context.Context, c *serveConfig, ln net.Listener, srv *server.Server, base string, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A slow body must not hold a connection far beyond the request budget.
		ReadTimeout: c.server.RequestTimeout + 10*time.Second,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "url", base+"/graphql")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.shutdownGrace.String())
	// Live subscriptions end first (with their cursors), so that their
	// streams do not hold the shutdown.
	srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("requests still running after the shutdown grace period; closing their connections", "err", err)
		hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("server stopped with an error", "err", err)
	}
	log.Info("stopped")
	return nil
}

// demoState is what serve knows about the demo data at start.
type demoState struct {
	// seeded is the result of seeding at this start, nil if it did not happen.
	seeded *seed.Result
	// earlier reports demo data written by an earlier run.
	earlier   bool
	variables map[string]map[string]any
}

// prepareDemo seeds an empty database in demo mode and finds the demo ids the
// playground's examples are filled with. Outside demo mode it does nothing:
// the playground is public, and a production directory's ids are not examples.
func prepareDemo(ctx context.Context, c *serveConfig, store *db.Store) (*demoState, error) {
	st := &demoState{}
	if !c.demo {
		return st, nil
	}
	empty, err := store.Empty(ctx)
	if err != nil {
		return nil, fmt.Errorf("look for organizations: %w", err)
	}
	if empty {
		res, err := seed.Run(ctx, store)
		if err != nil {
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		st.seeded = res
	}
	org, err := store.OrganizationByID(ctx, seed.AcmeID)
	if err != nil && model.ErrorCode(err) != model.CodeNotFound {
		return nil, err
	}
	user, err := store.UserByID(ctx, seed.MemberUserID)
	if err != nil && model.ErrorCode(err) != model.CodeNotFound {
		return nil, err
	}
	if org == nil || user == nil {
		return st, nil
	}
	st.earlier = st.seeded == nil
	st.variables = map[string]map[string]any{
		"EventTypeHistory":     {"eventTypeId": strconv.FormatInt(seed.TeamEventTypeID, 10)},
		"LiveEventTypeHistory": {"eventTypeId": strconv.FormatInt(seed.TeamEventTypeID, 10)},
		"AttributeHistory":     {"orgId": strconv.FormatInt(seed.AcmeID, 10), "userId": strconv.FormatInt(seed.MemberUserID, 10)},
		"MemberChangeLogs":     {"organizationId": org.PublicID, "userId": user.PublicID},
	}
	return st, nil
}

// baseURL is the URL a local client reaches the listener at: a wildcard
// address becomes localhost, and the port is the one actually bound.
func baseURL(bound net.Addr, configured string) string {
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String()
	}
	host, _, _ := net.SplitHostPort(configured)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBanner writes the banner in one write, so that a reader of the
// stream sees all of it or none.
func printBanner(out io.Writer, base, dbURL string, embedded bool, demo *demoState, loopback bool) {
	w := &bytes.Buffer{}
	where := describeDatabase(dbURL)
	if embedded {
		where = "embedded SQLite file " + dbURL
	}
	fmt.Fprintf(w, "\nauditgraph is running on %s\n\n", where)
	fmt.Fprintf(w, "  GraphQL     %s/graphql\n", base)
	fmt.Fprintf(w, "  Playground  %s/\n", base)
	if demo.seeded != nil {
		if loopback {
			fmt.Fprintf(w, "              (listening on this machine only: the playground has the demo owner key filled in)\n")
		} else {
			fmt.Fprintf(w, "              (listening beyond this machine: the playground has no key filled in; paste one)\n")
		}
	}
	switch {
	case demo.seeded != nil:
		owner := demo.seeded.Keys["owner"]
		fmt.Fprintf(w, "  API key     %s  (demo owner of Acme Corp; shown once)\n\n", owner)
		fmt.Fprintf(w, "Try it:\n  %s\n\n", curlLine(base, owner))
		fmt.Fprintf(w, "Demo API keys of the other roles (shown once):\n")
		for _, role := range seed.Roles {
			if role != "owner" {
				fmt.Fprintf(w, "  %-9s %s\n", role, demo.seeded.Keys[role])
			}
		}
		fmt.Fprintln(w)
	case demo.earlier:
		fmt.Fprintf(w, "\nThe demo data was seeded on an earlier start; its API keys were printed then.\n"+
			"Run `auditgraph seed --demo` to print fresh demo keys.\n\n")
	default:
		fmt.Fprintf(w, "\nCreate an API key with `auditgraph apikey create --user ID`.\n\n")
	}
	out.Write(w.Bytes())
}

func curlLine(base, key string) string {
	query := fmt.Sprintf(`{"query":"{ eventTypeHistory(eventTypeId: \"%d\", first: 3) { edges { node { actionDisplayTitle } } } }"}`, seed.TeamEventTypeID)
	return fmt.Sprintf("curl -s %s/graphql -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s'", base, key, query)
}

// gcPercentFlag is the garbage collection target of serve and import.
func gcPercentFlag(f *flagSet, p *int) {
	f.intVar(p, "gc-percent", "AUDITGRAPH_GC_PERCENT", 400,
		"garbage collection target, as Go's GOGC (which wins when set): requests and imported lines leave short-lived garbage, so a larger target costs less CPU for a little more memory")
}

// setGCPercent applies the -gc-percent target unless GOGC is set.
func setGCPercent(e *env, pct int) error {
	if pct < 1 {
		return usagef("-gc-percent (AUDITGRAPH_GC_PERCENT) must be at least 1, got %d", pct)
	}
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(pct)
	}
	return nil
}
