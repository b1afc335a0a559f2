package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/internal/reqctx"
	"github.com/auditgraph/auditgraph/model"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ErrorPresenter maps every error to GraphQL in one place: a domain error
// keeps its code (and names its field); an error from parsing, validation or
// argument coercion is BAD_USER_INPUT unless it already carries a code;
// an error unavailable reports (the database cannot be reached, see
// db.IsUnavailable) or a deadline is SERVICE_UNAVAILABLE; anything else is
// logged with the request id and shown only as INTERNAL_SERVER_ERROR.
func ErrorPresenter(logger *slog.Logger, unavailable ...func(error) bool) graphql.ErrorPresenterFunc {
	isUnavailable := func(err error) bool {
		for _, f := range unavailable {
			if f(err) {
				return true
			}
		}
		return false
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		var de *model.Error
		switch {
		case errors.As(err, &de):
			gqlErr.Message = de.Message
			gqlErr.Extensions["code"] = de.Code
			if de.Field != "" {
				gqlErr.Extensions["field"] = de.Field
			}
			if de.Cursor != "" {
				gqlErr.Extensions["cursor"] = de.Cursor
			}
		case gqlErr.Extensions["code"] != nil:
			// Parse and validation failures already say what they are.
		case gqlErr.Err == nil || isInputError(gqlErr.Err):
			gqlErr.Extensions["code"] = model.CodeInvalid
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
			gqlErr.Message = "the request took too long"
			gqlErr.Extensions["code"] = model.CodeUnavailable
		case isUnavailable(err):
			logger.WarnContext(ctx, "database unavailable", "request_id", reqctx.RequestID(ctx), "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "the service is temporarily unavailable; retry later"
			gqlErr.Extensions["code"] = model.CodeUnavailable
		default:
			id := reqctx.RequestID(ctx)
			logger.ErrorContext(ctx, "internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = fmt.Sprintf("internal error (request %s)", id)
			gqlErr.Extensions["code"] = model.CodeInternal
		}
		return gqlErr
	}
}

// isInputError reports errors gqlgen returns for arguments that do not fit
// their types (a string for an Int, an unknown enum value).
func isInputError(err error) bool {
	var ge *gqlerror.Error
	return errors.As(err, &ge) && ge.Err == nil
}

// Recover turns a panic in a resolver into an internal error; the stack is
// logged, the caller sees only the code.
func Recover(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "request_id", reqctx.RequestID(ctx), "panic", p)
		return errors.New("panic")
	}
}
