package server

import (
	"hash/maphash"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// limiterEntries bounds each table of buckets (keys, addresses, failed
// authentications): a full table forgets its least recently used bucket, so
// the limiter's memory is fixed whatever the number of keys or addresses
// presented. An evicted bucket comes back full; with 65,536 entries that
// takes as many distinct callers between two requests of the same one.
const limiterEntries = 1 << 16

// bucketTable is a fixed-size, sharded LRU table of token buckets.
type bucketTable struct {
	limit  rate.Limit
	burst  int
	seed   maphash.Seed
	shards [16]bucketShard
}

type bucketShard struct {
	mu  sync.Mutex
	lru *simplelru.LRU[string, *rate.Limiter]
}

func newBucketTable(perSecond float64, burst, entries int) *bucketTable {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(math.Ceil(perSecond))
	}
	t := &bucketTable{limit: rate.Limit(perSecond), burst: burst, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].lru, _ = simplelru.NewLRU[string, *rate.Limiter](max(1, entries/len(t.shards)), nil)
	}
	return t
}

// quota is a bucket's state after a request, as x-ratelimit-* headers tell it.
type quota struct {
	limit, remaining int
	// reset is how long until the bucket is full again.
	reset time.Duration
}

// take takes n tokens (0 only looks) from key's bucket; when there are not
// enough it takes none and returns how long to wait. Either way it reports
// the bucket's quota.
func (t *bucketTable) take(key string, n int) (bool, time.Duration, quota) {
	now := time.Now()
	sh := &t.shards[maphash.String(t.seed, key)%uint64(len(t.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	lim, ok := sh.lru.Get(key)
	if !ok {
		lim = rate.NewLimiter(t.limit, t.burst)
		sh.lru.Add(key, lim)
	}
	var wait time.Duration
	if n > 0 {
		r := lim.ReserveN(now, n)
		wait = r.DelayFrom(now)
		if wait > 0 {
			r.CancelAt(now)
		}
	} else if tokens := lim.TokensAt(now); tokens < 1 {
		wait = time.Duration((1 - tokens) / float64(t.limit) * float64(time.Second))
	}
	tokens := lim.TokensAt(now)
	q := quota{limit: t.burst, remaining: max(0, int(math.Floor(tokens)))}
	q.reset = time.Duration((float64(t.burst) - tokens) / float64(t.limit) * float64(time.Second))
	return wait <= 0, wait, q
}

// len reports the buckets held (tests).
func (t *bucketTable) len() int {
	n := 0
	for i := range t.shards {
		t.shards[i].mu.Lock()
		n += t.shards[i].lru.Len()
		t.shards[i].mu.Unlock()
	}
	return n
}

// rateLimiter holds the three budgets: per authenticated key, per client
// address for requests without a valid key, and per client address for
// failed authentications.
type rateLimiter struct {
	keys, anonymous, failures *bucketTable
}

// newRateLimiter builds the budgets; a RateLimit of 0 turns rate limiting
// off altogether (the other budgets too), a 0 in another budget turns just
// that one off.
func newRateLimiter(cfg Config) *rateLimiter {
	if cfg.RateLimit <= 0 {
		return nil
	}
	rl := &rateLimiter{
		keys:      newBucketTable(cfg.RateLimit, cfg.RateBurst, limiterEntries),
		anonymous: newBucketTable(cfg.AnonymousRateLimit, cfg.AnonymousRateBurst, limiterEntries),
		failures:  newBucketTable(cfg.AuthFailureRate, cfg.AuthFailureBurst, limiterEntries),
	}
	return rl
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

// admit is the front door of every API route: it reads the caller's key,
// authenticates it and charges the request to the right budget, in the
// interface's format.
//
//   - A client address over its failed-authentication budget gets 429
//     before its key is even looked up, unless that key authenticated
//     recently; each refused key takes one token.
//   - An authenticated request is charged to the key that authenticated
//     (its id), so made-up keys share nothing with real ones.
//   - Anything else (no key, a refused key) is charged to the client
//     address's anonymous budget.
//
// The principal (or the refusal) goes into the request context; missing
// credentials are not an error here: public fields need none.
//
// When headers is not nil every caller is told its quota in them, and a
// 429's Retry-After is the advertised reset, the time until the bucket is
// full, so that the two headers never disagree (a client may retry earlier,
// when one token is back); without quota headers it is the time until one
// token is back.
//
// With calPrefix, as Cal.com, which takes a Bearer token without the cal_
// prefix for something else (an OAuth access token) and refuses it, a
// prefixless Bearer token is refused whatever it is, without a lookup.
func (s *Server) admit(write limitedWriter, headers *quotaHeaders, calPrefix bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		addr := clientIP(r)
		rl := s.limiter
		secret, present := presentedKey(r)
		bucket, table := "", (*bucketTable)(nil)
		if rl != nil {
			table = rl.anonymous
			bucket = addr
		}
		switch {
		case present && calPrefix && prefixlessBearer(r):
			ctx = model.WithCredentialError(ctx, model.ErrUnauthenticated)
		case present:
			if rl != nil && rl.failures != nil {
				// A key that authenticated recently is still looked up (a
				// revocation applies at once), whoever else shares its
				// address: clients behind one NAT with an attacker keep
				// working. Made-up keys are never in that set.
				if ok, wait, _ := rl.failures.take(addr, 0); !ok && !s.recentlyGood(secret) {
					s.refuseRate(w, r, write, wait, "too many failed authentications from this address")
					return
				}
			}
			p, err := s.authenticate(ctx, secret)
			switch {
			case err == nil:
				ctx = model.WithPrincipal(ctx, p)
				if rl != nil {
					table = rl.keys
					bucket = "key:" + strconv.FormatInt(p.Key.ID, 10)
				}
			case !refusedCredential(err):
				// The key could not be checked (database down): charged to
				// what was presented, as before authentication existed.
				ctx = model.WithCredentialError(ctx, err)
				if rl != nil {
					table = rl.keys
					bucket = "unverified:" + model.HashKey(secret)
				}
			default:
				if rl != nil && rl.failures != nil {
					rl.failures.take(addr, 1)
				}
				ctx = model.WithCredentialError(ctx, err)
			}
		}
		if table != nil {
			ok, wait, q := table.take(bucket, 1)
			reset := int(math.Ceil(q.reset.Seconds()))
			if headers != nil {
				h := w.Header()
				h.Set(headers.limit, strconv.Itoa(q.limit))
				h.Set(headers.remaining, strconv.Itoa(q.remaining))
				h.Set(headers.reset, strconv.Itoa(reset))
			}
			if !ok {
				if headers != nil {
					wait = max(wait, time.Duration(reset)*time.Second)
				}
				s.refuseRate(w, r, write, wait, "")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// prefixlessBearer reports a Bearer token without the cal_ prefix.
func prefixlessBearer(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	return ok && strings.EqualFold(scheme, "Bearer") && !strings.HasPrefix(strings.TrimSpace(token), model.KeyPrefix)
}

func (s *Server) refuseRate(w http.ResponseWriter, r *http.Request, write limitedWriter, wait time.Duration, why string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := "Too many requests: retry in " + strconv.Itoa(secs) + "s"
	if why != "" {
		msg = "Too many requests (" + why + "): retry in " + strconv.Itoa(secs) + "s"
	}
	write(w, r, &model.Error{Code: model.CodeRateLimited, Message: msg})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
