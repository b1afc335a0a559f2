package display

import (
	"errors"
	"fmt"
)

// MemberChange is one field change of a member change log.
type MemberChange struct {
	Field    string  `json:"field"`
	OldValue *string `json:"old_value"`
	NewValue *string `json:"new_value"`
}

var errMember = errors.New("display: malformed member changes")

// ParseMemberChanges parses a stored JSON array of {field, old_value,
// new_value}. field must be a non-empty string. Values may be any JSON:
// strings as they are, null or a missing key as nil, anything else as
// compact JSON text with sorted keys (numbers keep their written form).
func ParseMemberChanges(raw []byte) ([]MemberChange, error) {
	root, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMember, err)
	}
	list, ok := root.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: not an array", errMember)
	}
	out := make([]MemberChange, 0, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: change %d is not an object", errMember, i)
		}
		field, ok := obj["field"].(string)
		if !ok || field == "" {
			return nil, fmt.Errorf("%w: change %d has no field", errMember, i)
		}
		out = append(out, MemberChange{Field: field, OldValue: memberValue(obj["old_value"]), NewValue: memberValue(obj["new_value"])})
	}
	return out, nil
}

func memberValue(v any) *string {
	if v == nil {
		return nil
	}
	s := valueText(v)
	return &s
}
