package model

import (
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// Cursor kinds: a cursor of one history is refused by the others.
const (
	CursorAttributeHistory = "aah"
	CursorEventTypeHistory = "eth"
	CursorMemberChangeLogs = "mcl"
)

// MaxCursorLength bounds what is decoded at all.
const MaxCursorLength = 2048

// EncodeCursor makes the opaque connection cursor of an entry. It names the
// entry by id; the store resolves the id within the history being read, so a
// cursor of another event type or member is refused rather than misread.
func EncodeCursor(kind, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + id))
}

// DecodeCursor returns the entry id in a cursor of the given kind, or a
// BAD_USER_INPUT error naming field.
func DecodeCursor(kind, field, cursor string) (string, error) {
	bad := func() error {
		return FieldRule(field, nil, "is not a valid cursor of this connection")
	}
	if cursor == "" || len(cursor) > MaxCursorLength {
		return "", bad()
	}
	// Only the canonical spelling is a cursor: the decoder would also accept
	// non-zero padding bits and skip line breaks, second spellings of the
	// same entry's cursor.
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != cursor {
		return "", bad()
	}
	k, id, ok := strings.Cut(string(raw), ":")
	if !ok || k != kind || !ValidEntryID(kind, id) {
		return "", bad()
	}
	return id, nil
}

// ValidEntryID reports whether id has the form of an entry id of that kind:
// a UUID for the Cal.com-style histories, "log_" and 32 hex digits for change logs.
func ValidEntryID(kind, id string) bool {
	switch kind {
	case CursorAttributeHistory, CursorEventTypeHistory:
		if len(id) != 36 {
			return false
		}
		_, err := uuid.Parse(id)
		return err == nil
	case CursorMemberChangeLogs:
		rest, ok := strings.CutPrefix(id, "log_")
		if !ok || len(rest) != 32 {
			return false
		}
		for _, c := range rest {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	return false
}
