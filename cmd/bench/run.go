package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// postgres is the server the bench database lives on.
type postgres struct {
	adminURL    string
	url         string // of the bench database
	private     bool
	privateRoot string
	version     string
}

// openPostgres opens the server and the bench database of this scale; a
// database without a complete dataset of this scale and hot size, built
// the current way, is dropped and made afresh.
func openPostgres(ctx context.Context, scale, hot int) (*postgres, error) {
	pg := &postgres{adminURL: os.Getenv("DATABASE_URL")}
	if pg.adminURL == "" {
		logf("DATABASE_URL is unset: starting a private PostgreSQL server (the dataset will not outlive this run)")
		pg.adminURL = pgtest.ServerDSN()
		if pg.adminURL == "" {
			return nil, errors.New("no PostgreSQL: install the server binaries (Debian: apt-get install postgresql) or set DATABASE_URL")
		}
		pg.private = true
	} else if !strings.HasPrefix(pg.adminURL, "postgres://") && !strings.HasPrefix(pg.adminURL, "postgresql://") {
		return nil, errors.New("DATABASE_URL must be a postgres:// URL")
	}
	conn, err := pgx.Connect(ctx, pg.adminURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&pg.version); err != nil {
		return nil, err
	}
	if pg.private {
		var dataDir string
		if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err == nil {
			root := filepath.Dir(dataDir)
			owner, err := os.ReadFile(filepath.Join(root, "owner.pid"))
			if err == nil && strings.TrimSpace(string(owner)) == strconv.Itoa(os.Getpid()) && strings.HasPrefix(filepath.Base(root), "pgtest-") {
				pg.privateRoot = root
			}
		}
	}
	name := fmt.Sprintf("auditgraph_bench_%d", scale)
	u, err := url.Parse(pg.adminURL)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawPath = "/"+name, ""
	pg.url = u.String()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, err
	}
	if exists && !datasetComplete(ctx, pg.url, scale, hot) {
		logf("dropping the incomplete bench database %s", name)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return nil, err
		}
		exists = false
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return pg, nil
}

// datasetComplete reports whether the database holds a dataset built to the
// end at this scale and hot size, the current way (datasetVersion).
func datasetComplete(ctx context.Context, dsn string, scale, hot int) bool {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM bench_dataset WHERE scale = $1 AND hot = $2 AND version = $3",
		scale, hot, datasetVersion).Scan(&n)
	return err == nil && n == 1
}

// close stops a private server and removes its files.
func (pg *postgres) close() {
	if !pg.private || pg.privateRoot == "" || !pgtest.Restartable() {
		return
	}
	pgtest.StopServer()
	os.RemoveAll(pg.privateRoot)
}

// GraphQL operations of the cases: every field of the entries, the
// FieldValue union included.
const (
	eventTypeHistoryQuery = `query EventTypeHistory($id: ID!, $first: Int, $after: String) {
  eventTypeHistory(eventTypeId: $id, first: $first, after: $after) {
    edges { cursor node {
      id action type timestamp source
      actor { type displayName displayEmail displayAvatar }
      impersonatedBy { displayName displayEmail displayAvatar }
      actionDisplayTitle
      displayFields { label fieldValue { __typename
        ... on RawValue { value }
        ... on RawValues { values }
        ... on ValueChange { previous next }
        ... on Diff { previous next } } }
      displayJson hasError } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`
	attributeHistoryQuery = `query AttributeHistory($org: ID!, $user: ID!) {
  attributeAssignmentHistory(orgId: $org, userId: $user, first: 25) {
    edges { cursor node {
      id timestamp source membershipId sourceContext hasError
      actor { type displayName displayEmail displayAvatar }
      changes { type attribute { id slug name type }
        previous { optionId optionSlug value weight }
        current { optionId optionSlug value weight } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`
	memberChangeLogsQuery = `query MemberChangeLogs($org: ID!, $user: ID!, $from: DateTime, $to: DateTime) {
  memberChangeLogs(organizationId: $org, userId: $user, first: 25,
      filter: { timestamp: { from: $from, to: $to }, action: UPDATED }) {
    totalCount
    edges { cursor node {
      id action timestamp resourceType resourceId resourceName
      actor { id publicId name email avatarUrl }
      changes { field oldValue newValue } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`
)

// fixture is what the cases are made of.
type fixture struct {
	apiKey       string
	orgPublicID  string
	userPublicID string
	etDeepID     string
	clDeepOffset int
	from, to     time.Time
}

