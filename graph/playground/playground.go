// Package playground serves an offline GraphiQL page for the GraphQL API.
//
// Every asset (GraphiQL, React, ReactDOM, and the small bootstrap script) is
// embedded in the binary; the page makes no request to any other origin. The
// vendored files and their pinned versions and hashes are listed in
// assets/VERSIONS.md and can be refreshed with update-assets.sh.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// Defaults applied by Handler to empty Config fields.
const (
	DefaultEndpoint = "/graphql"
	DefaultTitle    = "AuditGraph GraphQL Playground"
)

// AssetsPrefix is the URL path under which the embedded assets are served.
const AssetsPrefix = "/playground/assets/"

// APIKeyStorageKey is the localStorage key under which the page keeps the
// API key typed by the user.
const APIKeyStorageKey = "auditgraph-playground:api-key"

// Config configures the playground page.
type Config struct {
	// Endpoint is the GraphQL endpoint the page POSTs to. Default "/graphql".
	// An absolute http(s) URL is allowed; its origin is then added to the
	// page's connect-src.
	Endpoint string
	// Title is shown in the browser tab and the page header.
	Title string
	// DefaultAPIKey prefills the API key field when the browser has no saved
	// key and the URL has no ?key= parameter. Empty means no prefill.
	DefaultAPIKey string
	// ExampleVariables holds the variables of the example tabs, keyed by
	// operation name ("EventTypeHistory", "AttributeHistory",
	// "MemberChangeLogs"). Values override the empty placeholders.
	ExampleVariables map[string]map[string]any
}

//go:embed index.html.tmpl
//go:embed assets/graphiql.min.js assets/graphiql.min.css
//go:embed assets/react.production.min.js assets/react-dom.production.min.js
//go:embed static/playground.js static/playground.css
var files embed.FS

var pageTemplate = template.Must(template.ParseFS(files, "index.html.tmpl"))

// asset is one embedded file served under AssetsPrefix.
type asset struct {
	name        string // file name, the last URL path element
	contentType string
	data        []byte
	sum         [sha256.Size]byte

	gzOnce sync.Once
	gz     []byte
}

func (a *asset) url() string {
	// The query string changes whenever the content does, which is what
	// makes the long-lived immutable caching safe.
	return AssetsPrefix + a.name + "?v=" + hex.EncodeToString(a.sum[:6])
}

func (a *asset) etag(suffix string) string {
	return `"` + hex.EncodeToString(a.sum[:16]) + suffix + `"`
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.data)
		zw.Close()
		a.gz = buf.Bytes()
	})
	return a.gz
}

var (
	assets     = map[string]*asset{}
	pageAssets struct {
		React, ReactDOM, GraphiQLJS, GraphiQLCSS, PlaygroundJS, PlaygroundCSS string
	}
)

func init() {
	for _, dir := range []string{"assets", "static"} {
		entries, err := fs.ReadDir(files, dir)
		if err != nil {
			panic(err)
		}
		for _, e := range entries {
			data, err := files.ReadFile(dir + "/" + e.Name())
			if err != nil {
				panic(err)
			}
			if _, dup := assets[e.Name()]; dup {
				panic("playground: duplicate asset name " + e.Name())
			}
			assets[e.Name()] = &asset{
				name:        e.Name(),
				contentType: contentType(e.Name()),
				data:        data,
				sum:         sha256.Sum256(data),
			}
		}
	}
	pageAssets.React = assets["react.production.min.js"].url()
	pageAssets.ReactDOM = assets["react-dom.production.min.js"].url()
	pageAssets.GraphiQLJS = assets["graphiql.min.js"].url()
	pageAssets.GraphiQLCSS = assets["graphiql.min.css"].url()
	pageAssets.PlaygroundJS = assets["playground.js"].url()
	pageAssets.PlaygroundCSS = assets["playground.css"].url()
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

// pageConfig is the JSON configuration read by static/playground.js.
type pageConfig struct {
	Endpoint         string `json:"endpoint"`
	DefaultAPIKey    string `json:"defaultApiKey"`
	APIKeyStorageKey string `json:"apiKeyStorageKey"`
	StorageNamespace string `json:"storageNamespace"`
	Tabs             []tab  `json:"tabs"`
}

type pageData struct {
	Title    string
	Endpoint string
	Assets   any
	Config   pageConfig
}

// Handler returns the playground: the page at "/" and the embedded assets
// under "/playground/assets/". Every other path answers 404, and methods
// other than GET and HEAD answer 405.
//
// It panics if cfg.ExampleVariables cannot be encoded as JSON.
func Handler(cfg Config) http.Handler {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.Title == "" {
		cfg.Title = DefaultTitle
	}
	tabs, err := exampleTabs(cfg.ExampleVariables)
	if err != nil {
		panic(err)
	}
	// GraphiQL keeps edited tabs in localStorage and then ignores
	// defaultTabs. Namespacing that storage by the examples means a changed
	// configuration (new demo ids, new queries) shows up instead of stale
	// tabs.
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", cfg.Endpoint)
	for _, t := range tabs {
		fmt.Fprintf(h, "%s\x00%s\x00", t.Query, t.Variables)
	}
	var page bytes.Buffer
	err = pageTemplate.Execute(&page, pageData{
		Title:    cfg.Title,
		Endpoint: cfg.Endpoint,
		Assets:   pageAssets,
		Config: pageConfig{
			Endpoint:         cfg.Endpoint,
			DefaultAPIKey:    cfg.DefaultAPIKey,
			APIKeyStorageKey: APIKeyStorageKey,
			StorageNamespace: "auditgraph-playground-" + hex.EncodeToString(h.Sum(nil)[:6]),
			Tabs:             tabs,
		},
	})
	if err != nil {
		panic(fmt.Errorf("playground: rendering page: %w", err))
	}
	pageBytes := page.Bytes()
	csp := contentSecurityPolicy(cfg.Endpoint)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", csp)
		// The page may carry DefaultAPIKey; keep it out of caches.
		hd.Set("Cache-Control", "no-store")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(pageBytes))
	})
	mux.HandleFunc("GET "+AssetsPrefix+"{name}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveAsset(w, r, a)
	})
	return mux
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Add("Vary", "Accept-Encoding")
	if r.Header.Get("Range") == "" && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		hd.Set("ETag", a.etag("-gz"))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.gzipped()))
		return
	}
	hd.Set("ETag", a.etag(""))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// contentSecurityPolicy allows scripts, styles and requests to this origin
// only. Fonts and the favicon come from data: URIs (GraphiQL's stylesheet
// inlines its fonts). No 'unsafe-inline' and no 'unsafe-eval'.
//
// GraphiQL does not need inline styles: React applies style props through
// the CSSOM, which CSP allows. The one thing blocked is the <style> element
// that react-remove-scroll (used by GraphiQL's dialogs) injects to lock page
// scrolling while a dialog is open. The page never scrolls, so nothing
// visible changes, but browsers log one CSP error each time a dialog
// (settings, shortcuts) opens.
func contentSecurityPolicy(endpoint string) string {
	connect := "'self'"
	if origin := endpointOrigin(endpoint); origin != "" {
		connect += " " + origin
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// endpointOrigin returns the origin of an absolute http(s) endpoint URL, or
// "" for same-origin paths and anything it cannot safely put in a header.
func endpointOrigin(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	if strings.ContainsAny(u.Host, " \t;,'\"\\") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
