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

// quota is a bucket's state after a request, as x-ratelimit-* headers tell it.
type quota struct {
	limit, remaining int
	// reset is how long until the bucket is full again.
	reset time.Duration
}

// allow takes a token for key; when none is left it returns how long to wait.
// Either way it reports the bucket's quota.
func (rl *rateLimiter) allow(key string) (bool, time.Duration, quota) {
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
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now)
	}
	tokens := b.lim.TokensAt(now)
	q := quota{limit: rl.burst, remaining: max(0, int(math.Floor(tokens)))}
	q.reset = time.Duration((float64(rl.burst) - tokens) / float64(rl.limit) * float64(time.Second))
	return d <= 0, d, q
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
	return s.limitRate(write, false, next)
}

// advertisedRateLimit is rateLimit that also tells every caller its quota in
// x-ratelimit-limit, -remaining and -reset (seconds until the bucket is full),
// which the /v1 service's clients read.
func (s *Server) advertisedRateLimit(write limitedWriter, next http.Handler) http.Handler {
	return s.limitRate(write, true, next)
}

func (s *Server) limitRate(write limitedWriter, advertise bool, next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if secret, ok := presentedKey(r); ok && secret != "" {
			key = "key:" + model.HashKey(secret)
		}
		ok, wait, q := s.limiter.allow(key)
		if advertise {
			h := w.Header()
			h.Set("x-ratelimit-limit", strconv.Itoa(q.limit))
			h.Set("x-ratelimit-remaining", strconv.Itoa(q.remaining))
			h.Set("x-ratelimit-reset", strconv.Itoa(int(math.Ceil(q.reset.Seconds()))))
		}
		if !ok {
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
