package wire

import (
	"context"
	"log/slog"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/live"
	"github.com/auditgraph/auditgraph/resolvers"
	"github.com/auditgraph/auditgraph/server"
)

// Server builds the server on store, an open, migrated database's, with
// its read replicas (nil: none), which the caller opens and closes.
// Server.Close ends the live fan-out.
func Server(cfg server.Config, store *db.Store, replicas *db.ReplicaSet, logger *slog.Logger) (*server.Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// One cap per user across the primary and the replicas.
	store.CapTenants(cfg.UserDBConcurrency, replicas)
	if err := store.CacheFacts(context.Background(), cfg.AccessCacheTTL); err != nil {
		return nil, err
	}
	hub := live.New(cfg.Live, func(ctx context.Context, ready func(), fn func(string, []string)) error {
		return store.Listen(ctx, ready, func(n db.Notification) { fn(n.Kind, n.IDs) })
	}, logger)
	// Live reads stay on the primary: an announced entry must be readable
	// at once, before any replica has replayed it.
	res := &resolvers.Resolver{Store: store.Routed(replicas), Logger: logger, PageSizes: cfg.PageSizes, Live: hub, LiveReader: store}
	return server.New(cfg, server.Parts{Store: store, Schema: res.Schema(), Live: hub, Collectors: dbCollectors(store, replicas)}, logger), nil
}
