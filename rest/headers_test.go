package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// /v2 tells its quota on every response, as Cal.com's throttler does.
func TestV2RateLimitHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t, testConfig())
	for _, rq := range []request{
		{path: attributePath + "?limit=1", role: "admin"},
		{path: eventTypePath + "?limit=1", role: "admin", version: calVersion},
		{path: attributePath, role: ""},
		{path: attributePath + "?limit=0", role: "admin"},
		{path: "/v2/nothing/here", role: "admin"},
		{path: "/V2/event-types/2/history", role: "admin"},
	} {
		r := f.do(t, rq)
		for _, h := range []string{"X-RateLimit-Limit-Default", "X-RateLimit-Remaining-Default", "X-RateLimit-Reset-Default"} {
			if r.header.Get(h) == "" {
				t.Errorf("%s (%d): no %s", rq.path, r.status, h)
			}
		}
		if r.header.Get("X-RateLimit-Limit-Default") != "10000" {
			t.Errorf("%s: X-RateLimit-Limit-Default %q, want the burst 10000", rq.path, r.header.Get("X-RateLimit-Limit-Default"))
		}
	}
}

// A 429's Retry-After and the advertised reset say the same.
func TestRetryAfterAgreesWithReset(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 2
	f := newFixture(t, cfg)
	for _, c := range []struct {
		rq    request
		reset string
	}{
		{request{method: http.MethodPost, path: changeLogsPath, role: "owner", body: `{"take":1}`}, "X-Ratelimit-Reset"},
		{request{path: attributePath + "?limit=1", role: "admin"}, "X-RateLimit-Reset-Default"},
	} {
		var r response
		for i := 0; i < 5; i++ {
			if r = f.do(t, c.rq); r.status == http.StatusTooManyRequests {
				break
			}
		}
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s: no 429 after 5 requests at 1/s with burst 2", c.rq.path)
		}
		if ra, reset := r.header.Get("Retry-After"), r.header.Get(c.reset); ra == "" || ra != reset {
			t.Errorf("%s: Retry-After %q, %s %q", c.rq.path, ra, c.reset, reset)
		}
	}
}

// Every path under /v1 and /v2 answers in its family's envelope: a trailing
// slash, another case, an unclean path, the bare prefix, unknown paths.
func TestEveryAPIPathAnswersInItsEnvelope(t *testing.T) {
	f := newFixture(t, testConfig())
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{
		"/v2/event-types/2/history/", "/V2/event-types/2/history", "/v2", "/v2/", "/v2//event-types/2/history",
		"/v2/event-types/./2/history", "/v2/unknown", "/v2/organizations/1/attributes/assignments/3/history/",
		"/v1/organizations/" + acmePublicID + "/users/" + carolPublicID + "/change-logs/", "/V1/organizations",
		"/v1", "/v1/", "/v1//x", "/v1/a/../b", "/v1/unknown",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, _ := http.NewRequest(method, f.url+p, nil)
			req.Header.Set("cal-api-version", calVersion)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || err != nil {
				t.Errorf("%s %s: %d (%v), want 404 in the envelope", method, p, resp.StatusCode, err)
				continue
			}
			if strings.HasPrefix(strings.ToLower(p), "/v1") {
				e, _ := body["error"].(map[string]any)
				if body["success"] != false || e["code"] != "NOT_FOUND" {
					t.Errorf("%s %s: not the /v1 envelope: %v", method, p, body)
				}
			} else {
				e, _ := body["error"].(map[string]any)
				if body["status"] != "error" || e["code"] != "NotFoundException" {
					t.Errorf("%s %s: not the /v2 envelope: %v", method, p, body)
				}
			}
		}
	}
}

// The security headers are on every route, the playground's page included.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	f := newFixture(t, testConfig())
	for _, p := range []string{
		"/", "/playground/", "/graphql?query=%7B__typename%7D", "/schema.graphql", "/healthz", "/readyz", "/metrics",
		"/nope", "/v1/nope", "/v2/nope", attributePath, eventTypePath,
	} {
		r := f.do(t, request{path: p, role: "admin", version: calVersion})
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s (%d): %s %q, want %q", p, r.status, h, got, want)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") && !strings.Contains(csp, "default-src") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		if strings.HasPrefix(r.header.Get("Content-Type"), "text/html") && !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src") {
			t.Errorf("%s: an HTML page without a script policy: %q", p, r.header.Get("Content-Security-Policy"))
		}
	}
}

// A /v1 body over -max-body-bytes is 422 VALIDATION_ERROR (as the README
// says), not 400.
func TestV1OversizedBodyIs422(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 1024
	f := newFixture(t, cfg)
	r := f.do(t, request{method: http.MethodPost, path: changeLogsPath, role: "owner", body: `{"take":1,"pad":"` + strings.Repeat("x", 2048) + `"}`})
	if e := decodeV1Error(t, r.body); r.status != http.StatusUnprocessableEntity || e.Error.Code != "VALIDATION_ERROR" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
