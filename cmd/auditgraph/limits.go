package main

import "github.com/auditgraph/auditgraph/server"

// abuseFlags are the settings that bound what one request, or one client,
// may cost (README: Limits).
func abuseFlags(f *flagSet, c *server.Config, def server.Config) {
	f.intVar(&c.Limits.Bytes, "max-document-bytes", "AUDITGRAPH_MAX_DOCUMENT_BYTES", def.Limits.Bytes,
		"longest GraphQL document accepted, in bytes")
	f.intVar(&c.Limits.Tokens, "max-tokens", "AUDITGRAPH_MAX_TOKENS", def.Limits.Tokens,
		"most tokens in a GraphQL document (the parser stops there)")
	f.intVar(&c.Limits.Fragments, "max-fragments", "AUDITGRAPH_MAX_FRAGMENTS", def.Limits.Fragments,
		"most fragment definitions in a GraphQL document")
	f.intVar(&c.Limits.Selections, "max-selections", "AUDITGRAPH_MAX_SELECTIONS", def.Limits.Selections,
		"most selections (fields, aliases, spreads) in one selection set")
	f.intVar(&c.Limits.SameName, "max-same-name", "AUDITGRAPH_MAX_SAME_NAME", def.Limits.SameName,
		"most fields sharing one response name in one selection set (aliases and fragments included)")
	f.intVar(&c.Limits.Fields, "max-fields", "AUDITGRAPH_MAX_FIELDS", def.Limits.Fields,
		"most fields in an operation once its fragments are expanded")
	f.intVar(&c.Limits.ValueDepth, "max-value-depth", "AUDITGRAPH_MAX_VALUE_DEPTH", def.Limits.ValueDepth,
		"deepest nesting of lists and objects in arguments and variables")
	f.intVar(&c.MaxErrors, "max-errors", "AUDITGRAPH_MAX_ERRORS", def.MaxErrors,
		"most errors in one GraphQL response (the last says how many more)")
	f.intVar(&c.QueryCacheBytes, "query-cache-bytes", "AUDITGRAPH_QUERY_CACHE_BYTES", def.QueryCacheBytes,
		"memory bound of each of the parsed-document and persisted-query caches")
	f.float64Var(&c.AnonymousRateLimit, "anonymous-rate-limit", "AUDITGRAPH_ANONYMOUS_RATE_LIMIT", def.AnonymousRateLimit,
		"sustained requests per second per client address without a valid API key; 0: no limit")
	f.intVar(&c.AnonymousRateBurst, "anonymous-rate-burst", "AUDITGRAPH_ANONYMOUS_RATE_BURST", def.AnonymousRateBurst,
		"requests per client address without a valid API key allowed in a burst")
	f.float64Var(&c.AuthFailureRate, "auth-failure-rate", "AUDITGRAPH_AUTH_FAILURE_RATE", def.AuthFailureRate,
		"failed authentications per second allowed per client address; 0: no limit")
	f.intVar(&c.AuthFailureBurst, "auth-failure-burst", "AUDITGRAPH_AUTH_FAILURE_BURST", def.AuthFailureBurst,
		"failed authentications per client address allowed in a burst")
	f.intVar(&c.UserDBConcurrency, "user-db-concurrency", "AUDITGRAPH_USER_DB_CONCURRENCY", def.UserDBConcurrency,
		"most SQL statements one user's read operations run at once; 0: no bound")
}

func validateAbuse(c server.Config) error {
	for _, v := range []struct {
		name string
		n    int
	}{
		{"-max-document-bytes (AUDITGRAPH_MAX_DOCUMENT_BYTES)", c.Limits.Bytes},
		{"-max-tokens (AUDITGRAPH_MAX_TOKENS)", c.Limits.Tokens},
		{"-max-fragments (AUDITGRAPH_MAX_FRAGMENTS)", c.Limits.Fragments},
		{"-max-selections (AUDITGRAPH_MAX_SELECTIONS)", c.Limits.Selections},
		{"-max-same-name (AUDITGRAPH_MAX_SAME_NAME)", c.Limits.SameName},
		{"-max-fields (AUDITGRAPH_MAX_FIELDS)", c.Limits.Fields},
		{"-max-value-depth (AUDITGRAPH_MAX_VALUE_DEPTH)", c.Limits.ValueDepth},
		{"-max-errors (AUDITGRAPH_MAX_ERRORS)", c.MaxErrors},
		{"-query-cache-bytes (AUDITGRAPH_QUERY_CACHE_BYTES)", c.QueryCacheBytes},
	} {
		if v.n <= 0 {
			return usagef("%s must be positive, got %d", v.name, v.n)
		}
	}
	switch {
	case c.AnonymousRateLimit < 0:
		return usagef("-anonymous-rate-limit (AUDITGRAPH_ANONYMOUS_RATE_LIMIT) must not be negative, got %g", c.AnonymousRateLimit)
	case c.AuthFailureRate < 0:
		return usagef("-auth-failure-rate (AUDITGRAPH_AUTH_FAILURE_RATE) must not be negative, got %g", c.AuthFailureRate)
	case c.AnonymousRateBurst < 0 || (c.AnonymousRateLimit > 0 && c.AnonymousRateBurst < 1):
		return usagef("-anonymous-rate-burst (AUDITGRAPH_ANONYMOUS_RATE_BURST) must be at least 1 when its rate is set, got %d", c.AnonymousRateBurst)
	case c.AuthFailureBurst < 0 || (c.AuthFailureRate > 0 && c.AuthFailureBurst < 1):
		return usagef("-auth-failure-burst (AUDITGRAPH_AUTH_FAILURE_BURST) must be at least 1 when its rate is set, got %d", c.AuthFailureBurst)
	case c.UserDBConcurrency < 0:
		return usagef("-user-db-concurrency (AUDITGRAPH_USER_DB_CONCURRENCY) must not be negative, got %d", c.UserDBConcurrency)
	}
	return nil
}
