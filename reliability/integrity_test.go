package reliability

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

// TestIntegrityAbuse: hostile input to the integrity fields and endpoints is
// bounded before any work and answered with a coded error; nothing is
// written, and a page of proofs beyond the complexity budget is refused
// before a single proof is computed.
func TestIntegrityAbuse(t *testing.T) {
	e := sqliteEnv(t, testConfig(), nil)
	skey, _, err := integrity.GenerateKey("test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := integrity.NewSigner(skey)
	if _, err := e.store.SignCheckpoints(context.Background(), signer); err != nil {
		t.Fatal(err)
	}
	key := e.keys["owner"]
	before := countRows(t, e.store)
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"a 10 KB stream name", `query($s: String!) { integrityStream(stream: $s) { size } }`,
			map[string]any{"s": "org/" + strings.Repeat("1", 10_000)}, model.CodeInvalid},
		{"a stream id past int64", `query($s: String!) { integrityStream(stream: $s) { size } }`,
			map[string]any{"s": "org/99999999999999999999"}, model.CodeInvalid},
		{"a stream of another kind", `query($s: String!) { integrityStream(stream: $s) { size } }`,
			map[string]any{"s": "../org/1"}, model.CodeInvalid},
		{"a stream of another organization", `query($s: String!) { integrityStream(stream: $s) { size } }`,
			map[string]any{"s": "org/2"}, model.CodeForbidden},
		{"a consistency proof past the stream", `{ integrityStream(stream: "org/1") { consistencyProof(fromSize: 1, toSize: 2147483647) } }`,
			nil, model.CodeInvalid},
		{"a negative consistency size", `{ integrityStream(stream: "org/1") { consistencyProof(fromSize: -5) } }`,
			nil, model.CodeInvalid},
		{"a 10 KB entry id", `query($id: ID!) { entryIntegrity(history: MEMBER_CHANGE_LOG, id: $id) { stream } }`,
			map[string]any{"id": strings.Repeat("x", 10_000)}, model.CodeNotFound},
		{"an entry id that is no uuid", `{ entryIntegrity(history: ATTRIBUTE_ASSIGNMENT, id: "'; DROP TABLE log_leaves; --") { stream } }`,
			nil, model.CodeNotFound},
	}
	for _, c := range cases {
		r := mustPost(t, e, key, c.query, c.vars)
		if codes := r.codes(); len(codes) == 0 || codes[0] != c.want || r.Status >= 500 {
			t.Errorf("%s: status %d codes %v, want %s: %.300s", c.name, r.Status, codes, c.want, r.Raw)
		}
	}
	// A proof costs as much as a page of entries: one full page of proofs
	// fits the default budget, two in one operation do not, and are refused
	// before any proof is read.
	r := mustPost(t, e, key, `{ eventTypeHistory(eventTypeId: "2", first: 50) { nodes { integrity { inclusionProof } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Errorf("a page of 50 proofs: %.300s", r.Raw)
	}
	r = mustPost(t, e, key, `{ a: eventTypeHistory(eventTypeId: "2", first: 50) { nodes { integrity { inclusionProof } } }
		b: eventTypeHistory(eventTypeId: "2", first: 50, after: null) { nodes { integrity { leafHash } } } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(string(r.Raw)), "complexity") {
		t.Errorf("two pages of 50 proofs: %.300s", r.Raw)
	}
	for path, want := range map[string]int{
		"/integrity/streams/org/" + strings.Repeat("9", 500):                 http.StatusBadRequest,
		"/integrity/streams/org/1/consistency?from=99999999999999999":        http.StatusBadRequest,
		"/integrity/entries/member-change-logs/" + strings.Repeat("z", 2000): http.StatusNotFound,
	} {
		req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != want || !strings.Contains(body, `"status":"error"`) {
			t.Errorf("GET %.80s: %d %.200s, want %d", path, resp.StatusCode, body, want)
		}
	}
	after := countRows(t, e.store)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s went from %d to %d rows", table, n, after[table])
		}
	}
}

// TestIntegrityRuntimeRole: the server's runtime role appends to the log,
// signs checkpoints and verifies, and cannot change what the log holds.
func TestIntegrityRuntimeRole(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	store, _ := openSeeded(t, dsn, db.Options{})
	runtimeURL, err := db.GrantRuntimeRole(ctx, store.DB(), dsn, "auditgraph_rt_log", "rt-secret")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := db.Open(runtimeURL, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rs := db.NewStore(rt)
	if _, err := rs.AppendMemberChangeLogs(ctx, []model.MemberChangeLog{{ID: "rt-log-1", OrganizationID: seed.AcmeID,
		ActorUserID: seed.OwnerUserID, Action: "updated", Timestamp: time.Now(), ResourceType: "assistant", ResourceID: "asst_1", Changes: "[]"}}); err != nil {
		t.Fatalf("the runtime role appends: %v", err)
	}
	skey, vkey, _ := integrity.GenerateKey("rt")
	signer, _ := integrity.NewSigner(skey)
	v, _ := integrity.NewVerifier(vkey)
	if _, err := rs.SignCheckpoints(ctx, signer); err != nil {
		t.Fatalf("the runtime role signs: %v", err)
	}
	var findings int
	if _, _, err := rs.VerifyLog(ctx, v, func(r integrity.StreamResult) { findings += len(r.Findings) }); err != nil || findings != 0 {
		t.Fatalf("the runtime role verifies: %d findings, %v", findings, err)
	}
	for _, stmt := range []string{
		"UPDATE log_leaves SET leaf_hash = leaf_hash", "DELETE FROM log_leaves", "TRUNCATE log_leaves",
		"UPDATE log_checkpoints SET note = note", "DELETE FROM log_checkpoints",
		"UPDATE log_nodes SET hash = hash", "DELETE FROM log_nodes", "DELETE FROM log_streams",
		"UPDATE log_state SET value = 'pending'", "ALTER TABLE log_leaves DISABLE TRIGGER ALL",
	} {
		if _, err := rt.ExecContext(ctx, stmt); err == nil {
			t.Errorf("runtime role ran %q", stmt)
		}
	}
}
