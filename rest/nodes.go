package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/auditgraph/auditgraph/model"
)

// A shortcut that leans on gqlgen's output: the event type history's nodes
// are written by GraphQL in the document's shape already, so runNodes cuts
// them out of the response bytes instead of decoding and encoding them again
// (most of a page's bytes). It relies on gqlgen writing compact JSON in
// selection order. The golden tests (TestEventTypeHistoryGolden) run it on
// gqlgen's real output and fail byte for byte if that changes; nodes_test.go
// holds it to refusing any other shape.

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
func (a *API) runNodes(ctx context.Context, query string, vars map[string]any, root string, params map[string]param) (*pageOfNodes, *model.Error) {
	resp := a.exec.Execute(ctx, query, vars)
	if resp == nil {
		return nil, &model.Error{Code: model.CodeInternal, Message: "no response"}
	}
	if len(resp.Errors) > 0 {
		return nil, fromGraphQL(pick(resp.Errors, root), params)
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
