package server

import (
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// Config is everything the HTTP server can be tuned with. The zero value of a
// field means its default (see Defaults).
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
	// PageSizes are the connections' default and largest page sizes (the
	// REST endpoints run through them too).
	PageSizes model.PageSizes
	// AccessCacheTTL is the longest an API key or access fact is served
	// from memory after it was read (0: read on every request); writes drop
	// them sooner (db.Store.CacheFacts). It bounds how long a revocation
	// made elsewhere may go unseen.
	AccessCacheTTL time.Duration
	// Playground fills the playground's example variables and key.
	PlaygroundVariables map[string]map[string]any
	PlaygroundAPIKey    string
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
		PageSizes:      model.DefaultPageSizes(),
		AccessCacheTTL: 2 * time.Second,
	}
}

// MaxAccessCacheTTL is the largest AccessCacheTTL accepted: a revocation
// must take effect within a few seconds whatever the setting.
const MaxAccessCacheTTL = 10 * time.Second
