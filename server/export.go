package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/auditgraph/auditgraph/export"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/resolvers"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// GET /export/{history}: one history as a file, NDJSON or CSV. The
// connection's own query runs first, in process, with the request's
// parameters as its variables: its access directives, lookups and filter
// validation decide, and its filter is captured (resolvers.Selection)
// instead of read; the export then reads that filter page by page.

type exportSpec struct {
	query string
	// params are the query parameters passed as the query's ID variables.
	params []string
	kind   string
}

var exportSpecs = map[string]exportSpec{
	export.AttributeAssignments: {
		query:  `query($orgId: ID!, $userId: ID!, $after: String, $filter: AttributeHistoryFilter) { h: attributeAssignmentHistory(orgId: $orgId, userId: $userId, first: 0, after: $after, filter: $filter) { __typename } }`,
		params: []string{"orgId", "userId"}, kind: model.CursorAttributeHistory,
	},
	export.EventTypes: {
		query:  `query($eventTypeId: ID!, $after: String, $filter: EventTypeHistoryFilter) { h: eventTypeHistory(eventTypeId: $eventTypeId, first: 0, after: $after, filter: $filter) { __typename } }`,
		params: []string{"eventTypeId"}, kind: model.CursorEventTypeHistory,
	},
	export.MemberChangeLogs: {
		query:  `query($organizationId: ID!, $userId: ID!, $after: String, $filter: MemberChangeLogFilter) { h: memberChangeLogs(organizationId: $organizationId, userId: $userId, first: 0, after: $after, filter: $filter) { __typename } }`,
		params: []string{"organizationId", "userId"}, kind: model.CursorMemberChangeLogs,
	},
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	history := r.PathValue("history")
	spec, ok := exportSpecs[history]
	if !ok {
		writeExportError(w, &model.Error{Code: model.CodeNotFound, Message: fmt.Sprintf("no history %q: one of %s, %s, %s", history, export.AttributeAssignments, export.EventTypes, export.MemberChangeLogs)})
		return
	}
	q := r.URL.Query()
	format, vars, err := exportArguments(spec, q)
	if err != nil {
		writeExportError(w, err)
		return
	}
	// The connection's own field checks the arguments and the access, and
	// hands back the filter it would read with.
	sel := &resolvers.Selection{}
	resp := s.Execute(resolvers.WithSelection(ctx, sel), spec.query, vars)
	if len(resp.Errors) > 0 {
		writeExportGraphQLError(w, resp.Errors[0])
		return
	}
	job := export.Job{Filter: sel.Filter, Format: format}
	if v := q.Get("after"); v != "" {
		job.After, _ = model.DecodeCursor(spec.kind, "after", v)
	}
	name, err := s.exportScope(r, history, &job)
	if err != nil {
		writeExportError(w, err)
		return
	}
	st, err := export.First(ctx, s.store, job)
	if err != nil {
		writeExportError(w, err)
		return
	}
	h := w.Header()
	if format == export.CSV {
		h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"."+format))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if err := st.Write(ctx, w); err != nil {
		// The status is sent: the transfer is cut short, so the client
		// sees an incomplete body rather than a short file, and resumes
		// with the cursor of the last whole line.
		s.logger.WarnContext(ctx, "export interrupted", "history", history, "written", st.Written, "last_cursor", st.LastCursor(), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// exportArguments reads the file format and the connection's variables
// from the query string.
func exportArguments(spec exportSpec, q url.Values) (string, map[string]any, error) {
	format := q.Get("format")
	switch format {
	case "":
		format = export.NDJSON
	case export.NDJSON, export.CSV:
	default:
		return "", nil, model.InvalidField("format", format, "format must be ndjson or csv")
	}
	vars := map[string]any{}
	for _, p := range spec.params {
		if v := q.Get(p); v != "" {
			vars[p] = v
		}
	}
	if v := q.Get("after"); v != "" {
		vars["after"] = v
	}
	if v := q.Get("filter"); v != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(v)))
		dec.UseNumber()
		var f map[string]any
		if err := dec.Decode(&f); err != nil {
			return "", nil, model.InvalidField("filter", nil, "filter must be a JSON object of the connection's filter input")
		}
		vars["filter"] = f
	}
	return format, vars, nil
}

// exportScope sets the organization whose entries the job exports and
// names the file after what the filter selects.
func (s *Server) exportScope(r *http.Request, history string, job *export.Job) (string, error) {
	switch f := job.Filter.(type) {
	case model.AttributeHistoryFilter:
		job.OrganizationID = f.OrganizationID
		return fmt.Sprintf("attribute-assignments-%d-%d", f.OrganizationID, f.UserID), nil
	case model.MemberChangeLogFilter:
		job.OrganizationID = f.OrganizationID
		return fmt.Sprintf("member-change-logs-%d-%d", f.OrganizationID, f.UserID), nil
	case model.EventTypeHistoryFilter:
		org, err := s.eventTypeOrganization(r, f.EventTypeID)
		if err != nil {
			return "", err
		}
		job.OrganizationID = org
		return fmt.Sprintf("event-type-%d-history", f.EventTypeID), nil
	}
	return history, fmt.Errorf("export: nothing captured")
}

// eventTypeOrganization is the organization an event type's import lines
// name: its team's, or for a personal event type its owner's first.
func (s *Server) eventTypeOrganization(r *http.Request, id int64) (int64, error) {
	own, err := s.store.EventTypeOwnership(r.Context(), id)
	if err != nil {
		return 0, err
	}
	if own.OrganizationID != nil {
		return *own.OrganizationID, nil
	}
	if own.OwnerUserID != nil {
		ms, err := s.store.MembershipsOfUser(r.Context(), *own.OwnerUserID)
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			if m.OrganizationID != nil {
				return *m.OrganizationID, nil
			}
		}
	}
	return 0, nil
}

// exportStatus is the HTTP status of an error code.
func exportStatus(code string) int {
	switch code {
	case model.CodeUnauthenticated:
		return http.StatusUnauthorized
	case model.CodeForbidden:
		return http.StatusForbidden
	case model.CodeNotFound:
		return http.StatusNotFound
	case model.CodeInvalid, "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED":
		return http.StatusBadRequest
	case model.CodeRateLimited:
		return http.StatusTooManyRequests
	case model.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Export errors are answered in GraphQL's error format, with the status of
// their code.
func writeExportGraphQLError(w http.ResponseWriter, e *gqlerror.Error) {
	code, _ := e.Extensions["code"].(string)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(exportStatus(code))
	json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{e}})
}

func writeExportError(w http.ResponseWriter, err error) {
	e := &gqlerror.Error{Message: model.ErrorMessage(err), Extensions: map[string]any{"code": model.ErrorCode(err)}}
	var me *model.Error
	if errors.As(err, &me) && me.Field != "" {
		e.Extensions["field"] = me.Field
	}
	writeExportGraphQLError(w, e)
}
