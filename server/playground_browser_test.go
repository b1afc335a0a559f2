package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/server"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium (or another Chrome).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserProfileDir makes a profile directory for chromium. Chromium's
// helper processes may still be writing to it for a moment after the
// browser is gone, so it is removed with a few retries and a leftover is
// logged, not failed on (t.TempDir would fail the test for it).
func browserProfileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "auditgraph-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; ; i++ {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if i == 20 {
				t.Logf("leaving chromium profile %s: %v", dir, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// The playground served by the server works with the outside network
// blocked: its assets come from the binary. It runs the EventTypeHistory
// example and shows entries, then opens the Docs pane on the Query type.
func TestPlaygroundInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium binary found and CI is set: install Debian's chromium package")
		}
		t.Skip("\n********************************************************************\n" +
			"SKIPPING the playground browser test: no chromium binary on PATH.\n" +
			"Install it: apt-get install -y --no-install-recommends chromium\n" +
			"********************************************************************")
	}
	e := newEnv(t, func(c *server.Config) {
		c.PlaygroundAPIKey = "" // the key comes from ?key=, as a user would paste it
		c.PlaygroundVariables = map[string]map[string]any{"EventTypeHistory": {"eventTypeId": "2"}}
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(browserProfileDir(t)),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Everything but loopback (bypassed implicitly, so the test server
		// is reached) goes to a proxy that does not exist, and no other
		// name resolves.
		chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		// Events newer than the pinned protocol types do not concern the test.
		if !strings.HasPrefix(format, "could not unmarshal event") {
			t.Logf("chromedp: "+format, args...)
		}
	}))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	var result string
	page := e.ts.URL + "/?key=" + e.keys["owner"]
	err := chromedp.Run(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#pg-api-key`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("playground did not load: %v", err)
	}
	var keyValue string
	if err := chromedp.Run(ctx, chromedp.Value(`#pg-api-key`, &keyValue, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if keyValue != e.keys["owner"] {
		t.Fatalf("API key field holds %q, want the key from ?key=", keyValue)
	}
	// The first tab is EventTypeHistory; make sure it is the active one.
	var tabs []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(
		`Array.from(document.querySelectorAll('.graphiql-tab-button')).map(b => b.textContent)`, &tabs)); err != nil {
		t.Fatal(err)
	}
	if len(tabs) == 0 || !strings.Contains(tabs[0], "EventTypeHistory") {
		t.Fatalf("tabs %q, want EventTypeHistory first", tabs)
	}
	readResult := `(() => { const el = document.querySelector('.graphiql-response .CodeMirror');
		return el && el.CodeMirror ? el.CodeMirror.getValue() : ''; })()`
	err = chromedp.Run(ctx,
		chromedp.Click(`.graphiql-tab-button`, chromedp.ByQuery),
		chromedp.Click(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.Poll(readResult+`.includes('"edges"') || `+readResult+`.includes('"errors"')`, nil,
			chromedp.WithPollingInterval(100*time.Millisecond)),
		chromedp.Evaluate(readResult, &result),
	)
	if err != nil {
		t.Fatalf("running the query: %v", err)
	}
	if !strings.Contains(result, `"edges"`) || !strings.Contains(result, `"actionDisplayTitle"`) || strings.Contains(result, `"errors"`) {
		t.Fatalf("result pane does not show entries:\n%.2000s", result)
	}
	if !strings.Contains(result, `"totalCount": 150`) {
		t.Errorf("result is not event type 2's history:\n%.500s", result)
	}

	// The Docs pane: the playground's introspection query (graphql-js's,
	// nested 15 deep) is accepted, the schema is shown, and the Query type
	// opens with its fields.
	docs := `(() => { const el = document.querySelector('.graphiql-doc-explorer'); return el ? el.innerText : ''; })()`
	var docsText string
	err = chromedp.Run(ctx,
		chromedp.Click(`button[aria-label="Show Documentation Explorer"]`, chromedp.ByQuery),
		chromedp.Poll(docs+`.includes('query: Query') || `+docs+`.includes('Error fetching schema')`, nil,
			chromedp.WithPollingInterval(100*time.Millisecond)),
		chromedp.Evaluate(docs, &docsText),
	)
	if err != nil {
		t.Fatalf("opening the Docs pane: %v", err)
	}
	if !strings.Contains(docsText, "query: Query") || strings.Contains(docsText, "Error") {
		t.Fatalf("the Docs pane does not show the schema:\n%.1000s", docsText)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`//section[contains(@class,"graphiql-doc-explorer")]//a[contains(@class,"graphiql-doc-explorer-type-name")][text()="Query"]`, chromedp.BySearch),
		chromedp.Poll(docs+`.includes('eventTypeHistory')`, nil, chromedp.WithPollingInterval(100*time.Millisecond)),
		chromedp.Evaluate(docs, &docsText),
	)
	if err != nil {
		t.Fatalf("opening the Query type in Docs: %v", err)
	}
	if !strings.Contains(docsText, "memberChangeLogs") {
		t.Fatalf("the Query type's page in Docs:\n%.1000s", docsText)
	}

	// The live tab runs its subscription over the page's WebSocket
	// fetcher: an entry written afterwards appears in the result pane.
	setVariables := `(() => { const el = document.querySelector('.graphiql-editor-tool .CodeMirror');
		el.CodeMirror.setValue('{"eventTypeId": "2"}'); return true; })()`
	var ok bool
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.graphiql-tab-button')).find(b => b.textContent.includes('LiveEventTypeHistory')).click()`, nil),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(setVariables, &ok),
		chromedp.Click(`.graphiql-execute-button`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
	)
	if err != nil {
		t.Fatalf("starting the subscription: %v", err)
	}
	written := e.writeEntries(1)
	err = chromedp.Run(ctx,
		chromedp.Poll(readResult+`.includes('`+written[0]+`') || `+readResult+`.includes('"errors"')`, nil,
			chromedp.WithPollingInterval(100*time.Millisecond)),
		chromedp.Evaluate(readResult, &result),
	)
	if err != nil {
		t.Fatalf("waiting for the live entry: %v", err)
	}
	if !strings.Contains(result, written[0]) || strings.Contains(result, `"errors"`) {
		t.Fatalf("the live tab does not show the new entry %s:\n%.2000s", written[0], result)
	}

	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatal(err)
	}
	// The screenshot goes to the test's temporary directory; with
	// PLAYGROUND_SCREENSHOT set, also to that path (testdata/playground.png
	// in the repository was made that way).
	paths := []string{filepath.Join(t.TempDir(), "playground.png")}
	if p := os.Getenv("PLAYGROUND_SCREENSHOT"); p != "" {
		paths = append(paths, p)
	}
	for _, path := range paths {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", path, len(png))
	}
}
