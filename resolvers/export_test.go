package resolvers

import "github.com/99designs/gqlgen/graphql"

// FastServed is how many pages s (made by FastPages) wrote itself.
func FastServed(s graphql.ExecutableSchema) int64 { return s.(*fastPages).served.Load() }
