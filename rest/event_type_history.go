package rest

import (
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
	writeCalPage(w, r, `{"status":"success","data":{"eventTypeId":`+strconv.FormatInt(id, 10)+`,"auditLogs":`,
		page, model.CursorEventTypeHistory)
}
