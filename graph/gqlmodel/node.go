package gqlmodel

// Node is any object the schema's Node interface covers. The domain types do
// not know about GraphQL, so the interface has no methods; resolvers give
// each its global id.
type Node interface{}
