package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

// beMain makes the test binary act as the auditgraph binary, so the serve
// tests run the real main in a real process and send it real signals.
const beMain = "AUDITGRAPH_TEST_BE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(beMain) == "1" {
		main()
		return
	}
	pgtest.SetTemplate(db.MigrateURL)
	os.Exit(pgtest.Main(m))
}

// cli runs a command in-process with the given environment.
func cli(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type process struct {
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	exited         chan struct{}
	err            error
}

// startServe starts `auditgraph serve` in dir, with only the given variables
// of the auditgraph configuration set.
func startServe(t *testing.T, dir string, vars map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DATABASE_URL" && !strings.HasPrefix(k, "AUDITGRAPH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, beMain+"=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitListening waits until the server accepts connections (its
// "listening" log line) and its banner has reached us. The banner is
// written before that line, in one write, but stdout and stderr are copied
// by separate goroutines, so either may arrive first.
func (p *process) waitListening(t *testing.T) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	ready := func() bool {
		errs := p.stderr.String()
		return (strings.Contains(errs, "msg=listening") || strings.Contains(errs, `"msg":"listening"`)) &&
			strings.Contains(p.stdout.String(), "auditgraph is running on")
	}
	for !ready() {
		select {
		case <-p.exited:
			t.Fatalf("serve exited early (%v)\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout, p.stderr)
		case <-deadline:
			t.Fatalf("serve not listening after 60s\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop signals the process and requires a clean exit.
func (p *process) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve still running 30s after %v\nstderr:\n%s", sig, p.stderr)
	}
	if p.err != nil {
		t.Fatalf("serve exited with %v after %v, want exit 0\nstderr:\n%s", p.err, sig, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no shutdown log line\nstderr:\n%s", p.stderr)
	}
}

var (
	graphqlLine = regexp.MustCompile(`(?m)^  GraphQL +(http://\S+)/graphql$`)
	keyLine     = regexp.MustCompile(`(?m)^  API key +(cal_[0-9a-f]{32})\b`)
	anyKey      = regexp.MustCompile(`cal_[0-9a-f]{32}`)
)

func (p *process) baseURL(t *testing.T) string {
	t.Helper()
	m := graphqlLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no GraphQL URL in the banner:\n%s", p.stdout)
	}
	return m[1]
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// checkDemoStart checks a start that seeded the demo: the banner carries a
// working owner key and a curl line using it, and the probes answer.
func checkDemoStart(t *testing.T, p *process, dbURL string) {
	t.Helper()
	out := p.stdout.String()
	m := keyLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no demo API key in the banner:\n%s", out)
	}
	key, base := m[1], p.baseURL(t)
	if !strings.Contains(out, "curl -s "+base+"/graphql -H 'Authorization: Bearer "+key+"'") {
		t.Errorf("no curl line with the key in the banner:\n%s", out)
	}
	for _, role := range seed.Roles {
		if role != "owner" && !regexp.MustCompile(`(?m)^  `+role+` +cal_[0-9a-f]{32}$`).MatchString(out) {
			t.Errorf("no %s key in the banner:\n%s", role, out)
		}
	}
	for _, path := range []string{"/readyz", "/healthz"} {
		if code := getStatus(t, base+path); code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}
	checkCurlLine(t, out, base, key)
	// Listening on loopback only, the playground has the owner key filled in.
	page := getBody(t, base+"/")
	if !strings.Contains(page, key) || !strings.Contains(out, "this machine only") {
		t.Errorf("loopback-only demo: the playground lacks the key, or the banner does not say why")
	}
	store := openTestStore(t, dbURL)
	k, err := store.APIKeyByHash(context.Background(), model.HashKey(key))
	if err != nil || k.UserID != seed.OwnerUserID || !k.Usable(time.Now()) {
		t.Errorf("the banner's key is not a usable key of the demo owner: %+v, %v", k, err)
	}
}

var curlData = regexp.MustCompile(`(?m)^  curl .* -d '(.*)'$`)

// checkCurlLine sends the banner's example query as its curl line would.
func checkCurlLine(t *testing.T, out, base, key string) {
	t.Helper()
	m := curlData.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl line in the banner:\n%s", out)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(m[1]))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			EventTypeHistory struct {
				Edges []struct {
					Node struct {
						ActionDisplayTitle string `json:"actionDisplayTitle"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"eventTypeHistory"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("the curl line's query: status %d, undecodable answer: %v", resp.StatusCode, err)
	}
	edges := body.Data.EventTypeHistory.Edges
	if resp.StatusCode != http.StatusOK || len(body.Errors) > 0 || len(edges) != 3 || edges[0].Node.ActionDisplayTitle == "" {
		t.Errorf("the curl line's query: status %d, errors %s, %d edges", resp.StatusCode, body.Errors, len(edges))
	}
}

func openTestStore(t *testing.T, url string) *db.Store {
	t.Helper()
	d, err := db.Open(url, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return db.NewStore(d)
}

func TestServeEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir, nil, "-addr", "127.0.0.1:0")
	p.waitListening(t)
	checkDemoStart(t, p, filepath.Join(dir, embeddedDatabase))
	if !strings.Contains(p.stdout.String(), "embedded SQLite file "+embeddedDatabase) {
		t.Errorf("banner does not name the embedded database:\n%s", p.stdout)
	}
	p.stop(t, syscall.SIGTERM)

	// A restart finds the demo in place: no seeding, no keys, a pointer to fresh ones.
	p = startServe(t, dir, nil, "-addr", "127.0.0.1:0")
	p.waitListening(t)
	out := p.stdout.String()
	if anyKey.MatchString(out) || !strings.Contains(out, "auditgraph seed --demo") {
		t.Errorf("restart banner should print no key and point at `auditgraph seed --demo`:\n%s", out)
	}
	if strings.Contains(p.stderr.String(), "seeded demo data") {
		t.Errorf("restart seeded again:\n%s", p.stderr)
	}
	if code := getStatus(t, p.baseURL(t)+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz after restart = %d", code)
	}
	p.stop(t, syscall.SIGINT)
}

func TestServePostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()

	// A database named by URL is never seeded unless asked.
	p := startServe(t, dir, map[string]string{"DATABASE_URL": dsn}, "-addr", "127.0.0.1:0")
	p.waitListening(t)
	if anyKey.MatchString(p.stdout.String()) {
		t.Errorf("serve printed a key without demo mode:\n%s", p.stdout)
	}
	if code := getStatus(t, p.baseURL(t)+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz = %d, want 200", code)
	}
	p.stop(t, syscall.SIGTERM)
	if _, err := openTestStore(t, dsn).OrganizationByID(context.Background(), seed.AcmeID); model.ErrorCode(err) != model.CodeNotFound {
		t.Fatalf("serve without demo mode wrote the demo (err %v)", err)
	}

	p = startServe(t, dir, map[string]string{"DATABASE_URL": dsn, "AUDITGRAPH_DEMO": "true", "AUDITGRAPH_LOG_FORMAT": "json"},
		"-addr", "127.0.0.1:0")
	p.waitListening(t)
	if !strings.Contains(p.stdout.String(), "auditgraph is running on postgres://") {
		t.Errorf("banner does not name the PostgreSQL database:\n%s", p.stdout)
	}
	checkDemoStart(t, p, dsn)
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON with AUDITGRAPH_LOG_FORMAT=json: %s", line)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.stderr)
	}
}

func TestServeConfig(t *testing.T) {
	cmd := serveCommand
	parse := func(vars map[string]string, args ...string) (*serveConfig, error) {
		var errOut bytes.Buffer
		return parseServeConfig(&env{stdout: io.Discard, stderr: &errOut, getenv: func(k string) string { return vars[k] }}, cmd, args)
	}
	c, err := parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:8080" || c.databaseURL != "" || !c.demo || c.shutdownGrace != 15*time.Second || c.logFormat != "text" ||
		c.server.MaxDepth != 12 || !c.server.Introspection || c.server.PageSizes != model.DefaultPageSizes() {
		t.Errorf("defaults: %+v", c)
	}
	vars := map[string]string{
		"AUDITGRAPH_ADDR": ":9000", "AUDITGRAPH_MAX_DEPTH": "7", "AUDITGRAPH_CORS_ORIGINS": "https://a.example, https://b.example",
		"AUDITGRAPH_INTROSPECTION": "false", "AUDITGRAPH_RATE_LIMIT": "2.5", "AUDITGRAPH_REQUEST_TIMEOUT": "3s",
		"DATABASE_URL": "postgres://x@localhost/db", "AUDITGRAPH_DB_MAX_CONNS": "5", "AUDITGRAPH_MAX_PAGE_SIZE": "30",
	}
	c, err = parse(vars, "-max-depth", "9", "-cors-origins", "*", "-page-size", "10")
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != ":9000" || c.server.MaxDepth != 9 || strings.Join(c.server.CORSOrigins, "|") != "*" || c.server.Introspection ||
		c.server.RateLimit != 2.5 || c.server.RequestTimeout != 3*time.Second || c.dbMaxConns != 5 || c.demo ||
		c.server.PageSizes != (model.PageSizes{Default: 10, Max: 30, MaxChangeLogs: 100}) {
		t.Errorf("env and flags: %+v", c)
	}
	if c, _ = parse(map[string]string{"AUDITGRAPH_CORS_ORIGINS": "https://a.example, https://b.example"}); strings.Join(c.server.CORSOrigins, "|") != "https://a.example|https://b.example" {
		t.Errorf("CORS list from env: %q", c.server.CORSOrigins)
	}
	// A flag overrides a broken variable.
	if _, err := parse(map[string]string{"AUDITGRAPH_MAX_DEPTH": "deep"}, "-max-depth", "3"); err != nil {
		t.Errorf("flag did not override the invalid variable: %v", err)
	}

	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{map[string]string{"AUDITGRAPH_MAX_DEPTH": "deep"}, nil, "AUDITGRAPH_MAX_DEPTH"},
		{map[string]string{"AUDITGRAPH_SHUTDOWN_GRACE": "soon"}, nil, "AUDITGRAPH_SHUTDOWN_GRACE"},
		{map[string]string{"AUDITGRAPH_LOG_FORMAT": "xml"}, nil, "text or json"},
		{map[string]string{"AUDITGRAPH_INTROSPECTION": "maybe"}, nil, "AUDITGRAPH_INTROSPECTION"},
		{nil, []string{"-max-body-bytes", "0"}, "max-body-bytes"},
		{nil, []string{"-rate-limit", "-1"}, "rate-limit"},
		{nil, []string{"-db-max-conns", "0"}, "db-max-conns"},
		{nil, []string{"-page-size", "60"}, "default page size 60 is larger than a maximum"},
		{map[string]string{"AUDITGRAPH_MAX_CHANGE_LOG_PAGE_SIZE": "20"}, []string{"-page-size", "30", "-max-page-size", "40"}, "max-change-log-page-size"},
		{nil, []string{"-max-page-size", "5000"}, "between 1 and 1000"},
		{nil, []string{"-page-size", "0"}, "between 1 and 1000"},
		{nil, []string{"-max-depth", "many"}, "max-depth"},
		{nil, []string{"-no-such-flag"}, "no-such-flag"},
		{nil, []string{"extra"}, "unexpected argument"},
	} {
		code, _, stderr := cli(t, tc.vars, append([]string{"serve"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("serve %v with %v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, tc.vars, code, stderr, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, _ := cli(t, nil, args...)
		if code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, c := range commands {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("%v: usage does not list %s:\n%s", args, c.name, out)
			}
		}
	}
	if code, _, stderr := cli(t, nil, "frobnicate"); code != exitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	for _, c := range commands {
		if code, _, _ := cli(t, nil, c.name, "-h"); code != exitOK {
			t.Errorf("%s -h: exit %d", c.name, code)
		}
	}
}

func TestMigrate(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "m.db")
	code, out, stderr := cli(t, nil, "migrate", "status", "-database-url", dbURL)
	if code != exitOK || !strings.Contains(out, "  pending") || strings.Contains(out, "  applied") {
		t.Errorf("status before: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = cli(t, nil, "migrate", "-database-url", dbURL)
	if code != exitOK || !strings.Contains(out, "applied 20") {
		t.Errorf("up: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = cli(t, map[string]string{"DATABASE_URL": dbURL}, "migrate", "up")
	if code != exitOK || !strings.Contains(out, "up to date") {
		t.Errorf("second up: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, nil, "migrate", "status", "-database-url", dbURL)
	if code != exitOK || strings.Contains(out, "  pending") || !regexp.MustCompile(`(?m)^[1-9][0-9]* applied, 0 pending$`).MatchString(out) ||
		strings.Count(out, "  applied") < 2 {
		t.Errorf("status after: exit %d\n%s", code, out)
	}
	if code, _, _ := cli(t, nil, "migrate", "sideways", "-database-url", dbURL); code != exitUsage {
		t.Errorf("unknown action: exit %d, want 2", code)
	}
}

func seedJSON(t *testing.T, dbURL string) *seed.Result {
	t.Helper()
	code, out, stderr := cli(t, nil, "seed", "--demo", "--json", "-database-url", dbURL)
	if code != exitOK {
		t.Fatalf("seed --demo --json: exit %d\n%s", code, stderr)
	}
	var res seed.Result
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("seed --demo --json printed no valid JSON: %v\n%s", err, out)
	}
	return &res
}

func TestSeedDemoJSON(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "seed.db")
	first := seedJSON(t, dbURL)
	if first.Organizations["acme"].ID != seed.AcmeID || first.Organizations["acme"].PublicID == "" ||
		first.Users["member"].ID != seed.MemberUserID || first.Users["member"].PublicID == "" ||
		first.EventTypes["team"] != seed.TeamEventTypeID || len(first.Users) < 5 {
		t.Errorf("ids missing from the JSON: %+v", first)
	}
	store := openTestStore(t, dbURL)
	for _, role := range seed.Roles {
		key := first.Keys[role]
		if !anyKey.MatchString(key) {
			t.Errorf("no key for role %s: %q", role, key)
			continue
		}
		if _, err := store.APIKeyByHash(context.Background(), model.HashKey(key)); err != nil {
			t.Errorf("%s key is not stored: %v", role, err)
		}
	}

	second := seedJSON(t, dbURL)
	for _, role := range seed.Roles {
		if first.Keys[role] == second.Keys[role] {
			t.Errorf("second run printed the same %s key", role)
		}
	}
	a, _ := json.Marshal([]any{first.Organizations, first.Users, first.EventTypes})
	b, _ := json.Marshal([]any{second.Organizations, second.Users, second.EventTypes})
	if !bytes.Equal(a, b) {
		t.Errorf("ids changed between runs:\n%s\n%s", a, b)
	}

	code, out, _ := cli(t, nil, "seed", "--demo", "-database-url", dbURL)
	if code != exitOK || len(anyKey.FindAllString(out, -1)) != len(seed.Roles) || !strings.Contains(out, "Acme Corp") {
		t.Errorf("human summary: exit %d\n%s", code, out)
	}
	if code, _, stderr := cli(t, nil, "seed", "-database-url", dbURL); code != exitUsage || !strings.Contains(stderr, "--demo") {
		t.Errorf("seed without --demo: exit %d, %q; want exit 2", code, stderr)
	}
}

func TestAPIKeyRoundTrip(t *testing.T) {
	dbURL := filepath.Join(t.TempDir(), "keys.db")
	seedJSON(t, dbURL)
	vars := map[string]string{"DATABASE_URL": dbURL}

	code, out, stderr := cli(t, vars, "apikey", "create", "--user", "3", "--org", "org_acme7f3k2q9x1b5m8n4v",
		"--scopes", "EVENT_TYPE_READ", "--expires", "720h", "--name", "dashboard")
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	secret := anyKey.FindString(out)
	idMatch := regexp.MustCompile(`Created API key (\d+)`).FindStringSubmatch(out)
	if secret == "" || idMatch == nil {
		t.Fatalf("create printed no secret or id:\n%s", out)
	}
	id := idMatch[1]
	k, err := openTestStore(t, dbURL).APIKeyByHash(context.Background(), model.HashKey(secret))
	if err != nil {
		t.Fatalf("created key not found by its hash: %v", err)
	}
	if k.UserID != seed.MemberUserID || k.OrganizationID == nil || *k.OrganizationID != seed.AcmeID ||
		!k.HasScope(model.ScopeEventTypeRead) || k.Name != "dashboard" || k.ExpiresAt == nil ||
		time.Until(*k.ExpiresAt) < 719*time.Hour || time.Until(*k.ExpiresAt) > 721*time.Hour {
		t.Errorf("stored key: %+v", k)
	}

	code, out, _ = cli(t, vars, "apikey", "list", "--user", "usr_demo0000000000000003")
	if code != exitOK || !strings.Contains(out, "dashboard") || !strings.Contains(out, k.Hint) {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, all, _ := cli(t, vars, "apikey", "list")
	if code != exitOK || !strings.Contains(all, "demo owner") {
		t.Errorf("list all: exit %d\n%s", code, all)
	}
	for _, listing := range []string{out, all} {
		if anyKey.MatchString(listing) || strings.Contains(listing, strings.TrimPrefix(secret, model.KeyPrefix)[4:]) ||
			strings.Contains(listing, k.Hash) {
			t.Errorf("list shows a secret or a hash:\n%s", listing)
		}
	}

	if code, out, stderr = cli(t, vars, "apikey", "revoke", id); code != exitOK {
		t.Fatalf("revoke: exit %d\n%s%s", code, out, stderr)
	}
	k, _ = openTestStore(t, dbURL).APIKeyByHash(context.Background(), model.HashKey(secret))
	if k.Usable(time.Now()) {
		t.Errorf("revoked key still usable: %+v", k)
	}
	_, out, _ = cli(t, vars, "apikey", "list", "--user", "3")
	row := strings.Fields(regexp.MustCompile(`(?m)^` + id + ` .*$`).FindString(out))
	if len(row) != 9 || row[2] != "dashboard" || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT`).MatchString(row[7]) {
		t.Errorf("list does not show the revocation in the REVOKED column: %q", row)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "--user", "999"}, exitError, "user 999 not found"},
		{[]string{"create", "--user", "usr_nobody"}, exitError, "user usr_nobody not found"},
		{[]string{"create", "--user", "3", "--org", "2"}, exitError, "not a member"},
		{[]string{"create", "--user", "3", "--org", "77"}, exitError, "organization 77 not found"},
		{[]string{"create"}, exitUsage, "--user is required"},
		{[]string{"create", "--user", "3", "--scopes", "EVERYTHING"}, exitUsage, "unknown scope"},
		{[]string{"create", "--user", "3", "--expires", "tomorrow"}, exitUsage, "--expires"},
		{[]string{"create", "--user", "3", "--expires", "2001-01-01T00:00:00Z"}, exitUsage, "not in the future"},
		{[]string{"revoke", "4242"}, exitError, "API key 4242 not found"},
		{[]string{"revoke", "abc"}, exitUsage, "not a key id"},
		{[]string{"revoke"}, exitUsage, "exactly one key id"},
		{[]string{"list", "--user", "999"}, exitError, "user 999 not found"},
		{[]string{"rotate"}, exitUsage, "unknown action"},
		{nil, exitUsage, "missing action"},
	} {
		code, _, stderr := cli(t, vars, append([]string{"apikey"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("apikey %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct{ bound, configured, want string }{
		{"[::]:8080", ":8080", "http://localhost:8080"},
		{"0.0.0.0:8080", "0.0.0.0:8080", "http://localhost:8080"},
		{"127.0.0.1:41234", "127.0.0.1:0", "http://127.0.0.1:41234"},
		{"[::1]:9000", "[::1]:9000", "http://[::1]:9000"},
	} {
		if got := baseURL(fakeAddr(tc.bound), tc.configured); got != tc.want {
			t.Errorf("baseURL(%s, %s) = %s, want %s", tc.bound, tc.configured, got, tc.want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServeEveryInterfaceEmbedsNoKey: a demo listening beyond this machine
// serves no key in its playground, and its banner says so.
func TestServeEveryInterfaceEmbedsNoKey(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir, nil, "-addr", ":0")
	p.waitListening(t)
	out := p.stdout.String()
	m := keyLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no demo key in the banner:\n%s", out)
	}
	if page := getBody(t, p.baseURL(t)+"/"); strings.Contains(page, m[1]) || !strings.Contains(out, "no key filled in") {
		t.Errorf("a demo on every interface embeds the owner key in its playground, or the banner does not say it does not")
	}
	p.stop(t, syscall.SIGTERM)
}

// TestServeAsRuntimeRole: serve warns when its role owns the history
// tables, and runs as the role `migrate grant-runtime` creates without the
// warning and without migrating.
func TestServeAsRuntimeRole(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	if code, stdout, stderr := cli(t, map[string]string{"DATABASE_URL": dsn}, "migrate", "grant-runtime", "auditgraph_cli_rt", "-role-password", "pw"); code != 0 ||
		!strings.Contains(stdout, "role auditgraph_cli_rt may now") {
		t.Fatalf("grant-runtime: exit %d\n%s\n%s", code, stdout, stderr)
	}
	p := startServe(t, dir, map[string]string{"DATABASE_URL": dsn}, "-addr", "127.0.0.1:0")
	p.waitListening(t)
	p.stop(t, syscall.SIGTERM)
	if !strings.Contains(p.stderr.String(), "grant-runtime") {
		t.Errorf("serve as the owner does not warn:\n%s", p.stderr)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("auditgraph_cli_rt", "pw")
	p = startServe(t, dir, map[string]string{"DATABASE_URL": u.String()}, "-addr", "127.0.0.1:0")
	p.waitListening(t)
	if code := getStatus(t, p.baseURL(t)+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz as the runtime role = %d", code)
	}
	p.stop(t, syscall.SIGTERM)
	if strings.Contains(p.stderr.String(), "grant-runtime") {
		t.Errorf("serve as the runtime role warns:\n%s", p.stderr)
	}
}
