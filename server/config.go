package server

import (
	"net"
	"time"

	"github.com/auditgraph/auditgraph/live"
	"github.com/auditgraph/auditgraph/model"
)

// Config is everything the HTTP server can be tuned with. The zero value of a
// field means its default (see Defaults). UserDBConcurrency, PageSizes,
// AccessCacheTTL and Live also tune the parts the server is built from: the
// wiring (internal/wire) applies them to the store, the resolvers and the
// live fan-out.
type Config struct {
	// Introspection enables GraphQL schema introspection (the playground needs it).
	Introspection bool
	// CORSOrigins lists the origins allowed to call the API from a browser; "*" allows any.
	CORSOrigins []string
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// RequestTimeout bounds the handling of one request.
	RequestTimeout time.Duration
	// MaxDepth and MaxComplexity bound a GraphQL operation.
	MaxDepth      int
	MaxComplexity int
	// RateLimit is the sustained requests per second allowed per API key (0: no limit),
	// RateBurst the burst above it.
	RateLimit float64
	RateBurst int
	// AnonymousRateLimit and AnonymousRateBurst are the budget per client
	// address of requests without a valid key (0: no limit).
	AnonymousRateLimit float64
	AnonymousRateBurst int
	// AuthFailureRate and AuthFailureBurst bound failed authentications per
	// client address: past them the address gets 429 before any lookup.
	AuthFailureRate  float64
	AuthFailureBurst int
	// Limits bound a GraphQL document before it is validated; its Depth is
	// MaxDepth's.
	Limits DocumentLimits
	// MaxErrors bounds the errors of one response (the last says how many
	// more there were).
	MaxErrors int
	// QueryCacheBytes bounds each of the parsed-document and
	// persisted-query caches.
	QueryCacheBytes int
	// UserDBConcurrency bounds the SQL statements the queries of one user run
	// at once, so one tenant cannot hold the whole pool (0: no bound); the
	// server names the tenant (Store.WithTenant), the store keeps the cap.
	UserDBConcurrency int
	// PageSizes are the connections' default and largest page sizes (the
	// REST endpoints run through them too).
	PageSizes model.PageSizes
	// AccessCacheTTL is the longest an API key or access fact is served
	// from memory after it was read (0: read on every request); writes drop
	// them sooner (the store's fact cache). It bounds how long a revocation
	// made elsewhere may go unseen.
	AccessCacheTTL time.Duration
	// Live tunes the live subscriptions (see package live); zero values
	// take live.DefaultConfig's.
	Live live.Config
	// Playground fills the playground's example variables and key. The key
	// is embedded only when ListenAddr is loopback only (see LoopbackOnly).
	PlaygroundVariables map[string]map[string]any
	PlaygroundAPIKey    string
	// ListenAddr is the address the server was configured to listen on.
	ListenAddr string
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Introspection:  true,
		MaxBodyBytes:   1 << 20,
		RequestTimeout: 10 * time.Second,
		MaxDepth:       12,
		MaxComplexity:  5000,
		RateLimit:      50,
		RateBurst:      100,

		AnonymousRateLimit: 5,
		AnonymousRateBurst: 20,
		AuthFailureRate:    10.0 / 60,
		AuthFailureBurst:   10,
		Limits: DocumentLimits{
			Bytes:      32 << 10,
			Tokens:     10_000,
			Fragments:  100,
			Selections: 200,
			SameName:   32,
			Fields:     2_000,
			ValueDepth: 16,
		},
		MaxErrors:         20,
		QueryCacheBytes:   32 << 20,
		UserDBConcurrency: 8,
		PageSizes:         model.DefaultPageSizes(),
		AccessCacheTTL:    2 * time.Second,
		Live:              live.DefaultConfig(),
	}
}

// MaxAccessCacheTTL is the largest AccessCacheTTL accepted: a revocation
// must take effect within a few seconds whatever the setting.
const MaxAccessCacheTTL = 10 * time.Second

// LoopbackOnly reports whether a server listening on addr (host:port) can
// be reached from this machine only: a wildcard or empty host listens on
// every interface, a name other than localhost may resolve anywhere.
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
