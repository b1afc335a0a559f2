package reliability

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/internal/cputime"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// Budgets of one abusive request, asserted generously: the rows
// took seconds of CPU and gigabytes; the limits answer them in
// milliseconds. CPU and allocation are the whole test process's (client
// included), measured in-process.
const (
	abuseCPU   = 500 * time.Millisecond
	abuseWall  = 3 * time.Second
	abuseAlloc = 64 << 20
	abuseBody  = 8 << 10
)

// measured runs fn and reports the process CPU, wall time and bytes
// allocated meanwhile, with the heap in use after it.
func measured(fn func()) (cpu, wall time.Duration, alloc, heap uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c0, t0 := cputime.Process(), time.Now()
	fn()
	wall = time.Since(t0)
	cpu = time.Duration(cputime.Process() - c0)
	runtime.ReadMemStats(&after)
	return cpu, wall, after.TotalAlloc - before.TotalAlloc, after.HeapInuse
}

// abusive documents, one per row of the table that a document
// makes.
func conflictingAliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := 0; i < n; i++ {
		b.WriteString("a:__typename a:viewer{id} ")
	}
	b.WriteString("}")
	return b.String()
}

func fragmentDoubling(n int) string {
	var b strings.Builder
	b.WriteString("query{...F0} ")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query{...F%d ...F%d} ", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query{__typename}", n)
	return b.String()
}

func repeatedTypename(n int) string {
	return "{" + strings.Repeat(" __typename", n) + " }"
}

