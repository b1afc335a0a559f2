package resolvers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
	"github.com/auditgraph/auditgraph/graph"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
)

// TestFastPageMatchesGqlgen holds the fast event type page to gqlgen's own
// output, byte for byte: the same operations run on the schema with and
// without FastPages, twice each (the second from the node cache). It also
// checks which of them the fast path served, so that it cannot pass by
// never being used.
func TestFastPageMatchesGqlgen(t *testing.T) {
	d, err := db.Open(pgtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store := db.NewStore(d)
	newExec := func(fast bool) (*executor.Executor, graphql.ExecutableSchema) {
		res := &resolvers.Resolver{Store: store}
		cfg := graph.Config{Resolvers: res, Directives: res.Directives()}
		resolvers.SetComplexity(&cfg.Complexity, model.DefaultPageSizes())
		var schema graphql.ExecutableSchema = graph.NewExecutableSchema(cfg)
		if fast {
			schema = resolvers.FastPages(schema)
		}
		exec := executor.New(schema)
		exec.SetErrorPresenter(resolvers.ErrorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil))))
		return exec, schema
	}
	plain, _ := newExec(false)
	fast, fastSchema := newExec(true)
	ctx := context.Background()
	principal := func(userID int64) context.Context {
		u, err := store.UserByID(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		return model.WithPrincipal(ctx, &model.Principal{User: u, Key: &model.APIKey{UserID: userID}})
	}
	owner := principal(seed.OwnerUserID)
	run := func(exec *executor.Executor, ctx context.Context, query string, vars map[string]any) string {
		ctx = resolvers.WithLoaders(graphql.StartOperationTrace(ctx))
		now := graphql.Now()
		oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars,
			ReadTime: graphql.TraceTiming{Start: now, End: now}})
		var resp *graphql.Response
		if errs != nil {
			resp = exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		} else {
			h, ctx := exec.DispatchOperation(ctx, oc)
			resp = h(ctx)
		}
		// The data as written (json.Marshal would compact it), then the
		// errors.
		errList, err := json.Marshal(resp.Errors)
		if err != nil {
			t.Fatal(err)
		}
		return `{"data":` + string(resp.Data) + `,"errors":` + string(errList) + `}`
	}
	// A cursor in the middle of the team event type's history.
	var mid struct {
		Data struct {
			H struct {
				PageInfo struct{ EndCursor string }
			} `json:"eventTypeHistory"`
		}
	}
	if err := json.Unmarshal([]byte(run(plain, owner, `{ eventTypeHistory(eventTypeId: "2", first: 40) { pageInfo { endCursor } } }`, nil)), &mid); err != nil || mid.Data.H.PageInfo.EndCursor == "" {
		t.Fatalf("no cursor: %v", err)
	}
	cursor := mid.Data.H.PageInfo.EndCursor

	const everything = `id action type timestamp source
		actor { type displayName displayEmail displayAvatar }
		impersonatedBy { displayName displayEmail displayAvatar }
		actionDisplayTitle
		displayFields { label fieldValue { __typename
			... on RawValue { value } ... on RawValues { values }
			... on ValueChange { previous next } ... on Diff { previous next } } }
		displayJson hasError`
	cases := []struct {
		name  string
		ctx   context.Context
		query string
		vars  map[string]any
		fast  bool
	}{
		{"bench page", owner, pageQuery, map[string]any{"id": "2", "first": 25}, true},
		{"a page after a cursor", owner, `query($after: String) { eventTypeHistory(eventTypeId: "2", first: 50, after: $after) {
			edges { cursor node { ` + everything + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
			map[string]any{"after": cursor}, true},
		{"backward, nodes, aliases, typenames", owner, `query($before: String) { page: eventTypeHistory(eventTypeId: "2", last: 7, before: $before) {
			__typename info: pageInfo { __typename more: hasNextPage hasPreviousPage startCursor endCursor }
			nodes { __typename key: id when: timestamp actor { __typename type name: displayName } impersonatedBy { __typename displayName }
				displayFields { __typename label fieldValue { __typename ... on ValueChange { kind next } ... on RawValues { kind values } } } }
			edges { __typename cursor } } }`, map[string]any{"before": cursor}, true},
		{"fragments", owner, `query { eventTypeHistory(eventTypeId: "2", first: 30) { ...Conn } }
			fragment Conn on EventTypeHistoryConnection { edges { node { ...Entry id } } pageInfo { endCursor } }
			fragment Entry on EventTypeHistoryEntry { hasError displayJson displayFields { fieldValue { ...Values } label } }
			fragment Values on FieldValue { __typename ... on Diff { previous } ... on RawValue { kind value } }`, nil, true},
		{"personal event type, another owner", principal(seed.MemberUserID), pageQuery, map[string]any{"id": "1", "first": 50}, true},
		{"empty page", owner, `{ eventTypeHistory(eventTypeId: "5", first: 10) { edges { node { id } } nodes { id } pageInfo { hasNextPage startCursor } } }`, nil, true},
		{"with totalCount", owner, `{ eventTypeHistory(eventTypeId: "2", first: 3) { totalCount edges { node { id } } } }`, nil, false},
		{"with a directive", owner, `query($x: Boolean!) { eventTypeHistory(eventTypeId: "2", first: 3) { edges { node { id actor @include(if: $x) { type } } } } }`, map[string]any{"x": true}, false},
		{"beside another root field", owner, `{ __typename eventTypeHistory(eventTypeId: "2", first: 3) { edges { node { id } } } }`, nil, false},
		{"forbidden", principal(seed.OutsiderUserID), pageQuery, map[string]any{"id": "2", "first": 5}, true},
		{"unauthenticated", ctx, pageQuery, map[string]any{"id": "2", "first": 5}, true},
		{"no such event type", owner, pageQuery, map[string]any{"id": "999", "first": 5}, true},
		{"bad cursor", owner, `{ eventTypeHistory(eventTypeId: "2", first: 5, after: "nope") { edges { cursor } } }`, nil, true},
		{"too large a page", owner, pageQuery, map[string]any{"id": "2", "first": 5000}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := run(plain, c.ctx, c.query, c.vars)
			if !strings.Contains(want, `"data"`) {
				t.Fatalf("gqlgen's answer: %s", want)
			}
			for i := 0; i < 2; i++ {
				before := resolvers.FastServed(fastSchema)
				got := run(fast, c.ctx, c.query, c.vars)
				if got != want {
					t.Fatalf("run %d differs from gqlgen's:\n got %s\nwant %s", i+1, got, want)
				}
				served := resolvers.FastServed(fastSchema) > before
				wantServed := c.fast && strings.HasSuffix(want, `"errors":null}`)
				if served != wantServed {
					t.Errorf("run %d: served by the fast path: %v, want %v", i+1, served, wantServed)
				}
			}
		})
	}
}
