package model

import (
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzDecodeCursor feeds arbitrary cursors to every connection kind: decoding
// never panics, refuses what it does not accept with BAD_USER_INPUT naming
// the field, and what it accepts is a valid id that encodes back to the very
// same cursor. Valid ids derived from the input round-trip.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(CursorEventTypeHistory, "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"))
	f.Add(EncodeCursor(CursorAttributeHistory, "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"))
	f.Add(EncodeCursor(CursorMemberChangeLogs, "log_0190a3c45e6f7a8b9c0d1e2f3a4b5c6d"))
	f.Add("")
	f.Add("not base64!")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("eth:")))
	f.Add(base64.StdEncoding.EncodeToString([]byte("eth:0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d")))
	kinds := []string{CursorAttributeHistory, CursorEventTypeHistory, CursorMemberChangeLogs}
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, kind := range kinds {
			id, err := DecodeCursor(kind, "after", cursor)
			if err != nil {
				var de *Error
				if !errors.As(err, &de) || de.Code != CodeInvalid || de.Field != "after" {
					t.Fatalf("DecodeCursor(%q, %q): error %#v, want BAD_USER_INPUT on field after", kind, cursor, err)
				}
				if id != "" {
					t.Fatalf("DecodeCursor(%q, %q) returned id %q with an error", kind, cursor, id)
				}
				continue
			}
			if !ValidEntryID(kind, id) {
				t.Fatalf("DecodeCursor(%q, %q) accepted invalid id %q", kind, cursor, id)
			}
			if again := EncodeCursor(kind, id); again != cursor {
				t.Fatalf("DecodeCursor(%q, %q) = %q, which encodes to %q", kind, cursor, id, again)
			}
			for _, other := range kinds {
				if other != kind {
					if _, err := DecodeCursor(other, "after", cursor); err == nil {
						t.Fatalf("a %s cursor %q is accepted as a %s cursor", kind, cursor, other)
					}
				}
			}
		}
		// The input taken as an id: encode∘decode is the identity for valid ids.
		for _, kind := range kinds {
			if !ValidEntryID(kind, cursor) {
				continue
			}
			id, err := DecodeCursor(kind, "before", EncodeCursor(kind, cursor))
			if err != nil || id != cursor {
				t.Fatalf("round trip of %s id %q: got %q, %v", kind, cursor, id, err)
			}
		}
	})
}
