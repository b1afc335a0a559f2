package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

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
	exec  Executor
	sizes model.PageSizes
}

// New returns the REST endpoints running their operations on exec, whose
// GraphQL pages are bounded by sizes (the zero value: the defaults).
func New(exec Executor, sizes model.PageSizes) *API { return &API{exec: exec, sizes: sizes} }

// param is how an endpoint knows a GraphQL argument: by its own name, and
// with its document's wording of the argument's upper bound ("must not be
// greater than %d"; empty keeps GraphQL's rule).
type param struct {
	name     string
	tooLarge string
}

// withParams returns the union of two parameter maps.
func withParams(a, b map[string]param) map[string]param {
	out := make(map[string]param, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// run executes query and decodes its data into out. A GraphQL error becomes
// the *model.Error it was made from: the error of root (the field whose rules
// decide the answer) when there is one, else the first. fields renames
// GraphQL argument names to the endpoint's own parameter names.
func (a *API) run(ctx context.Context, query string, vars map[string]any, root string, params map[string]param, out any) *model.Error {
	resp := a.exec.Execute(ctx, query, vars)
	if resp == nil {
		return &model.Error{Code: model.CodeInternal, Message: "no response"}
	}
	if len(resp.Errors) > 0 {
		return fromGraphQL(pick(resp.Errors, root), params)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return &model.Error{Code: model.CodeInternal, Message: "unreadable response: " + err.Error()}
	}
	return nil
}

func pick(errs gqlerror.List, root string) *gqlerror.Error {
	for _, e := range errs {
		if len(e.Path) > 0 && e.Path[0] == ast.PathName(root) {
			return e
		}
	}
	return errs[0]
}

func fromGraphQL(e *gqlerror.Error, params map[string]param) *model.Error {
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
	if p, ok := params[field]; ok {
		// The operation runs in process, so the error is the resolver's own
		// *model.Error: a message made of the argument's name and a rule is
		// said again with the caller's name for it ("take must be …" for
		// GraphQL's "first must be …"), and a bound in the document's words.
		if de != nil && de.Rule != "" {
			rule := de.Rule
			if de.Max != 0 && p.tooLarge != "" {
				rule = fmt.Sprintf(p.tooLarge, de.Max)
			}
			msg = p.name + " " + rule
		}
		field = p.name
	}
	// The domain error the GraphQL error was made from, when it is one,
	// carries the reason /v1 tells callers (GraphQL shows only the code).
	return &model.Error{Code: code, Message: msg, Field: field, Reason: model.ErrorReason(e.Err)}
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
