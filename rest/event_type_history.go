package rest

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/auditgraph/auditgraph/model"
)

// GET /v2/event-types/{eventTypeId}/history

// calAPIVersion is the version whose routes include event type history.
const calAPIVersion = "2024-06-14"

// The selection writes each node in the document's shape (field names and
// order, nulls, the fieldValue discriminator as type), so the nodes pass
// through to the response as GraphQL wrote them, without being decoded and
// encoded again.
const eventTypeHistoryQuery = `query RestEventTypeHistory($eventTypeId: ID!, $first: Int, $after: String) {
  eventTypeHistory(eventTypeId: $eventTypeId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id action type timestamp source
      actor { type displayName displayEmail displayAvatar }
      impersonatedBy { displayName displayEmail displayAvatar }
      actionDisplayTitle
      displayFields {
        label
        fieldValue {
          ... on RawValue { type: kind value }
          ... on RawValues { type: kind values }
          ... on ValueChange { type: kind previous next }
          ... on Diff { type: kind previous next }
        }
      }
      displayJson
      hasError
    }
  }
}`

var eventTypeHistoryParams = withParams(calPageParams, map[string]param{"eventTypeId": {name: "eventTypeId"}})

// EventTypeHistory answers an event type's change history.
func (a *API) EventTypeHistory(w http.ResponseWriter, r *http.Request) {
	// Without the version header the request belongs to the older API,
	// which has no such route; the method is routed the same way.
	if strings.TrimSpace(r.Header.Get("cal-api-version")) != calAPIVersion ||
		(r.Method != http.MethodGet && r.Method != http.MethodHead) {
		calRouteNotFound(w, r)
		return
	}
	id, err := calPathID(r, "eventTypeId")
	vars := map[string]any{"eventTypeId": strconv.FormatInt(id, 10)}
	if err == nil {
		err = calPage(r.URL.Query(), model.EventTypeHistoryKind, true, vars)
	}
	if err != nil {
		WriteCalError(w, r, err)
		return
	}
	page, err := a.runNodes(r.Context(), eventTypeHistoryQuery, vars, model.EventTypeHistoryKind.Name, eventTypeHistoryParams)
	if err != nil {
		WriteCalError(w, r, err)
		return
	}
	// The live service sends hasError only when it is true (an entry whose
	// stored payload cannot be read, this project's extension of the
	// document). hasError is each node's last field, and GraphQL writes
	// compact JSON in which a quote inside a string is escaped, so the exact
	// bytes below can only be that key.
	page.Nodes = dropFalseHasError(page.Nodes)
	writeCalPage(w, r, `{"status":"success","data":{"eventTypeId":`+strconv.FormatInt(id, 10)+`,"auditLogs":`,
		page, model.CursorEventTypeHistory)
}

var falseHasError = []byte(`,"hasError":false}`)

// dropFalseHasError removes `,"hasError":false` before each node's closing
// brace, in place: the nodes are this request's own bytes, and a page is
// tens of KB not worth copying.
func dropFalseHasError(b []byte) []byte {
	i := bytes.Index(b, falseHasError)
	if i < 0 {
		return b
	}
	w := i
	for i >= 0 {
		b[w] = '}'
		w++
		r := i + len(falseHasError)
		next := bytes.Index(b[r:], falseHasError)
		end := len(b)
		if next >= 0 {
			end = r + next
		}
		w += copy(b[w:], b[r:end])
		if next < 0 {
			break
		}
		i = end
	}
	return b[:w]
}
