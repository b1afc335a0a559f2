package rest

import (
	"net/http"
	"time"

	"github.com/auditgraph/auditgraph/internal/reqctx"
	"github.com/auditgraph/auditgraph/model"
	"github.com/google/uuid"
)

// The /v1 endpoint answers errors in its service's documented envelope.

type v1ErrorBody struct {
	Success bool       `json:"success"`
	Error   v1ErrorObj `json:"error"`
}

type v1ErrorObj struct {
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	SystemMessage string         `json:"system_message"`
	Type          string         `json:"type"`
	Status        int            `json:"status"`
	Details       *v1ErrorDetail `json:"details"`
	TraceID       string         `json:"trace_id"`
	Timestamp     string         `json:"timestamp"`
}

type v1ErrorDetail struct {
	Field string `json:"field"`
	Value any    `json:"value"`
}

// Errors the shim raises itself, which no GraphQL code stands for.
const (
	codeRouteNotFound    = "rest:route-not-found"
	codeMethodNotAllowed = "rest:method-not-allowed"
)

// codeOrgAccessDenied is /v1's code for an organization the caller may not
// see at all.
const codeOrgAccessDenied = "ORGANIZATION_ACCESS_DENIED"

// v1Status maps an error code and reason to status, /v1 code and system
// message; it is the only place /v1 statuses are decided. keyPresented tells
// a missing key from a refused one: GraphQL answers both UNAUTHENTICATED.
// GraphQL does not tell unknown, expired and revoked keys apart; /v1's
// document does for an expired key, which the error's reason tells. A caller
// who is not a member of the organization, and one naming an organization
// that does not exist, get the same ORGANIZATION_ACCESS_DENIED, so the answer
// reveals nothing about which organizations exist.
func v1Status(code, reason string, keyPresented bool) (int, string, string) {
	switch {
	case code == model.CodeUnauthenticated && reason == model.ReasonKeyExpired:
		return http.StatusUnauthorized, "API_KEY_EXPIRED", "the API key has expired"
	case reason == model.ReasonNotMember && (code == model.CodeForbidden || code == model.CodeNotFound):
		return http.StatusForbidden, codeOrgAccessDenied, "the API key's user has no access to the organization"
	}
	switch code {
	case model.CodeInvalid:
		return http.StatusUnprocessableEntity, "VALIDATION_ERROR", "request validation failed"
	case model.CodeUnauthenticated:
		if keyPresented {
			return http.StatusUnauthorized, "INVALID_API_KEY", "the API key is unknown or revoked"
		}
		return http.StatusUnauthorized, "AUTHENTICATION_REQUIRED", "an API key is required (X-API-Key header)"
	case model.CodeForbidden:
		return http.StatusForbidden, "INSUFFICIENT_PERMISSIONS", "requires the Admin or Owner role in the organization"
	case model.CodeNotFound:
		// The document has one 404 code. An unknown organization is answered
		// with it too: the user is then not found in that organization either.
		return http.StatusNotFound, "USER_NOT_FOUND", "user not found in the organization"
	case model.CodeRateLimited:
		return http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "rate limit exceeded"
	// The document names no code for these; they follow its naming.
	case codeRouteNotFound:
		return http.StatusNotFound, "NOT_FOUND", "no such endpoint"
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method not allowed"
	case model.CodeUnavailable:
		return http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "service unavailable"
	default:
		return http.StatusInternalServerError, "INTERNAL_ERROR", "internal error"
	}
}

// WriteV1Error answers err in the /v1 envelope. It is also the rate
// limiter's writer for the /v1 routes.
func WriteV1Error(w http.ResponseWriter, r *http.Request, err *model.Error) {
	status, code, system := v1Status(err.Code, err.Reason, keyPresented(r))
	typ := "client_error"
	if status >= 500 {
		typ = "server_error"
	}
	// The document's trace_id is a UUID; the server logs it beside the
	// request id (X-Request-Id), so either finds the other.
	trace := reqctx.TraceID(r.Context())
	if trace == "" {
		trace = uuid.NewString()
	}
	msg := err.Message
	if code == codeOrgAccessDenied {
		// One message for an unknown organization and one the caller is not
		// in, so that nothing tells them apart.
		msg = "you are not a member of this organization"
	}
	body := v1ErrorBody{Error: v1ErrorObj{
		Code: code, Message: msg, SystemMessage: system, Type: typ, Status: status,
		TraceID: trace, Timestamp: time.Now().UTC().Format(time.RFC3339),
	}}
	if err.Field != "" {
		body.Error.Details = &v1ErrorDetail{Field: err.Field, Value: err.Value}
	}
	writeJSON(w, status, body)
}

// keyPresented reports whether the request carries a credential at all,
// under either header the server reads keys from.
func keyPresented(r *http.Request) bool {
	return r.Header.Get("X-API-Key") != "" || r.Header.Get("Authorization") != ""
}

// V1NotFound answers every /v1 path that is not an endpoint.
func (a *API) V1NotFound(w http.ResponseWriter, r *http.Request) {
	WriteV1Error(w, r, &model.Error{Code: codeRouteNotFound, Message: "Not Found: " + r.Method + " " + r.URL.Path})
}
