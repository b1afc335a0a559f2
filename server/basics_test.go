package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/server"
)

func (e *env) get(path string, headers map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServerBasics(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.CORSOrigins = []string{"https://dash.example"} })

	t.Run("schema", func(t *testing.T) {
		resp, body := e.get("/schema.graphql", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "union FieldValue") || !strings.Contains(body, "eventTypeHistory(") {
			t.Fatalf("%d: %.200s", resp.StatusCode, body)
		}
	})
	t.Run("get-query", func(t *testing.T) {
		q := url.Values{"query": {`{ eventTypeHistory(eventTypeId: "2", first: 2) { totalCount edges { node { id } } } }`}}
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/graphql?"+q.Encode(), nil)
		req.Header.Set("X-API-Key", e.keys["owner"])
		r := e.do(req)
		if r.Status != 200 || len(r.Errors) > 0 || !strings.Contains(r.Body, `"totalCount":150`) {
			t.Fatalf("%d: %s", r.Status, r.Body)
		}
	})
	t.Run("introspection-on", func(t *testing.T) {
		r := e.post(nil, `{ __schema { queryType { name } } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(r.Body, `"Query"`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		if resp, body := e.get("/readyz", nil); resp.StatusCode != 200 || !strings.Contains(body, "ok") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("request-id", func(t *testing.T) {
		resp, _ := e.get("/healthz", nil)
		if resp.Header.Get("X-Request-Id") != "" {
			t.Logf("healthz has a request id")
		}
		resp, _ = e.get("/schema.graphql", nil)
		if id := resp.Header.Get("X-Request-Id"); len(id) < 8 {
			t.Errorf("no generated X-Request-Id: %q", id)
		}
		resp, _ = e.get("/schema.graphql", map[string]string{"X-Request-Id": "trace-abc-123"})
		if id := resp.Header.Get("X-Request-Id"); id != "trace-abc-123" {
			t.Errorf("caller's X-Request-Id not kept: %q", id)
		}
		resp, _ = e.get("/schema.graphql", map[string]string{"X-Request-Id": "bad id with spaces"})
		if id := resp.Header.Get("X-Request-Id"); id == "bad id with spaces" || id == "" {
			t.Errorf("insane X-Request-Id kept: %q", id)
		}
	})
	t.Run("cors", func(t *testing.T) {
		resp, _ := e.get("/schema.graphql", map[string]string{"Origin": "https://dash.example"})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://dash.example" {
			t.Errorf("allowed origin: Access-Control-Allow-Origin %q", got)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "X-RateLimit-Remaining-Default") || !strings.Contains(got, "X-RateLimit-Reset") {
			t.Errorf("the quota headers are not exposed: %q", got)
		}
		resp, _ = e.get("/schema.graphql", map[string]string{"Origin": "https://evil.example"})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("other origin: Access-Control-Allow-Origin %q", got)
		}
		req, _ := http.NewRequest(http.MethodOptions, e.ts.URL+"/graphql", nil)
		req.Header.Set("Origin", "https://dash.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		pre, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		pre.Body.Close()
		if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "https://dash.example" ||
			!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		e.query("owner", `{ eventTypeHistory(eventTypeId: "2", first: 1) { totalCount } }`, nil)
		e.query("member", `{ eventTypeHistory(eventTypeId: "2", first: 1) { totalCount } }`, nil)
		resp, body := e.get("/metrics", nil)
		if resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
		for _, want := range []string{"auditgraph_http_requests_total", "auditgraph_sql_statements_total",
			`auditgraph_errors_total{code="FORBIDDEN"}`, "auditgraph_graphql_operation_duration_seconds"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestIntrospectionOff(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Introspection = false })
	r := e.post(nil, `{ __schema { queryType { name } } }`, nil)
	if len(r.Errors) == 0 || r.code() == "" || strings.Contains(r.Body, `"Query"`) {
		t.Fatalf("introspection answered: %s", r.Body)
	}
	if r := e.query("owner", `{ eventTypeHistory(eventTypeId: "2", first: 1) { totalCount } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("queries broken without introspection: %s", r.Body)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.MaxDepth = 5
		c.MaxComplexity = 300
		c.MaxBodyBytes = 2048
	})
	const page = `{ eventTypeHistory(eventTypeId: "2", first: %s) { edges { node { id actionDisplayTitle actor { displayName } } } } }`
	t.Run("complexity-multiplies-by-page-size", func(t *testing.T) {
		if r := e.query("owner", strings.Replace(page, "%s", "5", 1), nil); len(r.Errors) > 0 {
			t.Fatalf("small page refused: %s", r.Body)
		}
		r := e.query("owner", strings.Replace(page, "%s", "50", 1), nil)
		if r.code() != "COMPLEXITY_LIMIT_EXCEEDED" || strings.Contains(r.Body, `"edges"`) {
			t.Fatalf("large page: %s", r.Body)
		}
	})
	t.Run("depth", func(t *testing.T) {
		r := e.query("owner", `{ eventType(id: "2") { team { organization { member(userId: "3") { user { memberships { id } } } } } } }`, nil)
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "deep") {
			t.Fatalf("deep query: %s", r.Body)
		}
	})
	t.Run("body", func(t *testing.T) {
		q := `{ viewer { id } }` + " #" + strings.Repeat("x", 4096)
		r := e.query("owner", q, nil)
		// gqlgen answers a body it could not read with a coded error (status 200).
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Body, "too large") || strings.Contains(r.Body, `"viewer"`) {
			t.Fatalf("oversized body accepted: %d %s", r.Status, r.Body)
		}
		if r := e.query("owner", `{ viewer { id } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("small body refused: %s", r.Body)
		}
	})
}

// A failure the caller cannot cause (the database gone) shows only as
// INTERNAL_SERVER_ERROR with the request id, never the cause.
func TestInternalErrorHidden(t *testing.T) {
	e := newEnv(t, nil)
	e.db.Close()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/graphql",
		strings.NewReader(`{"query":"{ eventTypeHistory(eventTypeId: \"2\") { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.keys["owner"])
	req.Header.Set("X-Request-Id", "req-internal-1")
	r := e.do(req)
	if r.code() != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("code %q: %s", r.code(), r.Body)
	}
	if contains(strings.ToLower(r.Body), "closed", "sql", "database") {
		t.Fatalf("internal details leak: %s", r.Body)
	}
	if !strings.Contains(r.Errors[0].Message, "req-internal-1") {
		t.Errorf("message does not name the request id: %s", r.Body)
	}
}
