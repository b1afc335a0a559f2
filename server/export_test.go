package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/internal/wire"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/server"
)

// exportReq is one GET /export/{history}.
func (e *env) exportReq(role, history string, params url.Values) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/export/"+history+"?"+params.Encode(), nil)
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

var exportCases = []struct {
	history string
	params  url.Values
	query   string
}{
	{"event-types", url.Values{"eventTypeId": {"2"}},
		`{ eventTypeHistory(eventTypeId: "2", first: 50) { edges { cursor node { id action type timestamp source actor { type displayName displayEmail } impersonatedBy { displayName } actionDisplayTitle displayFields { label fieldValue { __typename ... on ValueChange { previous next } ... on Diff { previous next } ... on RawValue { value } ... on RawValues { values } } } displayJson hasError } } } }`},
	{"attribute-assignments", url.Values{"orgId": {"1"}, "userId": {"3"}},
		`{ attributeAssignmentHistory(orgId: "1", userId: "3", first: 50) { edges { cursor node { id timestamp source actor { type displayName } membershipId sourceContext hasError changes { type attribute { id slug name type } previous { optionId value weight } current { optionId value weight } } } } } }`},
	{"member-change-logs", url.Values{"organizationId": {"1"}, "userId": {"3"}},
		`{ memberChangeLogs(organizationId: "1", userId: "3", first: 100) { edges { cursor node { id action timestamp resourceType resourceId resourceName actor { id name } changes { field oldValue newValue } } } } }`},
}

func TestExportImportRoundTripKeepsIdsAndRendering(t *testing.T) {
	src := newEnv(t, nil)
	var all bytes.Buffer
	exports := map[string]string{}
	for _, c := range exportCases {
		resp, body := src.exportReq("owner", c.history, c.params)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%s: %d %s: %s", c.history, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, ".ndjson") {
			t.Fatalf("%s: Content-Disposition %q", c.history, cd)
		}
		if n := strings.Count(body, "\n"); n < 3 {
			t.Fatalf("%s: only %d lines", c.history, n)
		}
		exports[c.history] = body
		all.WriteString(body)
	}

	// Another database with the same directory and no history.
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The histories refuse deletes: only a replica session (the test's
	// superuser) empties them.
	for _, q := range []string{"SET session_replication_role = replica",
		"DELETE FROM event_type_history", "DELETE FROM attribute_assignment_history", "DELETE FROM member_change_logs",
		// and their integrity log, which the import builds anew.
		"DELETE FROM log_checkpoints", "DELETE FROM log_nodes", "DELETE FROM log_leaves", "DELETE FROM log_streams",
		"SET session_replication_role = origin"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	store := db.NewStore(d)
	lines := strings.Count(all.String(), "\n")
	sum, err := ingest.Import(ctx, store, store, &all, ingest.ImportOptions{})
	if err != nil || sum.Rejected > 0 {
		t.Fatalf("import: %v %+v", err, sum)
	}
	if int(sum.TotalImported()) != lines {
		t.Fatalf("imported %d of %d lines", sum.TotalImported(), lines)
	}
	dst := &env{t: t, db: d, store: store, keys: map[string]string{}, keyIDs: map[string]int64{}}
	secret := model.NewKeySecret()
	if err := store.CreateAPIKey(ctx, &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "owner", UserID: 1}); err != nil {
		t.Fatal(err)
	}
	dst.keys["owner"] = secret
	cfg := server.Defaults()
	cfg.RateLimit = 0
	if dst.srv, err = wire.Server(cfg, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.srv.Close)
	dst.ts = newTestServer(t, dst.srv)

	for _, c := range exportCases {
		// The same entries, ids and stored data: the export again is identical.
		if _, body := dst.exportReq("owner", c.history, c.params); body != exports[c.history] {
			t.Fatalf("%s: the export of the imported history differs", c.history)
		}
		// The same rendering.
		a, b := src.query("owner", c.query, nil), dst.query("owner", c.query, nil)
		if len(a.Errors) > 0 || a.Body != b.Body {
			t.Fatalf("%s: rendering differs:\n%s\n%s", c.history, a.Body, b.Body)
		}
	}
}

func TestExportCSVResumeAndAccess(t *testing.T) {
	e := newEnv(t, nil)
	params := url.Values{"eventTypeId": {"2"}, "format": {"csv"}}
	resp, body := e.exportReq("owner", "event-types", params)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "cursor" || rows[0][1] != "id" || len(rows) < 5 {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	// Resuming after the third row gives the rest, exactly.
	params.Set("after", rows[3][0])
	_, rest := e.exportReq("owner", "event-types", params)
	restRows, err := csv.NewReader(strings.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(restRows) != len(rows)-3 || restRows[1][1] != rows[4][1] {
		t.Fatalf("resumed export: %d rows, want %d", len(restRows), len(rows)-3)
	}
	// The filter of the connection applies.
	_, created := e.exportReq("owner", "event-types", url.Values{"eventTypeId": {"2"}, "filter": {`{"actions":["EVENT_TYPE_CREATED"]}`}})
	for _, l := range strings.Split(strings.TrimSpace(created), "\n") {
		if !strings.Contains(l, `"action":"EVENT_TYPE_CREATED"`) {
			t.Fatalf("filtered export holds %s", l)
		}
	}

	for _, c := range []struct {
		role, history string
		params        url.Values
		status        int
		code          string
	}{
		{"", "event-types", url.Values{"eventTypeId": {"2"}}, 401, model.CodeUnauthenticated},
		{"outsider", "event-types", url.Values{"eventTypeId": {"2"}}, 403, model.CodeForbidden},
		{"member", "member-change-logs", url.Values{"organizationId": {"1"}, "userId": {"3"}}, 403, model.CodeForbidden},
		{"owner", "event-types", url.Values{"eventTypeId": {"2"}, "format": {"xml"}}, 400, model.CodeInvalid},
		{"owner", "event-types", url.Values{"eventTypeId": {"2"}, "after": {"bm9wZQ"}}, 400, model.CodeInvalid},
		{"owner", "event-types", url.Values{"eventTypeId": {"2"}, "filter": {"{"}}, 400, model.CodeInvalid},
		{"owner", "nothing", nil, 404, model.CodeNotFound},
		{"owner", "attribute-assignments", url.Values{"orgId": {"1"}}, 400, "GRAPHQL_VALIDATION_FAILED"},
	} {
		resp, body := e.exportReq(c.role, c.history, c.params)
		if resp.StatusCode != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) {
			t.Errorf("%s %s %v: %d %s", c.role, c.history, c.params, resp.StatusCode, body)
		}
	}
}

func newTestServer(t *testing.T, srv *server.Server) *httptest.Server {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}
