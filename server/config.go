package server

import (
	"net"
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
		PageSizes:      model.DefaultPageSizes(),
	}
}

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
