package display

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// decodeJSON decodes exactly one JSON value. Numbers stay json.Number so that
// their original text (2335925, 1.5, 1e3) survives into what users see.
// Trailing data after the value is an error: a stored payload followed by
// garbage is corrupt, not "the first part".
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// appendCompact writes v as compact JSON with object keys sorted.
func appendCompact(dst []byte, v any) []byte {
	return appendJSON(dst, v, false, 0, false)
}

// appendIndented writes v with keys sorted and two-space indentation, the
// layout of json.MarshalIndent(v, "", "  ").
func appendIndented(dst []byte, v any) []byte {
	return appendJSON(dst, v, true, 0, false)
}

// appendCanonical writes v like appendCompact but with numbers normalised, so
// two values are equal JSON exactly when their canonical forms are equal
// (1, 1.0 and 10e-1 compare equal; -0 equals 0).
func appendCanonical(dst []byte, v any) []byte {
	return appendJSON(dst, v, false, 0, true)
}

func canonical(v any) string {
	return string(appendCanonical(nil, v))
}

func appendJSON(dst []byte, v any, indent bool, depth int, canon bool) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, t)
	case json.Number:
		if canon {
			return append(dst, normalizeNumber(string(t))...)
		}
		return append(dst, t...)
	case string:
		return appendString(dst, t)
	case []any:
		if len(t) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			if indent {
				dst = appendNewline(dst, depth+1)
			}
			dst = appendJSON(dst, e, indent, depth+1, canon)
		}
		if indent {
			dst = appendNewline(dst, depth)
		}
		return append(dst, ']')
	case map[string]any:
		if len(t) == 0 {
			return append(dst, "{}"...)
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			if indent {
				dst = appendNewline(dst, depth+1)
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if indent {
				dst = append(dst, ' ')
			}
			dst = appendJSON(dst, t[k], indent, depth+1, canon)
		}
		if indent {
			dst = appendNewline(dst, depth)
		}
		return append(dst, '}')
	default:
		// Only decodeJSON's value types reach here; anything else would be
		// a programming error, and a visible null beats a panic in a resolver.
		return append(dst, "null"...)
	}
}

func appendNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, "  "...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendString quotes s the way JSON.stringify does: only the quote, the
// backslash and control characters are escaped. encoding/json would also turn
// <, > and & into \u003c-style escapes, which the live service does not emit.
// Invalid UTF-8 becomes U+FFFD so the output is always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// normalizeNumber rewrites a JSON number as sign, significant digits and a
// decimal exponent ("-12e3"), so numerically equal texts normalise equally.
// Exponents too large for int64 are left as written: they never come from a
// real snapshot, and comparing them textually is still deterministic.
func normalizeNumber(s string) string {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	var digits []byte
	exp := int64(0)
	for i < len(s) && isDigit(s[i]) {
		digits = append(digits, s[i])
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			digits = append(digits, s[i])
			exp--
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		for i < len(s) && s[i] == '0' {
			i++
		}
		text := s[i:]
		if len(text) > 17 {
			return s
		}
		e := int64(0)
		for j := 0; j < len(text); j++ {
			if !isDigit(text[j]) {
				return s
			}
			e = e*10 + int64(text[j]-'0')
		}
		if expNeg {
			e = -e
		}
		exp += e
		i = len(s)
	}
	if i != len(s) || len(digits) == 0 {
		return s
	}
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if len(digits) == 0 {
		return "0"
	}
	out := make([]byte, 0, len(digits)+24)
	if neg {
		out = append(out, '-')
	}
	out = append(out, digits...)
	out = append(out, 'e')
	out = strconv.AppendInt(out, exp, 10)
	return string(out)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// valueText renders one JSON value for a single-line display: strings as
// they are, numbers as written, booleans and null as their JSON words, and
// objects or arrays as compact JSON with sorted keys.
func valueText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return string(t)
	default:
		return string(appendCompact(nil, v))
	}
}

func isComposite(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}
