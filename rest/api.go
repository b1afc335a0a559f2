package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Executor runs one GraphQL operation in process with the caller's context
// (credentials, request id). server.Server is one.
type Executor interface {
	Execute(ctx context.Context, query string, variables map[string]any) *graphql.Response
}

// API answers the REST endpoints. Its handlers expect the credentials and
// request id already in the request context; server wires them.
type API struct {
	exec Executor
}

// New returns the REST endpoints running their operations on exec.
func New(exec Executor) *API { return &API{exec: exec} }

// run executes query and decodes its data into out. A GraphQL error becomes
// the *model.Error it was made from: the error of root (the field whose rules
// decide the answer) when there is one, else the first. fields renames
// GraphQL argument names to the endpoint's own parameter names.
func (a *API) run(ctx context.Context, query string, vars map[string]any, root string, fields map[string]string, out any) *model.Error {
	resp := a.exec.Execute(ctx, query, vars)
	if resp == nil {
		return &model.Error{Code: model.CodeInternal, Message: "no response"}
	}
	if len(resp.Errors) > 0 {
		return fromGraphQL(pick(resp.Errors, root), fields)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return &model.Error{Code: model.CodeInternal, Message: "unreadable response: " + err.Error()}
	}
	return nil
}

// pageOfNodes is a connection as an endpoint selects it when its selection
// writes each node in its document's shape: pageInfo first, then nodes.
type pageOfNodes struct {
	PageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	}
	// Nodes is the JSON array of nodes as GraphQL wrote it.
	Nodes []byte
}

// runNodes executes query, whose data is {"<root>":{"pageInfo":{…},"nodes":[…]}},
// and returns the page with its nodes undecoded: only the few bytes before
// them are read, and the array (all but ~100 bytes of a page) is neither
// decoded nor scanned again. It relies on gqlgen writing compact JSON in
// selection order and on a selection that ends with nodes; data of another
// shape is refused where it shows (before the nodes, or in how they close),
// and the golden tests hold each selection to its document.
func (a *API) runNodes(ctx context.Context, query string, vars map[string]any, root string, fields map[string]string) (*pageOfNodes, *model.Error) {
	resp := a.exec.Execute(ctx, query, vars)
	if resp == nil {
		return nil, &model.Error{Code: model.CodeInternal, Message: "no response"}
	}
	if len(resp.Errors) > 0 {
		return nil, fromGraphQL(pick(resp.Errors, root), fields)
	}
	p := &pageOfNodes{}
	unexpected := func(what string) *model.Error {
		return &model.Error{Code: model.CodeInternal, Message: "unexpected GraphQL data for " + root + ": " + what}
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Data))
	for _, want := range []json.Token{json.Delim('{'), root, json.Delim('{'), "pageInfo"} {
		if tok, err := dec.Token(); err != nil || tok != want {
			return nil, unexpected(fmt.Sprintf("%v instead of %v", tok, want))
		}
	}
	if err := dec.Decode(&p.PageInfo); err != nil {
		return nil, unexpected("pageInfo: " + err.Error())
	}
	if tok, err := dec.Token(); err != nil || tok != "nodes" {
		return nil, unexpected(fmt.Sprintf("%v instead of nodes", tok))
	}
	rest := resp.Data[dec.InputOffset():]
	nodes, ok := bytes.CutPrefix(rest, []byte(":["))
	if ok {
		nodes, ok = bytes.CutSuffix(nodes, []byte("]}}"))
	}
	if !ok {
		return nil, unexpected("nodes are not the last field")
	}
	p.Nodes = rest[1 : len(nodes)+3]
	return p, nil
}

// calPagination is the pagination object of the /v2 event type document.
type calPagination struct {
	NextCursor *string `json:"nextCursor"`
	HasMore    bool    `json:"hasMore"`
}

// writeCalPage answers a /v2 page: head, the nodes, then the document's
// pagination, whose nextCursor is the last entry's id.
func writeCalPage(w http.ResponseWriter, r *http.Request, head string, page *pageOfNodes, cursorKind string) {
	pg := calPagination{HasMore: page.PageInfo.HasNextPage}
	if pg.HasMore && page.PageInfo.EndCursor != nil {
		id, err := model.DecodeCursor(cursorKind, "cursor", *page.PageInfo.EndCursor)
		if err != nil {
			WriteCalError(w, r, model.Errorf(model.CodeInternal, "end cursor: %v", err))
			return
		}
		pg.NextCursor = &id
	}
	tail, err := marshal(pg)
	if err != nil {
		WriteCalError(w, r, model.Errorf(model.CodeInternal, "pagination: %v", err))
		return
	}
	b := make([]byte, 0, len(head)+len(page.Nodes)+len(tail)+32)
	b = append(b, head...)
	b = append(b, page.Nodes...)
	b = append(b, `},"pagination":`...)
	b = append(b, tail...)
	writeBody(w, http.StatusOK, append(b, '}'))
}

func pick(errs gqlerror.List, root string) *gqlerror.Error {
	for _, e := range errs {
		if len(e.Path) > 0 && e.Path[0] == ast.PathName(root) {
			return e
		}
	}
	return errs[0]
}

func fromGraphQL(e *gqlerror.Error, fields map[string]string) *model.Error {
	// The documents tell a missing organization or event type (404) from
	// one the caller may not read (403), as the live services do; GraphQL
	// answers both as the latter and carries the former along.
	var de *model.Error
	if errors.As(e.Err, &de) && de.Missing != nil {
		m := *de.Missing
		m.Reason = de.Reason
		return &m
	}
	code, _ := e.Extensions["code"].(string)
	// Parse and validation errors of a fixed operation mean the shim and the
	// schema disagree: that is our fault, not the caller's.
	switch code {
	case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "":
		code = model.CodeInternal
	}
	field, _ := e.Extensions["field"].(string)
	msg := e.Message
	if f, ok := fields[field]; ok {
		// GraphQL's messages start with the argument they are about
		// ("first must be at most 50"); the caller knows it by its REST name.
		if rest, ok := strings.CutPrefix(msg, field+" "); ok && field != f {
			msg = f + " " + rest
		}
		field = f
	}
	// The domain error the GraphQL error was made from, when it is one,
	// carries the reason /v1 tells callers (GraphQL shows only the code).
	reason := model.ErrorReason(e.Err)
	return &model.Error{Code: code, Message: msg, Field: field, Reason: reason}
}

// marshal encodes v as the services do (JSON.stringify): no HTML escaping
// of <, > and &, and no trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		http.Error(w, `{"status":"error"}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, status, b)
}

// writeBody writes b, a JSON document, as the response.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// requestPath is the URL path with its query string, as both services quote it.
func requestPath(r *http.Request) string {
	return r.URL.RequestURI()
}