func prepareFixture(ctx context.Context, d *db.DB, store *db.Store, depth int) (*fixture, error) {
	f := &fixture{clDeepOffset: depth}
	org, err := store.OrganizationByID(ctx, hotOrgID)
	if err != nil {
		return nil, err
	}
	user, err := store.UserByID(ctx, hotUserID)
	if err != nil {
		return nil, err
	}
	f.orgPublicID, f.userPublicID = org.PublicID, user.PublicID
	if err := d.NewRaw(`SELECT id::text FROM event_type_history WHERE event_type_id = ?
		ORDER BY created_at DESC, id DESC OFFSET ? LIMIT 1`, hotEventTypeID, depth).Scan(ctx, &f.etDeepID); err != nil {
		return nil, fmt.Errorf("the event type entry %d deep: %w", depth, err)
	}
	// A key of the Acme owner, marked used so the server does not write its
	// last-used time during the run.
	now := time.Now().UTC()
	secret := model.NewKeySecret()
	k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), Name: "bench", UserID: readerUserID,
		CreatedAt: now, LastUsedAt: &now}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return nil, err
	}
	f.apiKey = secret
	// The filtered change log read: a quarter year, three quarters of a year ago.
	f.from = now.Add(-span * 3 / 4).Truncate(time.Second)
	f.to = f.from.Add(90 * 24 * time.Hour)
	return f, nil
}

func gqlTarget(base, key, query string, vars map[string]any) vegeta.Target {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return vegeta.Target{Method: http.MethodPost, URL: base + "/graphql", Body: body, Header: http.Header{
		"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"},
	}}
}

// Names of the cases the targets refer to.
const (
	gqlETFirst  = "GraphQL eventTypeHistory, first page"
	gqlETDeep   = "GraphQL eventTypeHistory, deep page"
	restETFirst = "REST /v2 event type history, first page"
	restETDeep  = "REST /v2 event type history, deep page"
)

func httpCases(base string, fx *fixture) []*httpCase {
	etID := strconv.FormatInt(hotEventTypeID, 10)
	deepCursor := model.EncodeCursor(model.CursorEventTypeHistory, fx.etDeepID)
	auth := http.Header{"Authorization": {"Bearer " + fx.apiKey}}
	rest := func(method, path string, body []byte, extra http.Header) vegeta.Target {
		h := auth.Clone()
		for k, v := range extra {
			h[k] = v
		}
		return vegeta.Target{Method: method, URL: base + path, Body: body, Header: h}
	}
	v2 := http.Header{"Cal-Api-Version": {"2024-06-14"}}
	v1 := http.Header{"Content-Type": {"application/json"}}
	v1Path := "/v1/organizations/" + fx.orgPublicID + "/users/" + fx.userPublicID + "/change-logs"
	return []*httpCase{
		{name: gqlETFirst, group: "gql-et", graphql: true,
			target: gqlTarget(base, fx.apiKey, eventTypeHistoryQuery, map[string]any{"id": etID, "first": 25})},
		{name: gqlETDeep, group: "gql-et", deep: true, graphql: true,
			target: gqlTarget(base, fx.apiKey, eventTypeHistoryQuery, map[string]any{"id": etID, "first": 25, "after": deepCursor})},
		{name: restETFirst, group: "rest-et",
			target: rest(http.MethodGet, "/v2/event-types/"+etID+"/history?limit=25", nil, v2)},
		{name: restETDeep, group: "rest-et", deep: true,
			target: rest(http.MethodGet, "/v2/event-types/"+etID+"/history?limit=25&cursor="+fx.etDeepID, nil, v2)},
		{name: "GraphQL attributeAssignmentHistory, first page", graphql: true,
			target: gqlTarget(base, fx.apiKey, attributeHistoryQuery, map[string]any{
				"org": strconv.FormatInt(hotOrgID, 10), "user": strconv.FormatInt(hotUserID, 10)})},
		{name: "GraphQL memberChangeLogs, date range + action + totalCount", graphql: true,
			target: gqlTarget(base, fx.apiKey, memberChangeLogsQuery, map[string]any{
				"org": fx.orgPublicID, "user": fx.userPublicID,
				"from": fx.from.Format("2006-01-02T15:04:05.000Z"), "to": fx.to.Format("2006-01-02T15:04:05.000Z")})},
		{name: "REST /v1 change-logs, skip 0", group: "rest-v1",
			target: rest(http.MethodPost, v1Path, []byte(`{"skip":0,"take":25}`), v1)},
		{name: fmt.Sprintf("REST /v1 change-logs, skip %d", fx.clDeepOffset), group: "rest-v1", deep: true,
			target: rest(http.MethodPost, v1Path, []byte(fmt.Sprintf(`{"skip":%d,"take":25}`, fx.clDeepOffset)), v1)},
	}
}