func deepList(n int) string {
	return `{ viewer { id } eventTypeHistory(eventTypeId: "1", filter: {actions: ` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}) { totalCount } }`
}

func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("query{...F0} ")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query{...F%d} ", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query{__typename}", n)
	return b.String()
}

func totalCountAliases(n int) string {
	var b strings.Builder
	b.WriteString(`query($org: ID!, $user: ID!) {`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, ` a%d: memberChangeLogs(organizationId: $org, userId: $user, first: 0) { totalCount }`, i)
	}
	b.WriteString("}")
	return b.String()
}

// raised returns the default configuration with every document limit but
// the named ones lifted to the body limit (or off), to show that each
// limit alone holds.
func raised(keep ...string) server.Config {
	cfg := testConfig()
	l := &cfg.Limits
	body := int(cfg.MaxBodyBytes)
	lift := map[string]func(){
		"documentBytes": func() { l.Bytes = body },
		"tokens":        func() { l.Tokens = body },
		"fragments":     func() { l.Fragments = body },
		"selections":    func() { l.Selections = 0 },
		"sameName":      func() { l.SameName = 0 },
		"fields":        func() { l.Fields = 0 },
		"valueDepth":    func() { l.ValueDepth = 0 },
	}
	for name, f := range lift {
		if !slices.Contains(keep, name) {
			f()
		}
	}
	return cfg
}

// TestAbusiveDocuments answers each abusive document of the table
// with a coded refusal naming the limit, within the budgets, with the
// default limits and with each limit alone (the others lifted to the body
// limit).
func TestAbusiveDocuments(t *testing.T) {
	cases := []struct {
		name, query string
		// limits that refuse it with the defaults, then alone.
		limits []string
		// alone: limits that refuse it when all others are lifted.
		alone   []string
		withKey bool
	}{
		{"500 conflicting aliases", conflictingAliases(500), []string{"selections"}, []string{"selections"}, false},
		{"fragment doubling to F24", fragmentDoubling(24), []string{"sameName", "fields"}, []string{"sameName", "fields"}, false},
		{"10,000 __typename", repeatedTypename(10_000), []string{"documentBytes"}, []string{"documentBytes", "tokens", "selections"}, false},
		{"a 200k-deep list literal", deepList(200_000), []string{"documentBytes"}, []string{"documentBytes"}, false},
		{"a 500-deep list literal", deepList(500), []string{"valueDepth"}, []string{"valueDepth"}, false},
		{"500 conflicting aliases in 10 fragments", conflictingFragments(10, 50), []string{"sameName"}, []string{"sameName"}, false},
		{"a chain of 3,000 fragments", fragmentChain(3_000), []string{"documentBytes"}, []string{"documentBytes", "tokens", "fragments"}, false},
		{"2,400 totalCount aliases", totalCountAliases(2_400), []string{"documentBytes"}, []string{"documentBytes", "tokens", "selections"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(t *testing.T, cfg server.Config, want []string) {
				e := sqliteEnv(t, cfg, nil)
				key := ""
				if c.withKey {
					key = e.keys["owner"]
				}
				body, _ := json.Marshal(map[string]any{"query": c.query, "variables": map[string]any{"org": "1", "user": "3"}})
				if len(body) > int(cfg.MaxBodyBytes) {
					t.Fatalf("the document is %d bytes, over the body limit", len(body))
				}
				var r *gqlResponse
				before := e.store.Statements()
				cpu, wall, alloc, _ := measured(func() {
					var err error
					r, err = postRaw(context.Background(), http.DefaultClient, e.url, key, body)
					if err != nil {
						t.Fatal(err)
					}
				})
				t.Logf("%d B document: status %d, %d B answer, cpu %s, wall %s, alloc %d KB: %.200s",
					len(c.query), r.Status, len(r.Raw), cpu, wall, alloc>>10, r.Raw)
				wantCode(t, r, model.CodeInvalid)
				if len(r.Errors) != 1 || !slices.Contains(want, fmt.Sprint(r.Errors[0].Extensions["limit"])) {
					t.Fatalf("want one error naming one of the limits %v: %s", want, r.Raw)
				}
				if d := string(r.Data); d != "" && d != "null" {
					t.Fatalf("data with a refusal: %s", r.Raw)
				}
				if len(r.Raw) > abuseBody {
					t.Fatalf("a %d byte answer", len(r.Raw))
				}
				if cpu > abuseCPU || wall > abuseWall || alloc > abuseAlloc {
					t.Fatalf("cpu %s (budget %s), wall %s (budget %s), alloc %d MB (budget %d MB)",
						cpu, abuseCPU, wall, abuseWall, alloc>>20, abuseAlloc>>20)
				}
				// With a key, its lookup and the record of its use are the
				// statements allowed.
				if n := e.store.Statements() - before; n > 2 || n > 0 && !c.withKey {
					t.Fatalf("%d statements ran for a refused document", n)
				}
			}
			t.Run("defaults", func(t *testing.T) { check(t, testConfig(), c.limits) })
			for _, l := range c.alone {
				t.Run("only "+l, func(t *testing.T) { check(t, raised(l), []string{l}) })
			}
		})
	}
}

// conflictingFragments spreads n fragments of m conflicting alias pairs
// each into one level: the aliases of the first row, split so that no one
// selection set is large.
func conflictingFragments(n, m int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " ...C%d", i)
	}
	b.WriteString(" }")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " fragment C%d on Query {", i)
		for j := 0; j < m; j++ {
			b.WriteString(" a:__typename a:viewer{id}")
		}
		b.WriteString(" }")
	}
	return b.String()
}

// worstWithinLimits is a document that passes every default limit while
// giving the overlapping-fields check as many pairs as they allow: 6
// response names, each on 32 conflicting fields, at the top and again in
// fragments under 9 more fields.
func worstWithinLimits() string {
	var b strings.Builder
	level := func() {
		for k := 0; k < 6; k++ {
			for j := 0; j < 16; j++ {
				fmt.Fprintf(&b, " n%d:__typename n%d:viewer{id}", k, k)
			}
		}
	}
	b.WriteString("{")
	level()
	b.WriteString(" }")
	return b.String()
}

// TestValidationWithinTheLimits: the worst document the default limits let
// through to gqlparser's validation is validated within the budgets, and
// so is a document as large as the body allows when every other limit is
// lifted, since the token limit stops the parser. (With every limit lifted,
// 1,000 conflicting aliases cost gqlparser v2.5.64 seconds and gigabytes:
// the limits, not the validator, bound this.)
func TestValidationWithinTheLimits(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	lifted := raised("tokens")
	lifted.Limits.Bytes = int(lifted.MaxBodyBytes)
	e2 := sqliteEnv(t, lifted, nil)
	for _, c := range []struct {
		name, query string
		e           *env
	}{
		{"the worst within the default limits", worstWithinLimits(), e},
		{"conflicting aliases, 900 KB, only tokens", conflictingAliases(34_000), e2},
	} {
		body, _ := json.Marshal(map[string]any{"query": c.query})
		var r *gqlResponse
		cpu, wall, alloc, _ := measured(func() {
			var err error
			r, err = postRaw(context.Background(), http.DefaultClient, c.e.url, "", body)
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s (%d B): status %d, %d errors, %d B, cpu %s, wall %s, alloc %d MB: %.160s", c.name, len(c.query), r.Status, len(r.Errors), len(r.Raw), cpu, wall, alloc>>20, r.Raw)
		if len(r.Errors) == 0 || len(r.Errors) > 20 || len(r.Raw) > 64<<10 {
			t.Fatalf("%s: want at most 20 coded errors in a small answer: %d errors, %d B", c.name, len(r.Errors), len(r.Raw))
		}
		if cpu > abuseCPU || wall > abuseWall || alloc > abuseAlloc {
			t.Fatalf("%s: cpu %s, wall %s, alloc %d MB", c.name, cpu, wall, alloc>>20)
		}
	}
}

// TestErrorsPerResponseBounded: a document with hundreds of mistakes is
// answered with MaxErrors errors, the last saying how many more.
func TestErrorsPerResponseBounded(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, " f%d: nope%d", i, i)
	}
	b.WriteString(" }")
	r := mustPost(t, e, "", b.String(), nil)
	if len(r.Errors) != 20 {
		t.Fatalf("want 20 errors, got %d: %.300s", len(r.Errors), r.Raw)
	}
	last := r.Errors[19]
	if last.Message != "and 131 more errors" || last.Extensions["code"] == nil {
		t.Fatalf("the last error: %+v", last)
	}
}

// TestRefusedDocumentIsNotPersisted: the fragment-doubling document sent
// with its hash is refused, and its hash alone finds nothing; an accepted
// document's does.
func TestRefusedDocumentIsNotPersisted(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	send := func(query, hash string, withQuery bool) *gqlResponse {
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		if !withQuery {
			extJSON, _ := json.Marshal(ext)
			resp, err := http.Get(e.url + "/graphql?extensions=" + url.QueryEscape(string(extJSON)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			out := &gqlResponse{Status: resp.StatusCode, Raw: raw}
			json.Unmarshal(raw, out)
			return out
		}
		body, _ := json.Marshal(map[string]any{"query": query, "extensions": ext})
		r, err := postRaw(context.Background(), http.DefaultClient, e.url, "", body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	hashOf := func(q string) string { s := sha256.Sum256([]byte(q)); return hex.EncodeToString(s[:]) }

	bad := fragmentDoubling(24)
	if r := send(bad, hashOf(bad), true); len(r.Errors) != 1 || r.Errors[0].Extensions["limit"] == nil {
		t.Fatalf("the document itself: %s", r.Raw)
	}
	var r *gqlResponse
	cpu, _, _, _ := measured(func() { r = send("", hashOf(bad), false) })
	if c := r.codes(); len(c) != 1 || c[0] != "PERSISTED_QUERY_NOT_FOUND" || cpu > abuseCPU {
		t.Fatalf("the replay by hash: cpu %s: %s", cpu, r.Raw)
	}
	good := `{ __typename }`
	if r := send(good, hashOf(good), true); len(r.Errors) != 0 {
		t.Fatalf("an accepted document: %s", r.Raw)
	}
	if r := send("", hashOf(good), false); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "Query") {
		t.Fatalf("an accepted document by its hash: %s", r.Raw)
	}
}

// TestMadeUpKeys: a fresh made-up key per request from one address gets
// the failed-authentication budget, then 429 before any lookup: the
// statements stop at the budget.
func TestMadeUpKeys(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 50, 100
	e := sqliteEnv(t, cfg, nil)
	before := e.store.Statements()
	if r := mustPost(t, e, e.keys["owner"], `{ viewer { id } }`, nil); r.Status != http.StatusOK {
		t.Fatalf("the owner's key: %s", r.Raw)
	}
	statuses := map[int]int{}
	const n = 500
	cpu, _, _, _ := measured(func() {
		for i := 0; i < n; i++ {
			r := mustPost(t, e, fmt.Sprintf("cal_madeup%08d", i), `{ viewer { id } }`, nil)
			statuses[r.Status]++
		}
	})
	t.Logf("%d made-up keys: statuses %v, %d statements, cpu %s", n, statuses, e.store.Statements()-before, cpu)
	if statuses[http.StatusTooManyRequests] < n-cfg.AuthFailureBurst-2 {
		t.Fatalf("statuses %v: want all but the failure budget refused 429", statuses)
	}
	if c := e.store.Statements() - before; c > int64(cfg.AuthFailureBurst+4) {
		t.Fatalf("%d statements for %d made-up keys: want at most the failure budget", c, n)
	}
	// A key that authenticated before the flood still works from the
	// same address (clients behind one NAT with the attacker); a key
	// never seen is refused before lookup like the made-up ones.
	if r := mustPost(t, e, e.keys["owner"], `{ viewer { id } }`, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("a key that authenticated before, from the refused address: %d %s", r.Status, r.Raw)
	}
	if r := mustPost(t, e, e.keys["admin"], `{ viewer { id } }`, nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("a key not seen before, from the refused address: %d %s", r.Status, r.Raw)
	}
}

// TestOperationNameLabelsBounded: unique operation names do not grow
// /metrics.
func TestOperationNameLabelsBounded(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	for i := 0; i < 400; i++ {
		name := fmt.Sprintf("Op%d_%s", i, strings.Repeat("x", i%80))
		body, _ := json.Marshal(map[string]any{"query": "query " + name + " { __typename }", "operationName": name})
		postRaw(context.Background(), http.DefaultClient, e.url, e.keys["owner"], body)
	}
	huge := "query " + strings.Repeat("Z", 500<<10) + " { __typename }"
	body, _ := json.Marshal(map[string]any{"query": huge})
	if len(body) < int(testConfig().MaxBodyBytes) {
		postRaw(context.Background(), http.DefaultClient, e.url, e.keys["owner"], body)
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw := readAll(t, resp)
	series := strings.Count(raw, "auditgraph_graphql_operation_duration_seconds_count{")
	t.Logf("/metrics: %d bytes, %d operation series", len(raw), series)
	if series > 102 || len(raw) > 256<<10 || !strings.Contains(raw, `operation="other"`) {
		t.Fatalf("/metrics: %d bytes, %d operation series", len(raw), series)
	}
}
