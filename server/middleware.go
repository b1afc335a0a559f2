package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/internal/reqctx"
)

// statusWriter remembers the status written, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe gives every request an id (X-Request-Id, taken from the caller when
// sane), logs it when done, and records its metrics.
func (s *Server) observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		// The trace id is /v1's trace_id (a UUID), made when an answer shows
		// one; logging it beside the request id makes each findable from the
		// other.
		ctx, traceID := reqctx.WithTrace(reqctx.WithRequestID(r.Context(), id))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r.WithContext(ctx))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.observe(route, sw.status, elapsed)
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"request_id", id}
		if trace := traceID(); trace != "" {
			attrs = append(attrs, "trace_id", trace)
		}
		attrs = append(attrs, "method", r.Method, "route", route,
			"path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "duration_ms", float64(elapsed.Microseconds())/1000)
		s.logger.Log(ctx, level, "request", attrs...)
	})
}

// limits bounds the body size and the time of a request.
func (s *Server) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MaxBodyBytes > 0 && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		if s.cfg.RequestTimeout > 0 && !streaming(r) {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// cors answers browsers of the allowed origins, preflights included.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin)) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, X-API-Key, Content-Type, cal-api-version, X-Request-Id, "+ConsistencyHeader)
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			// A browser client may read the quota headers, as Cal.com's do,
			// and the consistency token of its writes.
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, "+
				"X-RateLimit-Limit-Default, X-RateLimit-Remaining-Default, X-RateLimit-Reset-Default, "+
				"X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "+ConsistencyHeader)
			h.Set("Access-Control-Max-Age", "600")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// secure sets the security headers of every response, as Cal.com's stack
// sends them: no MIME sniffing, no referrer, no framing, and a policy that
// lets a JSON or text answer load nothing. The playground's page replaces
// the policy with its own (its scripts and styles).
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// apiFamilies keeps every path under /v1 and /v2 in its family's envelope.
// The mux routes the endpoints and, through each family's catch-all, any
// other path with the exact prefix; what it would answer itself (Go's
// plain-text 404 for /V2/…, a redirect with an HTML body for /v2 or an
// unclean path such as /v2//x or /v1/./x) is answered here as not found, in
// the family's envelope. A path differing from an endpoint's only by a
// trailing slash or by case is not routed to it: the services do not do
// that either, and two spellings of one resource would be two cache keys.
func (s *Server) apiFamilies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		var family string
		if len(p) >= 3 && p[0] == '/' && (p[1] == 'v' || p[1] == 'V') && (p[2] == '1' || p[2] == '2') && (len(p) == 3 || p[3] == '/') {
			family = p[:3]
		}
		if family == "" {
			next.ServeHTTP(w, r)
			return
		}
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if clean == p && (strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v2/")) {
			next.ServeHTTP(w, r)
			return
		}
		if family[2] == '1' {
			s.v1NotFound.ServeHTTP(w, r)
		} else {
			s.v2NotFound.ServeHTTP(w, r)
		}
	})
}
