package rest

import (
	"net/http"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// The /v2 endpoints answer errors in Cal.com's envelope: the NestJS exception
// name as code, its body repeated under details.

type calErrorBody struct {
	Status    string      `json:"status"`
	Timestamp string      `json:"timestamp"`
	Path      string      `json:"path"`
	Error     calErrorObj `json:"error"`
}

type calErrorObj struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details calErrorDetails `json:"details"`
}

type calErrorDetails struct {
	Message    string `json:"message"`
	Error      string `json:"error"`
	StatusCode int    `json:"statusCode"`
	// Field names the offending parameter of a 400 (a decision of this project).
	Field string `json:"field,omitempty"`
}

// calStatus maps an error code to its status and exception name; it is the
// only place /v2 statuses are decided.
func calStatus(code string) (int, string) {
	switch code {
	case model.CodeInvalid:
		return http.StatusBadRequest, "BadRequestException"
	case model.CodeUnauthenticated:
		return http.StatusUnauthorized, "UnauthorizedException"
	case model.CodeForbidden:
		return http.StatusForbidden, "ForbiddenException"
	case model.CodeNotFound:
		return http.StatusNotFound, "NotFoundException"
	case model.CodeConflict:
		return http.StatusConflict, "ConflictException"
	case model.CodeRateLimited:
		return http.StatusTooManyRequests, "TooManyRequestsException"
	case model.CodeUnavailable:
		return http.StatusServiceUnavailable, "ServiceUnavailableException"
	default:
		return http.StatusInternalServerError, "InternalServerErrorException"
	}
}

// WriteCalError answers err in the /v2 envelope. It is also the rate
// limiter's writer for the /v2 routes.
func WriteCalError(w http.ResponseWriter, r *http.Request, err *model.Error) {
	status, name := calStatus(err.Code)
	msg := err.Message
	body := calErrorBody{
		Status:    "error",
		Timestamp: time.Now().UTC().Format(timeFormat),
		Path:      requestPath(r),
		Error: calErrorObj{Code: name, Message: msg, Details: calErrorDetails{
			Message: msg, Error: http.StatusText(status), StatusCode: status,
		}},
	}
	if status == http.StatusBadRequest {
		body.Error.Details.Field = err.Field
	}
	writeJSON(w, status, body)
}

// calRouteNotFound is NestJS's answer for a route it does not have.
func calRouteNotFound(w http.ResponseWriter, r *http.Request) {
	WriteCalError(w, r, model.Errorf(model.CodeNotFound, "Cannot %s %s", r.Method, requestPath(r)))
}

// CalNotFound answers every /v2 path that is not an endpoint.
func (a *API) CalNotFound(w http.ResponseWriter, r *http.Request) { calRouteNotFound(w, r) }

// timeFormat is ISO 8601 UTC with milliseconds, the services' one form.
const timeFormat = "2006-01-02T15:04:05.000Z"
