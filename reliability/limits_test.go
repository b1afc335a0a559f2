package reliability

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
)

func wantCode(t *testing.T, r *gqlResponse, code string) {
	t.Helper()
	if !slices.Contains(r.codes(), code) {
		t.Fatalf("want an error coded %s, got status %d: %s", code, r.Status, r.Raw)
	}
}

func TestBodySizeLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 2048
	e := sqliteEnv(t, cfg, nil)
	small := mustPost(t, e, e.keys["owner"], eventTypeHistoryQuery, map[string]any{"id": teamEventType, "first": 1})
	if small.Status != http.StatusOK || len(small.Errors) > 0 {
		t.Fatalf("a request under the limit: %d %s", small.Status, small.Raw)
	}
	padding := strings.Repeat(" ", 4096)
	big := mustPost(t, e, e.keys["owner"], eventTypeHistoryQuery+padding, map[string]any{"id": teamEventType, "first": 1})
	// Refused before execution: 413 with GraphQL's coded error.
	if big.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: status %d, want 413: %s", big.Status, big.Raw)
	}
	wantCode(t, big, model.CodeInvalid)
	if !strings.Contains(big.Errors[0].Message, "too large") || !strings.Contains(big.Errors[0].Message, "2048 bytes") {
		t.Fatalf("a body over the limit: %s", big.Raw)
	}
}

func TestDepthAndComplexityLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxDepth = 4
	cfg.MaxComplexity = 200
	e := sqliteEnv(t, cfg, nil)
	key := e.keys["owner"]

	ok := mustPost(t, e, key, `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 3) { edges { node { id } } } }`,
		map[string]any{"id": teamEventType})
	if len(ok.Errors) > 0 {
		t.Fatalf("a query within the limits: %s", ok.Raw)
	}
	deep := mustPost(t, e, key, `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 3) { edges { node { actor { type } } } } }`,
		map[string]any{"id": teamEventType})
	wantCode(t, deep, model.CodeInvalid)
	if !strings.Contains(string(deep.Raw), "nested too deeply") || deep.Data != nil && string(deep.Data) != "null" {
		t.Fatalf("too deep: %s", deep.Raw)
	}
	complex := mustPost(t, e, key, `query($id: ID!) { eventTypeHistory(eventTypeId: $id, first: 50) { edges { cursor node { id timestamp actionDisplayTitle } } } }`,
		map[string]any{"id": teamEventType})
	if len(complex.Errors) == 0 || complex.Status >= 500 || !strings.Contains(strings.ToLower(string(complex.Raw)), "complexity") {
		t.Fatalf("too complex: status %d, %s", complex.Status, complex.Raw)
	}
	if c := complex.codes(); len(c) == 0 || c[0] == "" || c[0] == model.CodeInternal {
		t.Fatalf("too complex: the error has no proper code: %s", complex.Raw)
	}
}

func TestPageSizeCaps(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	key := e.keys["owner"]
	orgUser := map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "user": strconv.FormatInt(seed.MemberUserID, 10)}
	cases := []struct {
		name, query string
		vars        map[string]any
		max         int
	}{
		{"eventTypeHistory", `query($id: ID!, $n: Int) { eventTypeHistory(eventTypeId: $id, first: $n) { edges { node { id } } } }`,
			map[string]any{"id": teamEventType}, model.EventTypeHistoryKind.Limits.Max},
		{"attributeAssignmentHistory", `query($org: ID!, $user: ID!, $n: Int) { attributeAssignmentHistory(orgId: $org, userId: $user, first: $n) { edges { node { id } } } }`,
			orgUser, model.AttributeHistoryKind.Limits.Max},
		{"memberChangeLogs", `query($org: ID!, $user: ID!, $n: Int) { memberChangeLogs(organizationId: $org, userId: $user, first: $n) { edges { node { id } } } }`,
			orgUser, model.MemberChangeLogsKind.Limits.Max},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := func(n int) map[string]any {
				v := map[string]any{"n": n}
				for k, x := range c.vars {
					v[k] = x
				}
				return v
			}
			at := mustPost(t, e, key, c.query, vars(c.max))
			if len(at.Errors) > 0 {
				t.Fatalf("first: %d (the cap): %s", c.max, at.Raw)
			}
			var got map[string]struct {
				Edges []json.RawMessage `json:"edges"`
			}
			json.Unmarshal(at.Data, &got)
			if n := len(got[c.name].Edges); n > c.max || n == 0 {
				t.Fatalf("first: %d returned %d entries", c.max, n)
			}
			over := mustPost(t, e, key, c.query, vars(c.max+1))
			wantCode(t, over, model.CodeInvalid)
			for _, q := range []int{-1} {
				wantCode(t, mustPost(t, e, key, c.query, vars(q)), model.CodeInvalid)
			}
		})
	}
}

