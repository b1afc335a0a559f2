package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Example is one ready-to-run operation offered as a GraphiQL tab.
type Example struct {
	// Operation is the operation name; it is also the key looked up in
	// Config.ExampleVariables.
	Operation string
	// Query is the GraphQL document of the tab.
	Query string
	// Variables lists the operation's variables with placeholder values,
	// used when Config.ExampleVariables does not provide them.
	Variables map[string]any
}

// Examples are the operations shown as tabs, in tab order.
var Examples = []Example{
	{
		Operation: "EventTypeHistory",
		Query: `query EventTypeHistory($eventTypeId: ID!) {
  eventTypeHistory(eventTypeId: $eventTypeId, first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id action type timestamp source actionDisplayTitle hasError
        actor { type displayName displayEmail }
        displayFields {
          label
          fieldValue {
            __typename
            ... on RawValue { value }
            ... on RawValues { values }
            ... on ValueChange { previous next }
            ... on Diff { previous next }
          }
        }
      }
    }
  }
}
`,
		Variables: map[string]any{"eventTypeId": ""},
	},
	{
		Operation: "AttributeHistory",
		Query: `query AttributeHistory($orgId: ID!, $userId: ID!) {
  attributeAssignmentHistory(orgId: $orgId, userId: $userId, first: 10) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id timestamp source
        actor { type displayName }
        changes {
          type
          attribute { name type }
          previous { value weight }
          current { value weight }
        }
      }
    }
  }
}
`,
		Variables: map[string]any{"orgId": "", "userId": ""},
	},
	{
		Operation: "MemberChangeLogs",
		Query: `query MemberChangeLogs($organizationId: ID!, $userId: ID!) {
  memberChangeLogs(organizationId: $organizationId, userId: $userId, first: 10) {
    totalCount
    edges {
      node {
        id action timestamp resourceType resourceId resourceName
        actor { name email }
        changes { field oldValue newValue }
      }
    }
  }
}
`,
		Variables: map[string]any{"organizationId": "", "userId": ""},
	},
	{
		// Runs over graphql-transport-ws (the page's WebSocket fetcher):
		// entries appear as they are written; pass a page's startCursor as
		// after to receive the ones written since first.
		Operation: "LiveEventTypeHistory",
		Query: `subscription LiveEventTypeHistory($eventTypeId: ID!, $after: String) {
  eventTypeHistory(eventTypeId: $eventTypeId, after: $after) {
    cursor
    node { id action timestamp actionDisplayTitle actor { type displayName } }
  }
}
`,
		Variables: map[string]any{"eventTypeId": "", "after": nil},
	},
}

// tab is the shape GraphiQL expects in its defaultTabs prop.
type tab struct {
	Query     string `json:"query"`
	Variables string `json:"variables"`
}

// exampleTabs merges the configured variables over each example's
// placeholders and renders them as the JSON text shown in the variables
// editor. Entries of vars whose key is not an example operation are ignored.
func exampleTabs(vars map[string]map[string]any) ([]tab, error) {
	tabs := make([]tab, 0, len(Examples))
	for _, ex := range Examples {
		merged := make(map[string]any, len(ex.Variables))
		for k, v := range ex.Variables {
			merged[k] = v
		}
		for k, v := range vars[ex.Operation] {
			merged[k] = v
		}
		// No HTML escaping here: this is editor text, and the page escapes
		// the whole configuration again when embedding it.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(merged); err != nil {
			return nil, fmt.Errorf("playground: example variables for %s: %w", ex.Operation, err)
		}
		tabs = append(tabs, tab{Query: ex.Query, Variables: strings.TrimSuffix(buf.String(), "\n")})
	}
	return tabs, nil
}
