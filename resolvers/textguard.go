package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
)

// TextGuard is the one place where text the database would refuse is turned
// away: a NUL byte (PostgreSQL text cannot hold one) or bytes that are not
// UTF-8, in any argument of any field, variables and literals alike, nested
// input objects and lists included. It runs before the field's directives
// and resolver, so such input reaches no lookup and no write, and answers
// BAD_USER_INPUT naming the argument. The REST shim passes its parameters
// through GraphQL, so its 400/422 comes from here too.
type TextGuard struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = TextGuard{}

// ExtensionName names the extension for gqlgen.
func (TextGuard) ExtensionName() string { return "TextGuard" }

// Validate has nothing to check in the schema.
func (TextGuard) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField checks the field's arguments.
func (TextGuard) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && len(fc.Args) > 0 {
		for name, v := range fc.Args {
			if path, bad := model.FindBadText(v, name); bad {
				return nil, model.InvalidField(path, nil, "%s holds a NUL byte or bytes that are not UTF-8", path)
			}
		}
	}
	return next(ctx)
}
