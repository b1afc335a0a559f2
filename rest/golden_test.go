package rest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/server"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the responses seen")

// goldenCase is one request and the response it must get, kept in
// testdata/<endpoint>/<name>.golden.
type goldenCase struct {
	name   string
	req    request
	status int
	// cursorFrom is a request whose nextCursor is appended to req.path as the
	// cursor parameter; base64Cursor sends it in the documented base64 form.
	cursorFrom   *request
	base64Cursor bool
	// limited runs the request twice on a server allowing one request, so
	// the second is refused.
	limited bool
	check   func(t *testing.T, f *fixture, body []byte)
}

const (
	attributePath  = "/v2/organizations/1/attributes/assignments/3/history"
	eventTypePath  = "/v2/event-types/2/history"
	changeLogsPath = "/v1/organizations/" + acmePublicID + "/users/" + carolPublicID + "/change-logs"
	calVersion     = "2024-06-14"
)

func TestAttributeHistoryGolden(t *testing.T) { runGolden(t, "attribute-history", attributeCases()) }
func TestEventTypeHistoryGolden(t *testing.T) { runGolden(t, "event-type-history", eventTypeCases()) }
func TestChangeLogsGolden(t *testing.T)       { runGolden(t, "change-logs", changeLogsCases()) }

func runGolden(t *testing.T, endpoint string, cases []goldenCase) {
	f := newFixture(t, testConfig())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := runCase(t, f, c)
			if c.check != nil {
				c.check(t, f, resp.body)
			}
			compareGolden(t, filepath.Join("testdata", endpoint, c.name+".golden"), goldenText(resp))
		})
	}
}

// runCase sends the case's request and checks its status.
func runCase(t *testing.T, f *fixture, c goldenCase) response {
	t.Helper()
	rq := c.req
	if c.cursorFrom != nil {
		prev := f.do(t, *c.cursorFrom)
		cursor := nextCursor(t, prev.body)
		if cursor == "" {
			t.Fatalf("the first page has no nextCursor: %s", prev.body)
		}
		if c.base64Cursor {
			logs := auditLogs(t, prev.body)
			last := logs[len(logs)-1]
			raw, _ := json.Marshal(map[string]string{"createdAt": last.Timestamp, "id": last.ID})
			cursor = base64.RawStdEncoding.EncodeToString(raw)
		}
		sep := "?"
		if strings.Contains(rq.path, "?") {
			sep = "&"
		}
		rq.path += sep + "cursor=" + url.QueryEscape(cursor)
	}
	if c.limited {
		cfg := server.Defaults()
		cfg.RateLimit, cfg.RateBurst = 0.0001, 1
		f = newFixture(t, cfg)
		f.do(t, rq)
	}
	resp := f.do(t, rq)
	if resp.status != c.status {
		t.Fatalf("%s %s: status %d, want %d: %s", rq.method, rq.path, resp.status, c.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	return resp
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`("status":"error","timestamp":)"[^"]*"`), `$1"<timestamp>"`},
	{regexp.MustCompile(`"trace_id":"[^"]*","timestamp":"[^"]*"`), `"trace_id":"<trace_id>","timestamp":"<timestamp>"`},
	{regexp.MustCompile(`retry in \d+s`), `retry in <n>s`},
}

// goldenText is the response as kept in a golden file: status, the headers
// clients read (values that change with time replaced), and the body
// indented without reordering its keys.
func goldenText(r response) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP %d\n", r.status)
	for _, h := range []string{"Content-Type", "Allow", "Retry-After", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		v := r.header.Get(h)
		switch {
		case v == "":
			continue
		case h == "Retry-After" || h == "X-Ratelimit-Remaining" || h == "X-Ratelimit-Reset":
			v = "<n>"
		}
		fmt.Fprintf(&b, "%s: %s\n", h, v)
	}
	b.WriteString("\n")
	body := r.body
	for _, v := range volatile {
		body = v.re.ReplaceAll(body, []byte(v.with))
	}
	if err := json.Indent(&b, body, "", "  "); err != nil {
		b.Write(body)
	}
	b.WriteString("\n")
	return b.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rest -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("response differs from %s (go test ./rest -update rewrites it)\n--- got\n%s", path, got)
	}
}

// The parts of responses the checks read.

type logRef struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	HasError  bool   `json:"hasError"`
}

type calPage struct {
	Data struct {
		AuditLogs  []json.RawMessage `json:"auditLogs"`
		NextCursor *string           `json:"nextCursor"`
		HasMore    *bool             `json:"hasMore"`
	} `json:"data"`
	Pagination *struct {
		NextCursor *string `json:"nextCursor"`
		HasMore    bool    `json:"hasMore"`
	} `json:"pagination"`
}

func decodeCal(t *testing.T, body []byte) calPage {
	t.Helper()
	var p calPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return p
}

func auditLogs(t *testing.T, body []byte) []logRef {
	t.Helper()
	var out []logRef
	for _, raw := range decodeCal(t, body).Data.AuditLogs {
		var l logRef
		json.Unmarshal(raw, &l)
		out = append(out, l)
	}
	return out
}

// nextCursor and hasMore read either endpoint's pagination.
func nextCursor(t *testing.T, body []byte) string {
	p := decodeCal(t, body)
	c := p.Data.NextCursor
	if p.Pagination != nil {
		c = p.Pagination.NextCursor
	}
	if c == nil {
		return ""
	}
	return *c
}

func hasMore(t *testing.T, body []byte) bool {
	p := decodeCal(t, body)
	if p.Pagination != nil {
		return p.Pagination.HasMore
	}
	return p.Data.HasMore != nil && *p.Data.HasMore
}

func logCount(n int) func(t *testing.T, f *fixture, body []byte) {
	return func(t *testing.T, f *fixture, body []byte) {
		if got := len(auditLogs(t, body)); got != n {
			t.Errorf("%d audit logs, want %d", got, n)
		}
	}
}

type v1Log struct {
	ID           string `json:"id"`
	UserID       string `json:"user_id"`
	Action       string `json:"action"`
	Timestamp    string `json:"timestamp"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
}

type v1Page struct {
	Logs       []v1Log `json:"logs"`
	TotalCount int     `json:"total_count"`
	Skip       int     `json:"skip"`
	Take       int     `json:"take"`
}

func decodeV1(t *testing.T, body []byte) v1Page {
	t.Helper()
	var p v1Page
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return p
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func sameIDs(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("ids differ:\n got %d %v\nwant %d %v", len(got), got, len(want), want)
	}
}
