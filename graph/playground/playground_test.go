package playground

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var operationNames = []string{"EventTypeHistory", "AttributeHistory", "MemberChangeLogs", "LiveEventTypeHistory"}

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func getPage(t *testing.T, cfg Config) (*httptest.ResponseRecorder, string) {
	t.Helper()
	rec := get(t, Handler(cfg), "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	return rec, rec.Body.String()
}

// vendoredFile is one row of the "Files" table in assets/VERSIONS.md.
type vendoredFile struct {
	name, pkg, version, pathInPackage string
	size                              int
	sha256                            string
}

func readVersions(t *testing.T) map[string]vendoredFile {
	t.Helper()
	f, err := os.Open("assets/VERSIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string]vendoredFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
			continue
		}
		if section != "Files" || !strings.HasPrefix(line, "| `") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`"))
		}
		if len(cells) != 6 {
			t.Fatalf("VERSIONS.md: malformed row %q", line)
		}
		size, err := strconv.Atoi(cells[4])
		if err != nil {
			t.Fatalf("VERSIONS.md: bad size in %q", line)
		}
		files[cells[0]] = vendoredFile{cells[0], cells[1], cells[2], cells[3], size, cells[5]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("VERSIONS.md: no files listed")
	}
	return files
}

var assetRefRe = regexp.MustCompile(`<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"`)

// pageAssetURLs returns the script and stylesheet URLs of the page.
func pageAssetURLs(t *testing.T, page string) []string {
	t.Helper()
	var urls []string
	for _, m := range assetRefRe.FindAllStringSubmatch(page, -1) {
		u := html.UnescapeString(m[1])
		if strings.HasPrefix(u, "data:") {
			continue // the empty favicon
		}
		urls = append(urls, u)
	}
	return urls
}

func TestPage(t *testing.T) {
	rec, page := getPage(t, Config{Endpoint: "/api/v2/graphql", Title: "Audit playground"})

	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	for _, want := range append([]string{"/api/v2/graphql", "<title>Audit playground</title>", `id="pg-api-key"`, "API key"}, operationNames...) {
		if !strings.Contains(page, want) {
			t.Errorf("page does not contain %q", want)
		}
	}

	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "font-src 'self' data:", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q contains %q", csp, bad)
		}
	}
}

func TestPageDefaults(t *testing.T) {
	_, page := getPage(t, Config{})
	for _, want := range []string{`"endpoint":"/graphql"`, "<title>" + DefaultTitle + "</title>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not contain %q", want)
		}
	}
}

// The page must not need an inline script: everything executable comes
// from script-src 'self'.
func TestPageHasNoInlineScript(t *testing.T) {
	_, page := getPage(t, Config{})
	re := regexp.MustCompile(`<script\b([^>]*)>`)
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		attrs := m[1]
		if strings.Contains(attrs, `src="`) || strings.Contains(attrs, `type="application/json"`) {
			continue
		}
		t.Errorf("inline script element: %s", m[0])
	}
	if strings.Contains(page, " style=") || strings.Contains(page, "<style") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Error("page has inline styles or event handler attributes")
	}
}

func TestPageReferencesNoExternalURL(t *testing.T) {
	_, page := getPage(t, Config{ExampleVariables: map[string]map[string]any{"EventTypeHistory": {"eventTypeId": "et_1"}}})
	urls := pageAssetURLs(t, page)
	if len(urls) < 4 {
		t.Fatalf("found only %d script/stylesheet URLs: %v", len(urls), urls)
	}
	for _, u := range urls {
		if strings.HasPrefix(u, "//") || strings.Contains(u, "://") || !strings.HasPrefix(u, AssetsPrefix) {
			t.Errorf("asset URL %q is not under %s on this origin", u, AssetsPrefix)
		}
	}
	for _, scheme := range []string{"http://", "https://"} {
		if strings.Contains(page, scheme) {
			t.Errorf("page mentions %q", scheme)
		}
	}
}

