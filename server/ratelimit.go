package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"golang.org/x/time/rate"
)

// rateLimiter keeps one token bucket per API key (per client address for
// requests without a key).
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(math.Ceil(perSecond))
	}
	rl := &rateLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
	return rl
}

// allow takes a token for key; when none is left it returns how long to wait.
func (rl *rateLimiter) allow(key string) (bool, time.Duration) {
	now := time.Now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	b := rl.buckets[key]
	if b == nil {
		if len(rl.buckets) > 100_000 {
			rl.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(rl.limit, rl.burst)}
		rl.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to be full again.
func (rl *rateLimiter) sweep(now time.Time) {
	for k, b := range rl.buckets {
		if now.Sub(b.seen) > time.Minute {
			delete(rl.buckets, k)
		}
	}
}

// limitedWriter writes an interface's own 429 answer.
type limitedWriter func(w http.ResponseWriter, r *http.Request, err *model.Error)

// rateLimit refuses requests over the caller's rate with Retry-After, in the
// interface's format.
func (s *Server) rateLimit(write limitedWriter, next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if secret, ok := presentedKey(r); ok && secret != "" {
			key = "key:" + model.HashKey(secret)
		}
		if ok, wait := s.limiter.allow(key); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			write(w, r, &model.Error{Code: model.CodeRateLimited, Message: "Too many requests: retry in " + strconv.Itoa(secs) + "s"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
