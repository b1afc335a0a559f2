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

// ParseTime parses an ISO 8601 instant or date (a date is its first instant,
// midnight UTC).
func ParseTime(s string) (time.Time, error) {
	t, _, err := parseTime(s)
	return t, err
}

// ParseDateBound parses the end of an inclusive time range. It is the one
// place range bounds are read, for GraphQL's DateRange and /v1's start_date
// and end_date alike. An instant is itself; a date alone as a lower bound is
// its first instant (midnight UTC), and as an upper bound its last one
// (23:59:59.999999999 UTC), so that from: "2026-01-14", to: "2026-01-14"
// is the whole of that day.
func ParseDateBound(s string, upper bool) (time.Time, error) {
	t, dateOnly, err := parseTime(s)
	if err == nil && dateOnly && upper {
		t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return t, err
}

func parseTime(s string) (t time.Time, dateOnly bool, err error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				break
			}
			return t.UTC(), layout == "2006-01-02", nil
		}
	}
	return time.Time{}, false, model.InvalidField("", s, "%q is not an ISO 8601 date-time", s)
}

// UpperBound is a DateTime read as the upper end of an inclusive range
// (DateRange.to): a date alone stands for the whole day, see ParseDateBound.
type UpperBound struct{ time.Time }

// UnmarshalGQL reads the bound.
func (b *UpperBound) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return model.InvalidField("", nil, "DateTime must be an ISO 8601 string")
	}
	t, err := ParseDateBound(s, true)
	if err != nil {
		return err
	}
	b.Time = t
	return nil
}

// MarshalGQL writes the bound as a DateTime.
func (b UpperBound) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(FormatTime(b.Time))) }

// DateRange is the schema's DateRange, written by hand so that its upper end
// is an UpperBound.
type DateRange struct {
	From *time.Time  `json:"from,omitempty"`
	To   *UpperBound `json:"to,omitempty"`
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
