package rest_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/auditgraph/auditgraph/internal/wire"
)

type v1Error struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		System  string `json:"system_message"`
		Status  int    `json:"status"`
		TraceID string `json:"trace_id"`
	} `json:"error"`
}

func decodeV1Error(t *testing.T, body []byte) v1Error {
	t.Helper()
	var e v1Error
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return e
}

// The document's codes for an expired key and an organization the caller
// may not see; an unknown organization answers exactly as one the caller is
// not a member of.
func TestV1DocumentedCodes(t *testing.T) {
	f := newFixture(t, testConfig())
	for _, c := range []struct {
		name   string
		rq     request
		status int
		code   string
	}{
		{"expired", request{method: http.MethodPost, path: changeLogsPath, role: "expired", body: `{}`}, 401, "API_KEY_EXPIRED"},
		{"revoked", request{method: http.MethodPost, path: changeLogsPath, role: "revoked", body: `{}`}, 401, "INVALID_API_KEY"},
		{"unknown-key", request{method: http.MethodPost, path: changeLogsPath, role: "unknown", body: `{}`}, 401, "INVALID_API_KEY"},
		{"not-a-member", request{method: http.MethodPost, path: changeLogsPath, role: "outsider", body: `{}`}, 403, "ORGANIZATION_ACCESS_DENIED"},
		{"unknown-organization", request{method: http.MethodPost, path: "/v1/organizations/org_nowhere/users/" + carolPublicID + "/change-logs", role: "owner", body: `{}`}, 403, "ORGANIZATION_ACCESS_DENIED"},
		{"member-without-role", request{method: http.MethodPost, path: changeLogsPath, role: "member", body: `{}`}, 403, "INSUFFICIENT_PERMISSIONS"},
	} {
		r := f.do(t, c.rq)
		e := decodeV1Error(t, r.body)
		if r.status != c.status || e.Error.Code != c.code || e.Error.Status != c.status {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, e.Error.Code, c.status, c.code)
		}
	}
	outsider := decodeV1Error(t, f.do(t, request{method: http.MethodPost, path: changeLogsPath, role: "outsider", body: `{}`}).body)
	nowhere := decodeV1Error(t, f.do(t, request{method: http.MethodPost, path: "/v1/organizations/org_nowhere/users/" + carolPublicID + "/change-logs", role: "outsider", body: `{}`}).body)
	outsider.Error.TraceID, nowhere.Error.TraceID = "", ""
	if outsider != nowhere {
		t.Errorf("an unknown organization is told apart from a foreign one:\n%+v\n%+v", outsider, nowhere)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// trace_id is a UUID, and the server's log line of the request holds it
// beside the request id sent in X-Request-Id.
func TestV1TraceIDIsAUUIDLoggedWithTheRequestID(t *testing.T) {
	f := newFixture(t, testConfig())
	var mu sync.Mutex
	var logs bytes.Buffer
	srv, err := wire.Server(testConfig(), f.store, nil, slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &logs}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+changeLogsPath, strings.NewReader(`{"take":0}`))
	req.Header.Set("X-API-Key", f.keys["owner"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	ts.Close() // the log line is written before the server closes
	trace := decodeV1Error(t, body.Bytes()).Error.TraceID
	if !uuidPattern.MatchString(trace) {
		t.Fatalf("trace_id %q is not a UUID", trace)
	}
	requestID := resp.Header.Get("X-Request-Id")
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
			if rec["trace_id"] == trace && rec["request_id"] == requestID && requestID != "" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no request log line with trace_id %s and request_id %s:\n%s", trace, requestID, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
