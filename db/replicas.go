package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// LSN is a position in PostgreSQL's write-ahead log. A consistency token is
// the LSN up to which the primary had written its WAL once a write
// committed: a replica that has replayed that far sees the write.
type LSN uint64

// String is PostgreSQL's own text form, as pg_current_wal_lsn() prints it.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// ParseLSN reads PostgreSQL's text form of an LSN ("16/B374D848"): two
// groups of one to eight hex digits.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || len(hi) == 0 || len(hi) > 8 || len(lo) == 0 || len(lo) > 8 {
		return 0, fmt.Errorf("not a log position: %q", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("not a log position: %q", s)
	}
	return LSN(h<<32 | l), nil
}

type readAfterKey struct{}
type primaryOnlyKey struct{}

// WithReadAfter marks ctx's reads as needing every write up to lsn: they go
// to a replica that has replayed that far, or to the primary.
func WithReadAfter(ctx context.Context, lsn LSN) context.Context {
	if lsn == 0 {
		return ctx
	}
	return context.WithValue(ctx, readAfterKey{}, lsn)
}

// ReadAfter is the LSN set by WithReadAfter, 0 if none.
func ReadAfter(ctx context.Context) LSN {
	lsn, _ := ctx.Value(readAfterKey{}).(LSN)
	return lsn
}

// WithPrimary sends all of ctx's reads to the primary: the reads of an
// operation that writes must see its own writes at once.
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryOnlyKey{}, true)
}

func primaryOnly(ctx context.Context) bool {
	v, _ := ctx.Value(primaryOnlyKey{}).(bool)
	return v
}

// ConsistencyToken returns the primary's WAL write position: every
// transaction that committed before the call ends at or before it. ok is
// false on SQLite, which has no replicas.
func (s *Store) ConsistencyToken(ctx context.Context) (lsn LSN, ok bool, err error) {
	if s.dialect != Postgres {
		return 0, false, nil
	}
	var text string
	if err := s.db.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&text); err != nil {
		return 0, false, err
	}
	lsn, err = ParseLSN(text)
	return lsn, err == nil, err
}

// ReplicaOptions tunes a ReplicaSet.
type ReplicaOptions struct {
	// MaxLag is how far behind the primary a replica may fall before it
	// leaves the rotation; it comes back once it has caught up.
	MaxLag time.Duration
	// MaxWait is how long a read presenting a consistency token may wait
	// for a replica to replay up to it before it is sent to the primary.
	MaxWait time.Duration
	// CheckInterval is how often each replica's health and lag are checked.
	CheckInterval time.Duration
}

// DefaultReplicaOptions are the defaults of serve's replica settings.
func DefaultReplicaOptions() ReplicaOptions {
	return ReplicaOptions{MaxLag: 10 * time.Second, MaxWait: 100 * time.Millisecond, CheckInterval: time.Second}
}

// Why a read went to the primary although replicas are configured.
const (
	FallbackNoReplica     = "no_replica"     // none in the rotation
	FallbackWaitTimeout   = "wait_timeout"   // none replayed up to the token within MaxWait
	FallbackReplicaFailed = "replica_failed" // the replica failed the statement; it was run again
	FallbackTokenAhead    = "token_ahead"    // the token is past the primary's own position: not one it issued
)

// ReplicaSet is a set of PostgreSQL streaming replicas that take reads off
// the primary. Each replica has a pool of its own; a replica that cannot be
// reached, is no longer a standby, or lags beyond MaxLag leaves the rotation
// until a later check finds it well again.
type ReplicaSet struct {
	primary  *Store
	replicas []*replica
	opt      ReplicaOptions
	log      *slog.Logger
	next     atomic.Uint64

	// samples are the primary's recent WAL positions with the time they
	// were read, oldest first: a replica's lag is the age of the oldest
	// position it has not replayed.
	mu      sync.Mutex
	samples []lsnSample

	replicaReads atomic.Int64
	fallbacks    sync.Map // reason -> *atomic.Int64
	waitersMu    sync.Mutex
	waiters      []func(time.Duration)

	stop chan struct{}
	done sync.WaitGroup
}

type lsnSample struct {
	at  time.Time
	lsn LSN
}