// The page sizes are settings: the default and both maxima apply to the
// GraphQL connections and, through them, to the REST endpoints.
func TestConfiguredPageSizes(t *testing.T) {
	cfg := testConfig()
	cfg.PageSizes = model.PageSizes{Default: 4, Max: 10, MaxChangeLogs: 12}
	e := sqliteEnv(t, cfg, nil)
	key := e.keys["owner"]
	edges := func(r *gqlResponse, field string) int {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %s", field, r.Raw)
		}
		var got map[string]struct {
			Edges []json.RawMessage `json:"edges"`
		}
		if err := json.Unmarshal(r.Data, &got); err != nil {
			t.Fatal(err)
		}
		return len(got[field].Edges)
	}
	const etQuery = `query($id: ID!, $n: Int) { eventTypeHistory(eventTypeId: $id, first: $n) { edges { node { id } } } }`
	if n := edges(mustPost(t, e, key, etQuery, map[string]any{"id": teamEventType}), "eventTypeHistory"); n != 4 {
		t.Errorf("no first: %d entries, want the configured default 4", n)
	}
	if n := edges(mustPost(t, e, key, etQuery, map[string]any{"id": teamEventType, "n": 10}), "eventTypeHistory"); n != 10 {
		t.Errorf("first: 10 (the configured maximum): %d entries", n)
	}
	over := mustPost(t, e, key, etQuery, map[string]any{"id": teamEventType, "n": 11})
	wantCode(t, over, model.CodeInvalid)
	if !strings.Contains(string(over.Raw), "at most 10") {
		t.Errorf("first: 11 refused without naming the maximum: %s", over.Raw)
	}

	const clQuery = `query($org: ID!, $user: ID!, $n: Int) { memberChangeLogs(organizationId: $org, userId: $user, first: $n) { edges { node { id } } } }`
	orgUser := func(n int) map[string]any {
		return map[string]any{"org": strconv.FormatInt(seed.AcmeID, 10), "user": strconv.FormatInt(seed.MemberUserID, 10), "n": n}
	}
	if n := edges(mustPost(t, e, key, clQuery, orgUser(12)), "memberChangeLogs"); n != 12 {
		t.Errorf("change logs first: 12 (the configured maximum): %d entries", n)
	}
	wantCode(t, mustPost(t, e, key, clQuery, orgUser(13)), model.CodeInvalid)

	// REST pages run through the same limits: within them as usual, above
	// them 400 in the endpoint's envelope, naming the REST parameter.
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("cal-api-version", "2024-06-14")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	var answer struct {
		Status string `json:"status"`
		Data   struct {
			AuditLogs []json.RawMessage `json:"auditLogs"`
		} `json:"data"`
		Error struct {
			Message string `json:"message"`
			Details struct {
				Field string `json:"field"`
			} `json:"details"`
		} `json:"error"`
	}
	status, body := get("/v2/event-types/" + teamEventType + "/history?limit=10")
	if err := json.Unmarshal([]byte(body), &answer); status != http.StatusOK || err != nil || answer.Status != "success" || len(answer.Data.AuditLogs) != 10 {
		t.Errorf("REST limit=10: %d %.300s", status, body)
	}
	answer.Status = ""
	status, body = get("/v2/event-types/" + teamEventType + "/history?limit=11")
	if err := json.Unmarshal([]byte(body), &answer); status != http.StatusBadRequest || err != nil || answer.Status != "error" ||
		answer.Error.Message != "limit must not be greater than 10" || answer.Error.Details.Field != "limit" {
		t.Errorf("REST limit=11, over the configured maximum: %d %.400s", status, body)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit = 0.5 // one token every 2s
	cfg.RateBurst = 3
	e := sqliteEnv(t, cfg, nil)
	vars := map[string]any{"id": teamEventType, "first": 1}
	for i := 0; i < cfg.RateBurst; i++ {
		if r := mustPost(t, e, e.keys["owner"], eventTypeHistoryQuery, vars); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("request %d within the burst: %d %s", i+1, r.Status, r.Raw)
		}
	}
	r := mustPost(t, e, e.keys["owner"], eventTypeHistoryQuery, vars)
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("over the burst: status %d, want 429: %s", r.Status, r.Raw)
	}
	wantCode(t, r, model.CodeRateLimited)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Fatalf("Retry-After %q, want whole seconds in 1..2", r.Header.Get("Retry-After"))
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "retry in "+strconv.Itoa(secs)+"s") {
		t.Fatalf("429 body: %s", r.Raw)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("429 Content-Type %q", r.Header.Get("Content-Type"))
	}
	// The bucket is the key's: another key is not limited.
	if o := mustPost(t, e, e.keys["admin"], eventTypeHistoryQuery, vars); o.Status != http.StatusOK || len(o.Errors) > 0 {
		t.Fatalf("another key: %d %s", o.Status, o.Raw)
	}
}

func TestRequestTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.RequestTimeout = time.Nanosecond
	e := sqliteEnv(t, cfg, nil)
	begin := time.Now()
	r := mustPost(t, e, e.keys["owner"], eventTypeHistoryQuery, map[string]any{"id": teamEventType, "first": 50})
	if took := time.Since(begin); took > 2*time.Second {
		t.Fatalf("a request over its deadline took %s", took)
	}
	if r.Status >= 500 && r.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	wantCode(t, r, model.CodeUnavailable)
	if slices.Contains(r.codes(), model.CodeInternal) {
		t.Fatalf("a timeout reported as internal: %s", r.Raw)
	}
}

func TestDatabasePoolBound(t *testing.T) {
	const maxConns = 3
	e := postgresEnv(t, testConfig(), db.Options{MaxOpenConns: maxConns}, nil)
	sqldb := e.store.DB().DB.DB
	if got := sqldb.Stats().MaxOpenConnections; got != maxConns {
		t.Fatalf("MaxOpenConnections = %d, want %d", got, maxConns)
	}
	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		maxSeen int
		sampler sync.WaitGroup
	)
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if n := sqldb.Stats().OpenConnections; n > maxSeen {
				maxSeen = n
			}
		}
	}()
	errs := make(chan string, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				r, err := post(ctx, http.DefaultClient, e.url, e.keys["owner"], eventTypeHistoryQuery, map[string]any{"id": teamEventType, "first": 50})
				cancel()
				if err != nil {
					errs <- err.Error()
					return
				}
				if len(r.Errors) > 0 {
					errs <- string(r.Raw)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	st := sqldb.Stats()
	if maxSeen > maxConns || st.MaxOpenConnections != maxConns {
		t.Fatalf("saw %d open connections, the bound is %d", maxSeen, maxConns)
	}
	if st.WaitCount == 0 {
		t.Errorf("16 concurrent callers never waited for one of %d connections: the bound was not exercised", maxConns)
	}
	t.Logf("open connections peaked at %d (bound %d); %d waits for a connection", maxSeen, maxConns, st.WaitCount)
}

// The in-process executor (the REST shim's) answers a request whose deadline
// has passed with a coded error too, never with no response.
func TestExecuteAfterDeadline(t *testing.T) {
	store, keys := openSeeded(t, t.TempDir()+"/a.db", db.Options{})
	_ = keys
	s, err := wire.Server(testConfig(), store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	resp := s.Execute(ctx, eventTypeHistoryQuery, map[string]any{"id": teamEventType})
	if resp == nil || len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != model.CodeUnavailable {
		t.Fatalf("Execute after the deadline: %+v", resp)
	}
}
