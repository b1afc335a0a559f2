package rest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/auditgraph/auditgraph/model"
)

// GET /v2/event-types/{eventTypeId}/history

// calAPIVersion is the version whose routes include event type history.
const calAPIVersion = "2024-06-14"

const eventTypeHistoryQuery = `query RestEventTypeHistory($eventTypeId: ID!, $first: Int, $after: String) {
  eventTypeHistory(eventTypeId: $eventTypeId, first: $first, after: $after) {
    edges { node {
      id action type timestamp source
      actor { type displayName displayEmail displayAvatar }
      impersonatedBy { displayName displayEmail displayAvatar }
      actionDisplayTitle
      displayFields {
        label
        fieldValue {
          __typename
          ... on RawValue { value }
          ... on RawValues { values }
          ... on ValueChange { previous next }
          ... on Diff { previous next }
        }
      }
      displayJson
      hasError
    } }
    pageInfo { hasNextPage }
  }
}`

var eventTypeHistoryFields = map[string]string{
	"eventTypeId": "eventTypeId", "first": "limit", "after": "cursor", "cursor": "cursor",
}

// fieldValueTypes turns the union member's GraphQL name into the document's
// discriminator value.
var fieldValueTypes = map[string]string{
	"RawValue": "rawValue", "RawValues": "rawValues", "ValueChange": "valueChange", "Diff": "diff",
}

type eventTypeHistoryData struct {
	History struct {
		Edges []struct {
			Node eventTypeLog `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
	} `json:"eventTypeHistory"`
}

type eventTypeHistoryResponse struct {
	Status     string                  `json:"status"`
	Data       eventTypeHistoryPayload `json:"data"`
	Pagination calPagination           `json:"pagination"`
}

type eventTypeHistoryPayload struct {
	EventTypeID int64          `json:"eventTypeId"`
	AuditLogs   []eventTypeLog `json:"auditLogs"`
}

type calPagination struct {
	NextCursor *string `json:"nextCursor"`
	HasMore    bool    `json:"hasMore"`
}

type eventTypeLog struct {
	ID                 string          `json:"id"`
	Action             string          `json:"action"`
	Type               string          `json:"type"`
	Timestamp          string          `json:"timestamp"`
	Source             string          `json:"source"`
	Actor              actor           `json:"actor"`
	ImpersonatedBy     *impersonatedBy `json:"impersonatedBy"`
	ActionDisplayTitle string          `json:"actionDisplayTitle"`
	DisplayFields      []displayField  `json:"displayFields"`
	DisplayJSON        json.RawMessage `json:"displayJson"`
	HasError           bool            `json:"hasError"`
}

type impersonatedBy struct {
	DisplayName   string  `json:"displayName"`
	DisplayEmail  *string `json:"displayEmail"`
	DisplayAvatar *string `json:"displayAvatar"`
}

type displayField struct {
	Label      string     `json:"label"`
	FieldValue fieldValue `json:"fieldValue"`
}

// fieldValue is read as the GraphQL union (with __typename) and written as the
// document's discriminated object, each variant with only its own fields.
type fieldValue struct {
	Typename string   `json:"__typename"`
	Value    *string  `json:"value"`
	Values   []string `json:"values"`
	Previous *string  `json:"previous"`
	Next     *string  `json:"next"`
}

func (f fieldValue) MarshalJSON() ([]byte, error) {
	typ := fieldValueTypes[f.Typename]
	switch typ {
	case "rawValue":
		return marshal(struct {
			Type  string  `json:"type"`
			Value *string `json:"value"`
		}{typ, f.Value})
	case "rawValues":
		values := f.Values
		if values == nil {
			values = []string{}
		}
		return marshal(struct {
			Type   string   `json:"type"`
			Values []string `json:"values"`
		}{typ, values})
	default:
		return marshal(struct {
			Type     string  `json:"type"`
			Previous *string `json:"previous"`
			Next     *string `json:"next"`
		}{typ, f.Previous, f.Next})
	}
}

// EventTypeHistory answers an event type's change history.
func (a *API) EventTypeHistory(w http.ResponseWriter, r *http.Request) {
	// Without the version header the request belongs to the older API,
	// which has no such route; the method is routed the same way.
	if strings.TrimSpace(r.Header.Get("cal-api-version")) != calAPIVersion ||
		(r.Method != http.MethodGet && r.Method != http.MethodHead) {
		calRouteNotFound(w, r)
		return
	}
	q := r.URL.Query()
	var limit int
	var after *string
	id, err := calPathID(r, "eventTypeId")
	if err == nil {
		limit, err = calLimit(q)
	}
	if err == nil {
		after, err = calCursor(q, model.CursorEventTypeHistory, true)
	}
	if err != nil {
		WriteCalError(w, r, err)
		return
	}
	vars := map[string]any{"eventTypeId": strconv.FormatInt(id, 10), "first": limit}
	if after != nil {
		vars["after"] = *after
	}
	var data eventTypeHistoryData
	if err := a.run(r.Context(), eventTypeHistoryQuery, vars, "eventTypeHistory", eventTypeHistoryFields, &data); err != nil {
		WriteCalError(w, r, err)
		return
	}
	out := eventTypeHistoryResponse{Status: "success", Data: eventTypeHistoryPayload{EventTypeID: id, AuditLogs: []eventTypeLog{}}}
	for _, e := range data.History.Edges {
		out.Data.AuditLogs = append(out.Data.AuditLogs, e.Node)
	}
	out.Pagination.HasMore = data.History.PageInfo.HasNextPage
	if out.Pagination.HasMore && len(out.Data.AuditLogs) > 0 {
		out.Pagination.NextCursor = &out.Data.AuditLogs[len(out.Data.AuditLogs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
