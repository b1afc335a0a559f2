package gqlmodel

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/ingest"
)

// The write mutations' inputs are package ingest's records, bound by gqlgen
// (gqlgen.yml), so a field of an entry is declared once, in ingest/input.go.
// ingest keeps ids, instants and JSON documents as the producer wrote them;
// these are the scalars' second bindings into those forms.

// MarshalIngestID writes an ingest.ID as an ID.
func MarshalIngestID(id ingest.ID) graphql.Marshaler { return graphql.MarshalID(string(id)) }

// UnmarshalIngestID reads an ID into an ingest.ID. Global ids are resolved
// by the resolvers, which know their types.
func UnmarshalIngestID(v any) (ingest.ID, error) {
	s, err := graphql.UnmarshalID(v)
	return ingest.ID(s), err
}

// MarshalDateTimeText writes an RFC 3339 instant as a DateTime.
func MarshalDateTimeText(s string) graphql.Marshaler {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return graphql.MarshalString(s)
	}
	return MarshalDateTime(t)
}

// UnmarshalDateTimeText reads a DateTime as UnmarshalDateTime does and
// gives it to ingest as RFC 3339 text in UTC.
func UnmarshalDateTimeText(v any) (string, error) {
	t, err := UnmarshalDateTime(v)
	if err != nil {
		return "", err
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}

// MarshalRawJSON writes a JSON document as a JSON value.
func MarshalRawJSON(j json.RawMessage) graphql.Marshaler { return JSON(j) }

// UnmarshalRawJSON reads a JSON value as JSON.UnmarshalGQL does.
func UnmarshalRawJSON(v any) (json.RawMessage, error) {
	var j JSON
	if err := j.UnmarshalGQL(v); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return json.RawMessage(j), nil
}
