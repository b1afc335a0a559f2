package display

import (
	"strings"
	"unicode"
)

// Label returns the payload label if non-empty, else the field name split at
// case changes and capitalised (scheduleId -> "Schedule Id").
//
// The split rules, in full:
//   - '_', '-', '.' and whitespace separate words and are dropped
//     (status_id -> "Status Id");
//   - an upper-case letter starts a word after a lower-case letter or a digit
//     (minimumBookingNotice -> "Minimum Booking Notice", slot2Url -> "Slot2 Url");
//   - a run of upper-case letters stays one word, except that its last letter
//     starts the next word when a lower-case letter follows, so acronyms
//     survive (eventTypeURL -> "Event Type URL", URLSlug -> "URL Slug");
//   - digits never start a word (utf8Name -> "Utf8 Name");
//   - a plural acronym is not recognised: hideInURLs -> "Hide In UR Ls";
//   - each word gets its first letter upper-cased, the rest is left as written.
func Label(field, label string) string {
	if label != "" {
		return label
	}
	runes := []rune(field)
	var b strings.Builder
	b.Grow(len(field) + 4)
	wordStart := true
	for i, r := range runes {
		if isSeparator(r) {
			wordStart = true
			continue
		}
		if !wordStart && i > 0 && unicode.IsUpper(r) {
			prev := runes[i-1]
			switch {
			case unicode.IsLower(prev) || unicode.IsDigit(prev):
				wordStart = true
			case unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1]):
				wordStart = true
			}
		}
		if wordStart {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToUpper(r)
			wordStart = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isSeparator(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsSpace(r)
}
