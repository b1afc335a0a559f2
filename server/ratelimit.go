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

// quotaHeaders names the headers telling every caller its quota: limit,
// remaining and reset (seconds until the bucket is full again).
type quotaHeaders struct{ limit, remaining, reset string }

var (
	// v1Quota: the /v1 service's x-ratelimit-* headers.
	v1Quota = &quotaHeaders{"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}
	// calQuota: Cal.com's throttler headers for its default throttler.
	calQuota = &quotaHeaders{"X-RateLimit-Limit-Default", "X-RateLimit-Remaining-Default", "X-RateLimit-Reset-Default"}
)

// rateLimit refuses requests over the caller's rate with Retry-After, in the
// interface's format, and when headers is not nil tells every caller its
// quota in them. A 429's Retry-After is then the advertised reset, the time
// until the bucket is full, so that the two headers never disagree (a client
// may retry earlier, when one token is back); without quota headers it is
// the time until one token is back.
func (s *Server) rateLimit(write limitedWriter, headers *quotaHeaders, next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "ip:" + clientIP(r)
		if secret, ok := presentedKey(r); ok && secret != "" {
			key = "key:" + model.HashKey(secret)
		}
		ok, wait, q := s.limiter.allow(key)
		reset := int(math.Ceil(q.reset.Seconds()))
		if headers != nil {
			h := w.Header()
			h.Set(headers.limit, strconv.Itoa(q.limit))
			h.Set(headers.remaining, strconv.Itoa(q.remaining))
			h.Set(headers.reset, strconv.Itoa(reset))
		}
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if headers != nil {
				secs = max(secs, reset)
			}
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
