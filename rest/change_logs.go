package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// POST /v1/organizations/{organization_id}/users/{user_id}/change-logs

// v1DefaultTake is the /v1 document's page size when take is absent. The
// largest page is GraphQL's (model.Limits); the document's 100 is the
// change logs' default Max.
const v1DefaultTake = 50

// The aliases spell the document's names, so a node decodes into the
// document's log as it is written; only the actor is nested in GraphQL.
const changeLogsQuery = `query RestMemberChangeLogs($organizationId: ID!, $userId: ID!, $first: Int, $offset: Int, $filter: MemberChangeLogFilter) {
  memberChangeLogs(organizationId: $organizationId, userId: $userId, first: $first, offset: $offset, filter: $filter) {
    total_count: totalCount
    nodes {
      id
      actor { user_id: publicId user_name: name user_email: email }
      action timestamp resource_type: resourceType resource_id: resourceId resource_name: resourceName
      changes { field old_value: oldValue new_value: newValue }
    }
  }
}`

// changeLogsParams names the GraphQL arguments as the /v1 document does.
var changeLogsParams = map[string]param{
	"organizationId": {name: "organization_id"}, "userId": {name: "user_id"},
	"first": {name: "take", tooLarge: "must be between 1 and %d"}, "offset": {name: "skip"},
	"filter.timestamp.from": {name: "start_date"}, "filter.timestamp.to": {name: "end_date"},
	"filter.action": {name: "action"}, "filter.resourceType": {name: "resource_type"},
}

// The /v1 document cannot be GraphQL's nodes passed through, so a log is
// decoded and written again: the document's log is flat where GraphQL's
// actor is a User, and its action and resource_type are the lowercase
// strings of GraphQL's enums (the live service's wording). Writing the
// strings again also escapes them as encoding/json does (U+2028, \b), where
// nodes passed through keep gqlgen's escapes.

type changeLogsResponse struct {
	Logs       []changeLog `json:"logs"`
	TotalCount int         `json:"total_count"`
	Skip       int         `json:"skip"`
	Take       int         `json:"take"`
}

// changeLog is a log as the document writes it, its fields in the
// document's order.
type changeLog struct {
	ID string `json:"id"`
	changeLogActor
	Action       string  `json:"action"`
	Timestamp    string  `json:"timestamp"`
	ResourceType string  `json:"resource_type"`
	ResourceID   string  `json:"resource_id"`
	ResourceName *string `json:"resource_name"`
	// The stored form of a change is the document's.
	Changes []display.MemberChange `json:"changes"`
}

// changeLogActor is the document's flattening of GraphQL's actor.
type changeLogActor struct {
	UserID    string  `json:"user_id"`
	UserName  *string `json:"user_name"`
	UserEmail *string `json:"user_email"`
}

// changeLogsData is the data of changeLogsQuery: each node is a changeLog
// but for its actor, nested.
type changeLogsData struct {
	Logs struct {
		TotalCount int `json:"total_count"`
		Nodes      []struct {
			changeLog
			Actor changeLogActor `json:"actor"`
		} `json:"nodes"`
	} `json:"memberChangeLogs"`
}

// changeLogsRequest is the validated body.
type changeLogsRequest struct {
	skip, take   int
	start, end   string
	resourceType string
	action       string
	// inputs keeps each parameter as sent, to show it back in an error.
	inputs         map[string]any
	organizationID string
	userID         string
}

// MemberChangeLogs answers the change logs related to a member.
func (a *API) MemberChangeLogs(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteV1Error(w, r, &model.Error{Code: codeMethodNotAllowed, Message: "Method Not Allowed"})
		return
	}
	req, err := readChangeLogsRequest(r, a.sizes.For(model.MemberChangeLogsKind).Max)
	if err != nil {
		WriteV1Error(w, r, err)
		return
	}
	vars := map[string]any{
		"organizationId": req.organizationID, "userId": req.userID, "first": req.take, "offset": req.skip,
	}
	filter := map[string]any{}
	if req.start != "" || req.end != "" {
		ts := map[string]any{}
		if req.start != "" {
			ts["from"] = req.start
		}
		if req.end != "" {
			ts["to"] = req.end
		}
		filter["timestamp"] = ts
	}
	if req.action != "" {
		filter["action"] = strings.ToUpper(req.action)
	}
	if req.resourceType != "" {
		filter["resourceType"] = strings.ToUpper(req.resourceType)
	}
	if len(filter) > 0 {
		vars["filter"] = filter
	}
	var data changeLogsData
	if err := a.run(r.Context(), changeLogsQuery, vars, model.MemberChangeLogsKind.Name, changeLogsParams, &data); err != nil {
		if err.Value == nil {
			err.Value = req.inputs[err.Field]
		}
		WriteV1Error(w, r, err)
		return
	}
	out := changeLogsResponse{Logs: make([]changeLog, len(data.Logs.Nodes)), TotalCount: data.Logs.TotalCount, Skip: req.skip, Take: req.take}
	for i, n := range data.Logs.Nodes {
		l := n.changeLog
		l.changeLogActor = n.Actor
		l.Action, l.ResourceType = strings.ToLower(l.Action), strings.ToLower(l.ResourceType)
		out.Logs[i] = l
	}
	writeJSON(w, http.StatusOK, out)
}