func TestAssetsMatchVersions(t *testing.T) {
	versions := readVersions(t)
	h := Handler(Config{})
	_, page := getPage(t, Config{})

	served := map[string]bool{}
	for _, ref := range pageAssetURLs(t, page) {
		name := path.Base(strings.SplitN(ref, "?", 2)[0])
		served[name] = true
		t.Run(name, func(t *testing.T) {
			rec := get(t, h, ref)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", ref, rec.Code)
			}
			wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(name)]
			if got := rec.Header().Get("Content-Type"); wantType == "" || got != wantType {
				t.Errorf("Content-Type = %q, want %q", got, wantType)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
				t.Errorf("Cache-Control = %q", cc)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if ce := rec.Header().Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding = %q without Accept-Encoding", ce)
			}
			body := rec.Body.Bytes()
			sum := sha256.Sum256(body)
			got := hex.EncodeToString(sum[:])

			if v, ok := versions[name]; ok {
				if got != v.sha256 || len(body) != v.size {
					t.Errorf("served %s: sha256 %s (%d bytes), VERSIONS.md says %s (%d bytes)", name, got, len(body), v.sha256, v.size)
				}
			} else {
				// Files of this package (static/) are not vendored.
				want, err := os.ReadFile("static/" + name)
				if err != nil {
					t.Fatalf("%s is neither in VERSIONS.md nor in static/: %v", name, err)
				}
				if !bytes.Equal(body, want) {
					t.Errorf("served %s differs from static/%s", name, name)
				}
			}
			// The version in the URL is derived from the content.
			if v := strings.SplitN(ref, "?v=", 2); len(v) != 2 || !strings.HasPrefix(got, v[1]) {
				t.Errorf("URL %s does not carry the content hash %s", ref, got[:12])
			}

			// Conditional requests.
			etag := rec.Header().Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			if rec := get(t, h, ref, "If-None-Match", etag); rec.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", rec.Code)
			}
		})
	}

	// Every vendored script and stylesheet is used by the page.
	for name := range versions {
		if ext := path.Ext(name); (ext == ".js" || ext == ".css") && !served[name] {
			t.Errorf("%s is listed in VERSIONS.md but not referenced by the page", name)
		}
	}
}

func TestAssetGzip(t *testing.T) {
	h := Handler(Config{})
	want, err := files.ReadFile("assets/graphiql.min.js")
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, h, AssetsPrefix+"graphiql.min.js", "Accept-Encoding", "br, gzip")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	if rec.Body.Len() >= len(want)/2 {
		t.Errorf("gzip body is %d bytes for %d bytes of input", rec.Body.Len(), len(want))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("gunzipped body differs from the embedded file")
	}

	if rec := get(t, h, AssetsPrefix+"graphiql.min.js", "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}
}

func TestUnknownPaths(t *testing.T) {
	h := Handler(Config{})
	for _, target := range []string{
		AssetsPrefix + "nope.js",
		AssetsPrefix + "VERSIONS.md",
		AssetsPrefix + "graphiql.min.js.map",
		AssetsPrefix + "LICENSE-react.txt",
		AssetsPrefix + "index.html.tmpl",
		AssetsPrefix + "graphiql.min.js/x",
		AssetsPrefix,
		"/playground/",
		"/favicon.ico",
		"/index.html",
	} {
		if rec := get(t, h, target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, rec.Code)
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler(Config{})
	for _, target := range []string{"/", AssetsPrefix + "playground.js"} {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader("{}"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %d, want 405", target, rec.Code)
		}

		req = httptest.NewRequest(http.MethodHead, target, nil)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s = %d with %d body bytes", target, rec.Code, rec.Body.Len())
		}
	}
}

var configRe = regexp.MustCompile(`(?s)<script type="application/json" id="pg-config">(.*?)</script>`)

func TestConfigEscaping(t *testing.T) {
	const evil = `</script><script>alert(1)</script><!--`
	cfg := Config{
		Endpoint:      "/graphql?x=" + evil,
		Title:         "T " + evil,
		DefaultAPIKey: "key " + evil,
		ExampleVariables: map[string]map[string]any{
			"AttributeHistory": {"orgId": "org " + evil, "extra": 3},
			"Unknown":          {"ignored": true},
		},
	}
	_, page := getPage(t, cfg)
	if strings.Contains(page, "<script>alert(1)") || strings.Contains(page, "<!--") {
		t.Fatal("configuration values are not escaped")
	}

	m := configRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no #pg-config block")
	}
	var got pageConfig
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatalf("#pg-config is not JSON: %v\n%s", err, m[1])
	}
	if got.Endpoint != cfg.Endpoint || got.DefaultAPIKey != cfg.DefaultAPIKey {
		t.Errorf("round trip: endpoint %q, key %q", got.Endpoint, got.DefaultAPIKey)
	}
	if got.APIKeyStorageKey != APIKeyStorageKey || got.StorageNamespace == "" {
		t.Errorf("storage keys: %q, %q", got.APIKeyStorageKey, got.StorageNamespace)
	}
	if len(got.Tabs) != len(operationNames) {
		t.Fatalf("%d tabs, want %d", len(got.Tabs), len(operationNames))
	}
	var vars map[string]any
	if err := json.Unmarshal([]byte(got.Tabs[1].Variables), &vars); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"orgId": "org " + evil, "userId": "", "extra": float64(3)}
	if len(vars) != len(want) {
		t.Errorf("AttributeHistory variables = %v, want %v", vars, want)
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("AttributeHistory variables[%q] = %v, want %v", k, vars[k], v)
		}
	}
}

