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

// v1Status maps an error code to status, /v1 code and system message; it is
// the only place /v1 statuses are decided. keyPresented tells a missing key
// from a refused one: GraphQL answers both UNAUTHENTICATED, and deliberately
// does not tell unknown, expired and revoked keys apart, so all three are
// INVALID_API_KEY here and API_KEY_EXPIRED is never sent.
func v1Status(code string, keyPresented bool) (int, string, string) {
	switch code {
	case model.CodeInvalid:
		return http.StatusUnprocessableEntity, "VALIDATION_ERROR", "request validation failed"
	case model.CodeUnauthenticated:
		if keyPresented {
			return http.StatusUnauthorized, "INVALID_API_KEY", "the API key is unknown, expired or revoked"
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
	status, code, system := v1Status(err.Code, keyPresented(r))
	typ := "client_error"
	if status >= 500 {
		typ = "server_error"
	}
	trace := reqctx.RequestID(r.Context())
	if trace == "" {
		trace = uuid.NewString()
	}
	body := v1ErrorBody{Error: v1ErrorObj{
		Code: code, Message: err.Message, SystemMessage: system, Type: typ, Status: status,
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