// readChangeLogsRequest reads the path and the body. An absent or empty body
// is all defaults; anything but a JSON object is refused. Unknown keys are
// ignored and null stands for absent, as the service's own validation does.
// maxTake only words the message of a take below 1: GraphQL refuses a take
// above it, with the same message (see changeLogsParams).
func readChangeLogsRequest(r *http.Request, maxTake int) (*changeLogsRequest, *model.Error) {
	req := &changeLogsRequest{take: v1DefaultTake, inputs: map[string]any{},
		organizationID: r.PathValue("organization_id"), userID: r.PathValue("user_id")}
	req.inputs["organization_id"], req.inputs["user_id"] = req.organizationID, req.userID
	// The contract's ids are the prefixed public ids; GraphQL's numeric and
	// global forms are not part of it.
	if !strings.HasPrefix(req.organizationID, "org_") {
		return nil, model.InvalidField("organization_id", req.organizationID, "organization_id must be an organization id (org_…)")
	}
	if !strings.HasPrefix(req.userID, "usr_") {
		return nil, model.InvalidField("user_id", req.userID, "user_id must be a user id (usr_…)")
	}
	body, verr := readV1Body(r, req.inputs)
	if verr != nil {
		return nil, verr
	}
	if req.skip, verr = body.integer("skip", 0, 0, 0); verr != nil {
		return nil, verr
	}
	if req.take, verr = body.integer("take", v1DefaultTake, 1, maxTake); verr != nil {
		return nil, verr
	}
	if req.start, verr = body.date("start_date", false); verr != nil {
		return nil, verr
	}
	if req.end, verr = body.date("end_date", true); verr != nil {
		return nil, verr
	}
	if req.resourceType, verr = body.oneOf("resource_type", model.ChangeLogResourceTypes); verr != nil {
		return nil, verr
	}
	if req.action, verr = body.oneOf("action", model.ChangeLogActions); verr != nil {
		return nil, verr
	}
	return req, nil
}

// v1Body is a /v1 JSON body, read parameter by parameter; each parameter
// read is kept in inputs as sent, to show it back in an error.
type v1Body struct {
	fields map[string]json.RawMessage
	inputs map[string]any
}

// readV1Body reads the request body: empty, or one JSON object.
func readV1Body(r *http.Request, inputs map[string]any) (*v1Body, *model.Error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, model.InvalidField("body", nil, "request body must not exceed %d bytes", tooBig.Limit)
		}
		return nil, model.InvalidField("body", nil, "request body could not be read")
	}
	b := &v1Body{fields: map[string]json.RawMessage{}, inputs: inputs}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&b.fields); err != nil || b.fields == nil || dec.More() {
			return nil, model.InvalidField("body", nil, "request body must be a JSON object")
		}
	}
	return b, nil
}

// get returns parameter name, numbers as json.Number; null is absent.
func (b *v1Body) get(name string) (any, bool) {
	raw, ok := b.fields[name]
	if !ok {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	dec.Decode(&v) // raw is one value the object decode already checked
	if v == nil {
		return nil, false
	}
	b.inputs[name] = v
	return v, true
}

// integer reads a whole number of at least min (def when absent); max (0:
// none) is only named in the message, GraphQL enforces it.
func (b *v1Body) integer(name string, def, min, max int) (int, *model.Error) {
	v, ok := b.get(name)
	if !ok {
		return def, nil
	}
	n, isInt := asInt(v)
	if !isInt {
		return 0, model.InvalidField(name, v, "%s must be an integer", name)
	}
	if n < min {
		if max == 0 {
			return 0, model.InvalidField(name, v, "%s must be %d or more", name, min)
		}
		return 0, model.InvalidField(name, v, "%s must be between %d and %d", name, min, max)
	}
	return n, nil
}

// date reads an ISO 8601 date-time or date as a range's lower or upper
// bound (see gqlmodel.ParseDateBound), "" when absent.
func (b *v1Body) date(name string, upper bool) (string, *model.Error) {
	v, ok := b.get(name)
	if !ok {
		return "", nil
	}
	s, isString := v.(string)
	if !isString {
		return "", model.InvalidField(name, v, "%s must be an ISO 8601 date-time", name)
	}
	t, err := gqlmodel.ParseDateBound(s, upper)
	if err != nil {
		return "", model.InvalidField(name, v, "%s must be an ISO 8601 date-time", name)
	}
	// Nanoseconds: the last instant of a day must reach GraphQL whole.
	return t.Format(time.RFC3339Nano), nil
}

// oneOf reads a string among allowed, "" when absent.
func (b *v1Body) oneOf(name string, allowed []string) (string, *model.Error) {
	v, ok := b.get(name)
	if !ok {
		return "", nil
	}
	s, isString := v.(string)
	if !isString || !slices.Contains(allowed, s) {
		return "", model.InvalidField(name, v, "%s must be one of: %s", name, strings.Join(allowed, ", "))
	}
	return s, nil
}

// asInt accepts a JSON number with an integral value (5 and 5.0, not 5.5).
func asInt(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil && i >= math.MinInt32 && i <= math.MaxInt32 {
		return int(i), true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}