func TestExampleTabs(t *testing.T) {
	cfg := Config{ExampleVariables: map[string]map[string]any{
		"EventTypeHistory": {"eventTypeId": "et_42"},
		"MemberChangeLogs": {"organizationId": "org_7", "userId": "usr_9"},
	}}
	_, page := getPage(t, cfg)
	var got pageConfig
	if err := json.Unmarshal([]byte(configRe.FindStringSubmatch(page)[1]), &got); err != nil {
		t.Fatal(err)
	}
	fields := []string{"eventTypeHistory(", "attributeAssignmentHistory(", "memberChangeLogs(", "eventTypeHistory("}
	wantVars := []map[string]any{
		{"eventTypeId": "et_42"},
		{"orgId": "", "userId": ""},
		{"organizationId": "org_7", "userId": "usr_9"},
		{"eventTypeId": "", "after": nil},
	}
	kinds := []string{"query ", "query ", "query ", "subscription "}
	for i, tab := range got.Tabs {
		if !strings.HasPrefix(tab.Query, kinds[i]+operationNames[i]+"(") || !strings.Contains(tab.Query, fields[i]) {
			t.Errorf("tab %d query starts %q", i, tab.Query[:40])
		}
		if strings.Count(tab.Query, "{") != strings.Count(tab.Query, "}") {
			t.Errorf("tab %d query has unbalanced braces", i)
		}
		var vars map[string]any
		if err := json.Unmarshal([]byte(tab.Variables), &vars); err != nil {
			t.Fatalf("tab %d variables: %v", i, err)
		}
		if len(vars) != len(wantVars[i]) {
			t.Errorf("tab %d variables = %v, want %v", i, vars, wantVars[i])
		}
		for k, v := range wantVars[i] {
			if vars[k] != v {
				t.Errorf("tab %d variables[%q] = %v, want %v", i, k, vars[k], v)
			}
		}
	}

	// Changing the examples changes GraphiQL's storage namespace, so saved
	// tabs from an older configuration do not hide the new ones.
	_, other := getPage(t, Config{})
	var otherCfg pageConfig
	if err := json.Unmarshal([]byte(configRe.FindStringSubmatch(other)[1]), &otherCfg); err != nil {
		t.Fatal(err)
	}
	if otherCfg.StorageNamespace == got.StorageNamespace {
		t.Error("storage namespace does not depend on the examples")
	}
}

func TestHandlerPanicsOnUnencodableVariables(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Handler(Config{ExampleVariables: map[string]map[string]any{"EventTypeHistory": {"x": make(chan int)}}})
}

func TestContentSecurityPolicyEndpointOrigin(t *testing.T) {
	for endpoint, want := range map[string]string{
		"/graphql":                           "connect-src 'self';",
		"https://api.example.com:8443/gql":   "connect-src 'self' https://api.example.com:8443;",
		"http://localhost:8080/graphql":      "connect-src 'self' http://localhost:8080;",
		"javascript:alert(1)":                "connect-src 'self';",
		"https://a.example.com;script-src *": "connect-src 'self';",
	} {
		if got := contentSecurityPolicy(endpoint); !strings.Contains(got, want) {
			t.Errorf("endpoint %q: CSP %q lacks %q", endpoint, got, want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                    false,
		"gzip":                true,
		"GZIP":                true,
		"deflate, gzip;q=1.0": true,
		"br":                  false,
		"gzip;q=0":            false,
		"gzip; q=0.000":       false,
		"gzip;q=0.5":          true,
		"x-gzip":              false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
