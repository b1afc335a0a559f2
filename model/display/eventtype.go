package display

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Event type audit actions.
const (
	ActionEventTypeCreated  = "EVENT_TYPE_CREATED"
	ActionEventTypeModified = "EVENT_TYPE_MODIFIED"
	ActionEventTypeDeleted  = "EVENT_TYPE_DELETED"
)

// Record types reported in an entry's "type".
const (
	RecordCreated  = "RECORD_CREATED"
	RecordModified = "RECORD_MODIFIED"
	RecordDeleted  = "RECORD_DELETED"
)

// Change types inside a stored payload.
const (
	changeValue      = "value"
	changeCollection = "collection"
)

// Absent is shown for a previousValue or newValue missing from a value change.
const Absent = "—"

// RecordType maps an action to RECORD_CREATED / RECORD_MODIFIED /
// RECORD_DELETED, and an unknown action to "" so that callers cannot mistake
// it for a valid record type.
func RecordType(action string) string {
	switch action {
	case ActionEventTypeCreated:
		return RecordCreated
	case ActionEventTypeModified:
		return RecordModified
	case ActionEventTypeDeleted:
		return RecordDeleted
	}
	return ""
}

// ActionDisplayTitle returns "<name> created the event type", "... modified
// ..." or "... deleted ..."; an unknown action reads "... changed the event
// type", which stays true whatever the action was.
func ActionDisplayTitle(action, actorDisplayName string) string {
	verb := "changed"
	switch action {
	case ActionEventTypeCreated:
		verb = "created"
	case ActionEventTypeModified:
		verb = "modified"
	case ActionEventTypeDeleted:
		verb = "deleted"
	}
	return actorDisplayName + " " + verb + " the event type"
}

// EventTypeRendering is what an event type history entry shows.
type EventTypeRendering struct {
	DisplayFields []DisplayField // never nil (empty slice on error)
	DisplayJSON   []byte         // the payload re-encoded with all object keys sorted (compact JSON), nil when HasError
	HasError      bool
}

// RenderEventTypePayload renders a stored event type change payload. action
// is EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED or EVENT_TYPE_DELETED; any other
// action, and any payload that does not have the stored format, gives
// HasError. See the package documentation for the rules.
func RenderEventTypePayload(action string, payload []byte) EventTypeRendering {
	root, changes, err := parseEventTypePayload(action, payload)
	if err != nil {
		return EventTypeRendering{DisplayFields: []DisplayField{}, HasError: true}
	}
	fields := make([]DisplayField, 0, len(changes))
	for _, c := range changes {
		fields = append(fields, DisplayField{Label: Label(c.field, c.label), FieldValue: c.render(action)})
	}
	return EventTypeRendering{DisplayFields: fields, DisplayJSON: appendCompact(nil, root)}
}

// CheckEventTypePayload reports why RenderEventTypePayload would give
// HasError for action and payload, or nil: the check of what is written,
// without the rendering.
func CheckEventTypePayload(action string, payload []byte) error {
	_, _, err := parseEventTypePayload(action, payload)
	return err
}

func parseEventTypePayload(action string, payload []byte) (any, []payloadChange, error) {
	if RecordType(action) == "" {
		return nil, nil, payloadErr("unknown action %q", action)
	}
	root, err := decodeJSON(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errPayload, err)
	}
	changes, err := parsePayload(root)
	if err != nil {
		return nil, nil, err
	}
	return root, changes, nil
}

type payloadChange struct {
	field, label, kind string
	// value changes
	prev, next       any
	hasPrev, hasNext bool
	// collection changes
	added, removed []any
	updated        []updatedItem
}

type updatedItem struct{ prev, next any }

