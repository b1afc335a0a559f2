package ingest

import "bytes"

// scanHead finds the kind and organizationId of a line without decoding it,
// so that the reading goroutine can route entries to the validating workers
// for the price of one pass over the bytes (the workers decode the whole
// line, which also checks that it is valid JSON). It reports ok only for
// the plain forms: a string kind, an organizationId that is a string or an
// integer, keys and those values free of escapes. Anything else (including
// keys that match only case-insensitively, as encoding/json would accept)
// gives !ok, and the caller decodes the line instead.
func scanHead(b []byte) (kind string, org ID, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", "", false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return "", "", skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return "", "", false
		}
		end := plainString(b, i)
		if end < 0 {
			return "", "", false
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return "", "", false
		}
		i = skipSpace(b, i+1)
		switch {
		case string(key) == "kind":
			end = plainString(b, i)
			if end < 0 {
				return "", "", false
			}
			kind = string(b[i+1 : end-1])
		case string(key) == "organizationId":
			if end = plainString(b, i); end >= 0 {
				org = ID(b[i+1 : end-1])
			} else {
				end = i
				for end < len(b) && b[end] >= '0' && b[end] <= '9' {
					end++
				}
				if end == i || end-i > 18 {
					return "", "", false
				}
				org = ID(b[i:end])
			}
		case bytes.EqualFold(key, []byte("kind")), bytes.EqualFold(key, []byte("organizationId")):
			return "", "", false
		default:
			if end = skipValue(b, i); end < 0 {
				return "", "", false
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return "", "", false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return kind, org, skipSpace(b, i+1) == len(b)
		default:
			return "", "", false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the end (past the closing quote) of the string
// starting at b[i], or -1 if there is none or it holds anything but
// printable ASCII: an escape, a control character, or a byte the decoder
// might read differently (invalid UTF-8 becomes U+FFFD; non-ASCII letters
// such as the Kelvin sign fold to ASCII ones when matching keys).
func plainString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1
		case c == '\\' || c < 0x20 || c >= 0x80:
			return -1
		}
	}
	return -1
}

// skipValue returns where the value starting at b[i] ends: at the ',' or
// '}' that follows it at the top level, or -1. It finds the extent only; the
// full decode validates.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return -1
			}
			i++
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case c == ',' && depth == 0:
			return i
		default:
			i++
		}
	}
	return -1
}
