package gqlmodel

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/auditgraph/auditgraph/model"
)

// TimeFormat is the one way instants are written: ISO 8601, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// MarshalDateTime writes a DateTime.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(FormatTime(t)))
	})
}

// UnmarshalDateTime reads a DateTime: RFC 3339 with or without fractional
// seconds, or a plain date (midnight UTC).
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, model.InvalidField("", nil, "DateTime must be an ISO 8601 string")
	}
	return ParseTime(s)
}

// ParseTime parses an ISO 8601 instant or date.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, model.InvalidField("", s, "%q is not an ISO 8601 date-time", s)
}

// JSON is a JSON value passed through as stored bytes.
type JSON []byte

// MarshalGQL writes the raw JSON (null when empty).
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		io.WriteString(w, "null")
		return
	}
	w.Write(j)
}

// UnmarshalGQL accepts any JSON value.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	*j = b
	return nil
}
