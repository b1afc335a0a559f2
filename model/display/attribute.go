package display

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Attribute assignment change types.
const (
	AttributeAssigned      = "ASSIGNED"
	AttributeUnassigned    = "UNASSIGNED"
	AttributeValueChanged  = "VALUE_CHANGED"
	AttributeWeightChanged = "WEIGHT_CHANGED"
)

var attributeInputTypes = map[string]bool{
	"TEXT":          true,
	"NUMBER":        true,
	"SINGLE_SELECT": true,
	"MULTI_SELECT":  true,
}

// Attribute is the attribute an assignment change is about.
type Attribute struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// AttributeValue is one side of an assignment change.
type AttributeValue struct {
	OptionID   string   `json:"optionId"`
	OptionSlug string   `json:"optionSlug"`
	Value      string   `json:"value"`
	Weight     *float64 `json:"weight"`
}

// AttributeChange is one entry of a stored attribute assignment audit log.
type AttributeChange struct {
	Type      string          `json:"type"`
	Attribute Attribute       `json:"attribute"`
	Previous  *AttributeValue `json:"previous"`
	Current   *AttributeValue `json:"current"`
}

var errAttribute = errors.New("display: malformed attribute changes")

func attrErr(i int, format string, args ...any) error {
	return fmt.Errorf("%w: change %d: "+format, append([]any{errAttribute, i}, args...)...)
}

// ParseAttributeChanges parses the stored `changes` JSON (an array of
// AttributeChange in its JSON form). Any structural problem is an error, so
// the caller can show hasError instead of a half-read entry. Keys are matched
// exactly (encoding/json would also accept "TYPE" for "type"), unknown keys
// are ignored, and the change type must agree with which sides are present:
// ASSIGNED has only current, UNASSIGNED only previous, VALUE_CHANGED and
// WEIGHT_CHANGED both. Whether the values really differ is not re-checked;
// the stored type is what was recorded.
func ParseAttributeChanges(raw []byte) ([]AttributeChange, error) {
	root, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errAttribute, err)
	}
	list, ok := root.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: not an array", errAttribute)
	}
	out := make([]AttributeChange, 0, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, attrErr(i, "not an object")
		}
		var c AttributeChange
		if c.Type, ok = obj["type"].(string); !ok {
			return nil, attrErr(i, "type is missing or not a string")
		}
		attr, ok := obj["attribute"].(map[string]any)
		if !ok {
			return nil, attrErr(i, "attribute is missing or not an object")
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"id", &c.Attribute.ID}, {"slug", &c.Attribute.Slug}, {"name", &c.Attribute.Name}, {"type", &c.Attribute.Type}} {
			if *f.dst, ok = attr[f.key].(string); !ok {
				return nil, attrErr(i, "attribute.%s is missing or not a string", f.key)
			}
		}
		if c.Attribute.ID == "" {
			return nil, attrErr(i, "attribute.id is empty")
		}
		if !attributeInputTypes[c.Attribute.Type] {
			return nil, attrErr(i, "unknown attribute type %q", c.Attribute.Type)
		}
		if c.Previous, err = parseAttributeValue(obj, "previous"); err != nil {
			return nil, attrErr(i, "%v", err)
		}
		if c.Current, err = parseAttributeValue(obj, "current"); err != nil {
			return nil, attrErr(i, "%v", err)
		}
		var wantPrev, wantCur bool
		switch c.Type {
		case AttributeAssigned:
			wantCur = true
		case AttributeUnassigned:
			wantPrev = true
		case AttributeValueChanged, AttributeWeightChanged:
			wantPrev, wantCur = true, true
		default:
			return nil, attrErr(i, "unknown change type %q", c.Type)
		}
		if (c.Previous != nil) != wantPrev || (c.Current != nil) != wantCur {
			return nil, attrErr(i, "%s does not match the previous/current values present", c.Type)
		}
		out = append(out, c)
	}
	return out, nil
}

// parseAttributeValue reads obj[key]; absent or null is nil.
func parseAttributeValue(obj map[string]any, key string) (*AttributeValue, error) {
	raw, has := obj[key]
	if !has || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", key)
	}
	var v AttributeValue
	for _, f := range []struct {
		key string
		dst *string
	}{{"optionId", &v.OptionID}, {"optionSlug", &v.OptionSlug}, {"value", &v.Value}} {
		if *f.dst, ok = m[f.key].(string); !ok {
			return nil, fmt.Errorf("%s.%s is missing or not a string", key, f.key)
		}
	}
	if w, has := m["weight"]; has && w != nil {
		n, ok := w.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s.weight is not a number", key)
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s.weight is out of range", key)
		}
		v.Weight = &f
	}
	return &v, nil
}

// ClassifyAttributeChange names the change from prev to cur: prev nil and
// cur non-nil is ASSIGNED; prev non-nil and cur nil UNASSIGNED; a different
// option id or value VALUE_CHANGED; only a different weight WEIGHT_CHANGED;
// nothing different (or both nil) gives ok=false.
// The option slug is not compared: it follows the option id, so a slug-only
// difference is a renamed option, not a change of assignment.
func ClassifyAttributeChange(prev, cur *AttributeValue) (changeType string, ok bool) {
	switch {
	case prev == nil && cur == nil:
		return "", false
	case prev == nil:
		return AttributeAssigned, true
	case cur == nil:
		return AttributeUnassigned, true
	case prev.OptionID != cur.OptionID || prev.Value != cur.Value:
		return AttributeValueChanged, true
	case !sameWeight(prev.Weight, cur.Weight):
		return AttributeWeightChanged, true
	}
	return "", false
}

func sameWeight(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b || (math.IsNaN(*a) && math.IsNaN(*b))
}