type replica struct {
	name  string
	store *Store

	inRotation atomic.Bool
	replayed   atomic.Uint64 // LSN last seen replayed
	checkedAt  atomic.Int64  // unix nanoseconds of the last replay reading
	lagNanos   atomic.Int64
	lagBytes   atomic.Int64
	reason     atomic.Value // string: why it is out of the rotation
}

// ReplicaStatus is one replica's state, for metrics and logs.
type ReplicaStatus struct {
	Name       string
	InRotation bool
	Reason     string // why it is out, empty when in
	Lag        time.Duration
	LagBytes   int64
	Replayed   LSN
}

// OpenReplicas opens a pool per replica URL (with opt's pool size and
// statement timeout) and checks each once; a replica that does not answer
// starts out of the rotation instead of failing the start. Background
// checks run until Close.
func OpenReplicas(primary *Store, urls []string, opt Options, ro ReplicaOptions, log *slog.Logger) (*ReplicaSet, error) {
	if primary.dialect != Postgres {
		return nil, errors.New("replicas need a PostgreSQL primary")
	}
	def := DefaultReplicaOptions()
	if ro.MaxLag <= 0 {
		ro.MaxLag = def.MaxLag
	}
	if ro.MaxWait < 0 {
		ro.MaxWait = 0
	}
	if ro.CheckInterval <= 0 {
		ro.CheckInterval = def.CheckInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rs := &ReplicaSet{primary: primary, opt: ro, log: log, stop: make(chan struct{})}
	for _, raw := range urls {
		if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
			rs.Close()
			return nil, fmt.Errorf("replica %q: not a postgres:// URL", redact(raw))
		}
		d, err := Open(raw, opt)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("replica %s: %w", redact(raw), err)
		}
		r := &replica{name: redact(raw), store: NewStore(d)}
		r.reason.Store("not checked yet")
		rs.replicas = append(rs.replicas, r)
	}
	rs.check(context.Background())
	rs.done.Add(1)
	go rs.run()
	return rs, nil
}

// redact names a replica by host and database, without credentials.
func redact(raw string) string {
	u, err := url.Parse(RedactURL(raw))
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Host + u.Path
}

// RedactURL is a postgres:// URL without its password, for logs. Unlike
// url.URL.Redacted it also reads multi-host URLs ("h1:5432,h2:5432"),
// which net/url refuses.
func RedactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, _, hasPassword := strings.Cut(authority[:at], ":")
		if hasPassword {
			user += ":xxxxx"
		}
		authority = user + "@" + authority[at+1:]
	}
	if path != "" || strings.Contains(rest, "/") {
		return scheme + "://" + authority + "/" + path
	}
	return scheme + "://" + authority
}

// Close stops the checks and closes the replicas' pools.
func (rs *ReplicaSet) Close() {
	select {
	case <-rs.stop:
		return
	default:
	}
	close(rs.stop)
	rs.done.Wait()
	for _, r := range rs.replicas {
		r.store.Close()
	}
}

// AddQueryHook adds a bun query hook to every replica's pool.
func (rs *ReplicaSet) AddQueryHook(h bun.QueryHook) {
	for _, r := range rs.replicas {
		r.store.db.AddQueryHook(h)
	}
}

// Statements is the number of statements run on the replicas so far.
func (rs *ReplicaSet) Statements() int64 {
	var n int64
	for _, r := range rs.replicas {
		n += r.store.db.Statements()
	}
	return n
}

// ObserveWaits registers fn to be told how long each read presenting a
// consistency token waited for a replica (0 when one was ready at once).
func (rs *ReplicaSet) ObserveWaits(fn func(time.Duration)) {
	rs.waitersMu.Lock()
	rs.waiters = append(rs.waiters, fn)
	rs.waitersMu.Unlock()
}

func (rs *ReplicaSet) observeWait(d time.Duration) {
	rs.waitersMu.Lock()
	ws := rs.waiters
	rs.waitersMu.Unlock()
	for _, fn := range ws {
		fn(d)
	}
}

// Status is every replica's state.
func (rs *ReplicaSet) Status() []ReplicaStatus {
	out := make([]ReplicaStatus, len(rs.replicas))
	for i, r := range rs.replicas {
		reason, _ := r.reason.Load().(string)
		out[i] = ReplicaStatus{Name: r.name, InRotation: r.inRotation.Load(), Reason: reason,
			Lag: time.Duration(r.lagNanos.Load()), LagBytes: r.lagBytes.Load(), Replayed: LSN(r.replayed.Load())}
	}
	return out
}

