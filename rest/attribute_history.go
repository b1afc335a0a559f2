package rest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// GET /v2/organizations/{orgId}/attributes/assignments/{userId}/history
//
// The member's ids come from a second root field of the same operation, so
// an empty history still answers them; access is decided by the history
// field, whose error wins.
const attributeHistoryQuery = `query RestAttributeAssignmentHistory($orgId: ID!, $userId: ID!, $first: Int, $after: String) {
  organization(id: $orgId) { member(userId: $userId) { membershipId user { databaseId } } }
  attributeAssignmentHistory(orgId: $orgId, userId: $userId, first: $first, after: $after) {
    nodes {
      id timestamp source
      actor { type displayName displayEmail displayAvatar }
      sourceContext
      changes {
        type
        attribute { id slug name type }
        previous { optionId optionSlug value weight }
        current { optionId optionSlug value weight }
      }
      hasError
    }
    pageInfo { hasNextPage }
  }
}`

var attributeHistoryParams = withParams(calPageParams, map[string]param{"orgId": {name: "orgId"}, "userId": {name: "userId"}})

type attributeHistoryData struct {
	Organization *struct {
		Member *struct {
			MembershipID int64 `json:"membershipId"`
			User         struct {
				DatabaseID int64 `json:"databaseId"`
			} `json:"user"`
		} `json:"member"`
	} `json:"organization"`
	History struct {
		Nodes    []attributeLog `json:"nodes"`
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
	} `json:"attributeAssignmentHistory"`
}

// The response types list fields in the document's order, which is the
// order they are written in; nullable fields have no omitempty.

type attributeHistoryResponse struct {
	Status string                  `json:"status"`
	Data   attributeHistoryPayload `json:"data"`
}

type attributeHistoryPayload struct {
	UserID       int64          `json:"userId"`
	MembershipID int64          `json:"membershipId"`
	AuditLogs    []attributeLog `json:"auditLogs"`
	NextCursor   *string        `json:"nextCursor"`
	HasMore      bool           `json:"hasMore"`
}

// attributeLog is a node of attributeHistoryQuery, which is the document's
// log, decoded and written again instead of passed through as the event
// type history's are (nodes.go), because two of its values are not written
// by GraphQL as the document writes them: sourceContext is stored as its
// producer wrote it (an import keeps its spaces), and the document writes
// it compact (json.RawMessage is compacted when written); and GraphQL
// writes a Float as Go's %g does (1e+06), the document as JSON.stringify
// does (1000000), as a float64 is written. Writing the strings again also
// escapes them as encoding/json does (U+2028, \b), where nodes passed
// through keep gqlgen's escapes. TestAttributeHistoryWritesValuesAsTheDocument
// holds REST to the document and tells when GraphQL writes both alike.
type attributeLog struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Source    string `json:"source"`
	Actor     struct {
		Type          string  `json:"type"`
		DisplayName   *string `json:"displayName"`
		DisplayEmail  *string `json:"displayEmail"`
		DisplayAvatar *string `json:"displayAvatar"`
	} `json:"actor"`
	SourceContext json.RawMessage `json:"sourceContext"`
	// The stored form of a change is the document's.
	Changes  []display.AttributeChange `json:"changes"`
	HasError bool                      `json:"hasError"`
}

// AttributeAssignmentHistory answers a member's attribute assignment history.
func (a *API) AttributeAssignmentHistory(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		calRouteNotFound(w, r)
		return
	}
	var userID int64
	orgID, err := calPathID(r, "orgId")
	if err == nil {
		userID, err = calPathID(r, "userId")
	}
	vars := map[string]any{"orgId": strconv.FormatInt(orgID, 10), "userId": strconv.FormatInt(userID, 10)}
	if err == nil {
		err = calPage(r.URL.Query(), model.AttributeHistoryKind, false, vars)
	}
	if err != nil {
		WriteCalError(w, r, err)
		return
	}
	var data attributeHistoryData
	if err := a.run(r.Context(), attributeHistoryQuery, vars, model.AttributeHistoryKind.Name, attributeHistoryParams, &data); err != nil {
		WriteCalError(w, r, err)
		return
	}
	if data.Organization == nil || data.Organization.Member == nil {
		// The history field has already answered for this member; reaching
		// here means the two fields disagree, which is ours to fix.
		WriteCalError(w, r, model.Errorf(model.CodeInternal, "member of organization %d not resolved", orgID))
		return
	}
	m := data.Organization.Member
	out := attributeHistoryPayload{UserID: m.User.DatabaseID, MembershipID: m.MembershipID, AuditLogs: data.History.Nodes}
	out.HasMore = data.History.PageInfo.HasNextPage
	if out.HasMore && len(out.AuditLogs) > 0 {
		out.NextCursor = &out.AuditLogs[len(out.AuditLogs)-1].ID
	}
	writeJSON(w, http.StatusOK, attributeHistoryResponse{Status: "success", Data: out})
}
