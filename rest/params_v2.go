package rest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// calDefaultLimit is the /v2 documents' page size when limit is absent. The
// largest page is GraphQL's (model.Limits, checked by the operation): the
// documents' 50 is the kinds' default Max.
const calDefaultLimit = 25

// calPathID reads a numeric path parameter the way NestJS's ParseIntPipe does.
func calPathID(r *http.Request, name string) (int64, *model.Error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || strings.HasPrefix(v, "+") {
		return 0, model.InvalidField(name, v, "Validation failed (numeric string is expected)")
	}
	return n, nil
}

// calPage reads the /v2 paging parameters of kind into the GraphQL
// variables first and after: limit, an integer of at least 1 (25 when
// absent; GraphQL bounds it above), and cursor. allowEncoded accepts the
// event type document's base64 cursors too.
func calPage(q url.Values, kind *model.HistoryKind, allowEncoded bool, vars map[string]any) *model.Error {
	limit, err := calLimit(q)
	if err != nil {
		return err
	}
	vars["first"] = limit
	after, err := calCursor(q, kind.Cursor, allowEncoded)
	if err != nil {
		return err
	}
	if after != nil {
		vars["after"] = *after
	}
	return nil
}

// calPageParams names the GraphQL paging arguments as the /v2 documents do,
// with their wording of the upper bound.
var calPageParams = map[string]param{
	"first": {name: "limit", tooLarge: "must not be greater than %d"}, "after": {name: "cursor"}, "cursor": {name: "cursor"},
}

// calLimit reads limit: an integer of at least 1, 25 when absent.
func calLimit(q url.Values) (int, *model.Error) {
	if !q.Has("limit") {
		return calDefaultLimit, nil
	}
	v := q.Get("limit")
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, model.InvalidField("limit", v, "limit must be an integer number")
	case n < 1:
		return 0, model.InvalidField("limit", v, "limit must not be less than 1")
	}
	return n, nil
}

// calCursor reads cursor and returns the GraphQL after cursor it stands for
// (nil when absent). We emit the last log's id; the event type document also
// shows base64 of {"createdAt","id"}, which that endpoint accepts too. The
// entry's position comes from its id alone: the store refuses an id that is
// not in this history, so a createdAt that disagrees cannot skip entries.
func calCursor(q url.Values, kind string, allowEncoded bool) (*string, *model.Error) {
	if !q.Has("cursor") {
		return nil, nil
	}
	v := q.Get("cursor")
	bad := func(format string, args ...any) (*string, *model.Error) {
		return nil, model.InvalidField("cursor", v, format, args...)
	}
	if len(v) > model.MaxCursorLength {
		return bad("cursor must be shorter than or equal to %d characters", model.MaxCursorLength)
	}
	id := v
	if !model.ValidEntryID(kind, id) {
		if !allowEncoded {
			return bad("cursor must be a UUID")
		}
		var ok bool
		if id, ok = decodeCalCursor(v); !ok || !model.ValidEntryID(kind, id) {
			return bad("cursor is not a valid cursor")
		}
	}
	after := model.EncodeCursor(kind, id)
	return &after, nil
}

// decodeCalCursor reads base64 (either alphabet, padded or not) of exactly
// {"createdAt":"<ISO time>","id":"<log id>"}.
func decodeCalCursor(s string) (string, bool) {
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			raw = b
			break
		}
	}
	if raw == nil {
		return "", false
	}
	var c struct {
		CreatedAt *string `json:"createdAt"`
		ID        *string `json:"id"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() || c.CreatedAt == nil || c.ID == nil {
		return "", false
	}
	if _, err := time.Parse(time.RFC3339Nano, *c.CreatedAt); err != nil {
		return "", false
	}
	return *c.ID, true
}