// Reads returns the statements served by replicas and, by reason, those
// sent to the primary instead.
func (rs *ReplicaSet) Reads() (replicas int64, fallbacks map[string]int64) {
	fallbacks = map[string]int64{}
	for _, reason := range []string{FallbackNoReplica, FallbackWaitTimeout, FallbackReplicaFailed, FallbackTokenAhead} {
		fallbacks[reason] = rs.counter(reason).Load()
	}
	return rs.replicaReads.Load(), fallbacks
}

func (rs *ReplicaSet) counter(reason string) *atomic.Int64 {
	c, _ := rs.fallbacks.LoadOrStore(reason, new(atomic.Int64))
	return c.(*atomic.Int64)
}

func (rs *ReplicaSet) run() {
	defer rs.done.Done()
	t := time.NewTicker(rs.opt.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-rs.stop:
			return
		case <-t.C:
			rs.check(context.Background())
		}
	}
}

// check reads the primary's WAL position, then each replica's replay
// position, and puts each replica in or out of the rotation.
func (rs *ReplicaSet) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(rs.opt.CheckInterval, time.Second))
	defer cancel()
	now := time.Now()
	if lsn, _, err := rs.primary.ConsistencyToken(ctx); err == nil {
		rs.mu.Lock()
		rs.samples = append(rs.samples, lsnSample{at: now, lsn: lsn})
		// Samples older than twice the bound are not needed to tell that a
		// replica is beyond it; at least one is kept.
		keep := 0
		for keep < len(rs.samples)-1 && now.Sub(rs.samples[keep].at) > 2*rs.opt.MaxLag+rs.opt.CheckInterval {
			keep++
		}
		rs.samples = rs.samples[keep:]
		rs.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, r := range rs.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs.checkReplica(ctx, r, now)
		}()
	}
	wg.Wait()
}

func (rs *ReplicaSet) checkReplica(ctx context.Context, r *replica, now time.Time) {
	var inRecovery bool
	var replayed sql.NullString
	err := r.store.db.QueryRowContext(ctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").Scan(&inRecovery, &replayed)
	switch {
	case err != nil:
		rs.out(r, "unreachable: "+err.Error())
		return
	case !inRecovery:
		// A replica URL that now reaches a primary (a promoted standby, or
		// a misconfiguration) may hold another history than the primary's.
		rs.out(r, "not a standby (pg_is_in_recovery() is false)")
		return
	}
	lsn, err := ParseLSN(replayed.String)
	if err != nil {
		rs.out(r, "no replay position: "+err.Error())
		return
	}
	r.noteReplayed(lsn, now)
	lag, behind := rs.lag(lsn, now)
	r.lagNanos.Store(int64(lag))
	r.lagBytes.Store(behind)
	if lag > rs.opt.MaxLag {
		rs.out(r, fmt.Sprintf("lags %s behind the primary, more than %s", lag.Round(time.Millisecond), rs.opt.MaxLag))
		return
	}
	if !r.inRotation.Swap(true) {
		rs.log.Info("replica in the rotation", "replica", r.name, "lag", lag.String())
	}
	r.reason.Store("")
}

// lag is how long ago the primary had written the oldest WAL the replica
// has not replayed (0 when it has replayed all the primary had at the last
// check), and how many bytes of WAL it is behind that check.
func (rs *ReplicaSet) lag(replayed LSN, now time.Time) (time.Duration, int64) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.samples) == 0 {
		return 0, 0
	}
	last := rs.samples[len(rs.samples)-1]
	var behind int64
	if last.lsn > replayed {
		behind = int64(last.lsn - replayed)
	}
	for _, s := range rs.samples {
		if s.lsn > replayed {
			return now.Sub(s.at), behind
		}
	}
	return 0, behind
}

// out takes a replica out of the rotation, saying why once.
func (rs *ReplicaSet) out(r *replica, reason string) {
	r.reason.Store(reason)
	if r.inRotation.Swap(false) {
		rs.log.Warn("replica out of the rotation", "replica", r.name, "reason", reason)
	}
}