func (c payloadChange) render(action string) FieldValue {
	switch action {
	case ActionEventTypeCreated, ActionEventTypeDeleted:
		if c.kind == changeCollection {
			if action == ActionEventTypeCreated {
				return RawValues{Values: listTexts(c.added)}
			}
			return RawValues{Values: listTexts(c.removed)}
		}
		v, has := c.next, c.hasNext
		if action == ActionEventTypeDeleted {
			v, has = c.prev, c.hasPrev
		}
		if !has {
			return RawValue{Value: Absent}
		}
		if list, ok := v.([]any); ok {
			return RawValues{Values: listTexts(list)}
		}
		return RawValue{Value: valueText(v)}
	default:
		if c.kind == changeCollection {
			before := make([]any, 0, len(c.removed)+len(c.updated))
			before = append(before, c.removed...)
			after := make([]any, 0, len(c.added)+len(c.updated))
			after = append(after, c.added...)
			for _, u := range c.updated {
				before = append(before, u.prev)
				after = append(after, u.next)
			}
			return Diff{Previous: string(appendIndented(nil, before)), Next: string(appendIndented(nil, after))}
		}
		return ValueChange{Previous: optionalText(c.prev, c.hasPrev), Next: optionalText(c.next, c.hasNext)}
	}
}

func optionalText(v any, has bool) string {
	if !has {
		return Absent
	}
	return valueText(v)
}

// listTexts renders list items one per entry. A list holding any object or
// array renders every item as compact JSON, so that a string item still reads
// as a string ("\"x\"") next to its structured neighbours.
func listTexts(list []any) []string {
	out := make([]string, 0, len(list))
	composite := false
	for _, v := range list {
		if isComposite(v) {
			composite = true
			break
		}
	}
	for _, v := range list {
		if composite {
			out = append(out, string(appendCompact(nil, v)))
		} else {
			out = append(out, valueText(v))
		}
	}
	return out
}

var errPayload = errors.New("display: malformed event type payload")

func payloadErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errPayload}, args...)...)
}

// parsePayload checks the stored format strictly where it carries meaning and
// ignores keys it does not know.
func parsePayload(root any) ([]payloadChange, error) {
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, payloadErr("not an object")
	}
	if v, ok := obj["version"]; ok {
		n, isNum := v.(json.Number)
		if !isNum || normalizeNumber(string(n)) != "1e0" {
			return nil, payloadErr("unsupported version")
		}
	}
	if v, ok := obj["changedFields"]; ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			return nil, payloadErr("changedFields is not an array")
		}
		for _, f := range list {
			if _, isStr := f.(string); !isStr {
				return nil, payloadErr("changedFields holds a non-string")
			}
		}
	}
	list, ok := obj["changes"].([]any)
	if !ok {
		return nil, payloadErr("changes is missing or not an array")
	}
	out := make([]payloadChange, 0, len(list))
	for i, item := range list {
		c, err := parseChange(item)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseChange(item any) (payloadChange, error) {
	var c payloadChange
	obj, ok := item.(map[string]any)
	if !ok {
		return c, payloadErr("change is not an object")
	}
	if c.field, ok = obj["field"].(string); !ok || c.field == "" {
		return c, payloadErr("change has no field")
	}
	if v, has := obj["label"]; has && v != nil {
		if c.label, ok = v.(string); !ok {
			return c, payloadErr("label is not a string")
		}
	}
	c.kind, _ = obj["type"].(string)
	switch c.kind {
	case changeValue:
		c.prev, c.hasPrev = obj["previousValue"]
		c.next, c.hasNext = obj["newValue"]
	case changeCollection:
		var err error
		if c.added, err = optionalList(obj, "added"); err != nil {
			return c, err
		}
		if c.removed, err = optionalList(obj, "removed"); err != nil {
			return c, err
		}
		updated, err := optionalList(obj, "updated")
		if err != nil {
			return c, err
		}
		c.updated = make([]updatedItem, 0, len(updated))
		for _, u := range updated {
			pair, isObj := u.(map[string]any)
			if !isObj {
				return c, payloadErr("updated item is not an object")
			}
			prev, hasPrev := pair["previousValue"]
			next, hasNext := pair["newValue"]
			if !hasPrev || !hasNext {
				return c, payloadErr("updated item lacks previousValue or newValue")
			}
			c.updated = append(c.updated, updatedItem{prev: prev, next: next})
		}
	default:
		return c, payloadErr("unknown change type %q", c.kind)
	}
	return c, nil
}

// optionalList reads a collection side; absent or null means empty.
func optionalList(obj map[string]any, key string) ([]any, error) {
	v, ok := obj[key]
	if !ok || v == nil {
		return []any{}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, payloadErr("%s is not an array", key)
	}
	return list, nil
}