func (r *replica) noteReplayed(lsn LSN, at time.Time) {
	for {
		old := r.replayed.Load()
		if uint64(lsn) <= old || r.replayed.CompareAndSwap(old, uint64(lsn)) {
			break
		}
	}
	r.checkedAt.Store(at.UnixNano())
}

// replayedNow reads the replica's replay position, unless it was read less
// than a millisecond ago: many reads waiting for the same replica share one
// reading per millisecond.
func (r *replica) replayedNow(ctx context.Context) (LSN, error) {
	if time.Since(time.Unix(0, r.checkedAt.Load())) < time.Millisecond {
		return LSN(r.replayed.Load()), nil
	}
	var text sql.NullString
	if err := r.store.db.QueryRowContext(ctx, "SELECT pg_last_wal_replay_lsn()::text").Scan(&text); err != nil {
		return 0, err
	}
	lsn, err := ParseLSN(text.String)
	if err != nil {
		return 0, err
	}
	r.noteReplayed(lsn, time.Now())
	return LSN(r.replayed.Load()), nil
}

// pick chooses where a read runs: the next replica in the rotation that
// has replayed up to ctx's token, waiting up to MaxWait for one when a
// token is presented; the primary when none qualifies. The replica is nil
// when the primary was chosen.
func (rs *ReplicaSet) pick(ctx context.Context) (*Store, *replica) {
	if primaryOnly(ctx) || len(rs.replicas) == 0 {
		return rs.primary, nil
	}
	need := ReadAfter(ctx)
	n := uint64(len(rs.replicas))
	start := rs.next.Add(1)
	any := false
	for i := range n {
		r := rs.replicas[(start+i)%n]
		if !r.inRotation.Load() {
			continue
		}
		any = true
		if LSN(r.replayed.Load()) >= need {
			if need != 0 {
				rs.observeWait(0)
			}
			rs.replicaReads.Add(1)
			return r.store, r
		}
	}
	if !any {
		rs.counter(FallbackNoReplica).Add(1)
		return rs.primary, nil
	}
	// A token past everything the primary has written was not issued by it
	// (made up, or from another database): no replica will ever reach it,
	// and waiting for one would let any client hold every read for
	// MaxWait. The primary is asked once for its position when the token
	// is newer than the last check's.
	if need > rs.primaryPosition(ctx, need) {
		rs.counter(FallbackTokenAhead).Add(1)
		return rs.primary, nil
	}
	// A token newer than any replica was last seen at: ask them again,
	// backing off from 1ms to 10ms, until one has replayed far enough.
	began := time.Now()
	deadline := began.Add(rs.opt.MaxWait)
	pause := time.Millisecond
	for {
		for i := range n {
			r := rs.replicas[(start+i)%n]
			if !r.inRotation.Load() {
				continue
			}
			lsn, err := r.replayedNow(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return rs.primary, nil
				}
				if unreachable(err) {
					rs.out(r, "unreachable: "+err.Error())
				}
				continue
			}
			if lsn >= need {
				rs.observeWait(time.Since(began))
				rs.replicaReads.Add(1)
				return r.store, r
			}
		}
		if time.Now().Add(pause).After(deadline) || ctx.Err() != nil {
			rs.observeWait(time.Since(began))
			rs.counter(FallbackWaitTimeout).Add(1)
			return rs.primary, nil
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// primaryPosition is the primary's latest known WAL position, read afresh
// when the last check's is below need.
func (rs *ReplicaSet) primaryPosition(ctx context.Context, need LSN) LSN {
	rs.mu.Lock()
	var known LSN
	if len(rs.samples) > 0 {
		known = rs.samples[len(rs.samples)-1].lsn
	}
	rs.mu.Unlock()
	if need <= known {
		return known
	}
	lsn, ok, err := rs.primary.ConsistencyToken(ctx)
	if err != nil || !ok {
		// Unknown: let the read wait as for a real token.
		return need
	}
	return lsn
}

// unreachable reports an error that means the replica itself is gone, as
// opposed to one statement failing there.
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code[:min(2, len(pgErr.Code))] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return IsUnavailable(err)
}

// rerunOnPrimary reports a replica's failure that the primary may not
// have: the replica unreachable or gone mid-statement, shutting down, or
// a statement cancelled by a conflict with WAL replay (40001).
func rerunOnPrimary(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "40001" {
		return true
	}
	return IsUnavailable(err)
}
