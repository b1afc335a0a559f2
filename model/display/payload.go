package display

import (
	"errors"
	"fmt"
	"slices"
)

// fieldLabels are the labels written for known event type fields. Other
// fields fall back to Label(field, "").
var fieldLabels = map[string]string{
	"title":                "Title",
	"slug":                 "URL",
	"description":          "Description",
	"length":               "Duration",
	"hidden":               "Hidden",
	"locations":            "Locations",
	"bookingFields":        "Booking questions",
	"hosts":                "Hosts",
	"scheduleId":           "Schedule",
	"minimumBookingNotice": "Minimum booking notice",
	"beforeEventBuffer":    "Before event buffer",
	"afterEventBuffer":     "After event buffer",
	"slotInterval":         "Slot interval",
	"price":                "Price",
	"currency":             "Currency",
	"requiresConfirmation": "Requires confirmation",
	"seatsPerTimeSlot":     "Seats per time slot",
	"periodType":           "Period type",
	"schedulingType":       "Scheduling type",
}

// FieldLabel is the label EventTypeChangePayload writes for an event type field.
func FieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return Label(field, "")
}

var errSnapshot = errors.New("display: invalid event type snapshot")

// EventTypeChangePayload computes the stored payload for an event type change
// from before/after snapshots (JSON objects of the event type's fields; before
// nil for CREATED, after nil for DELETED; an empty slice or JSON null counts
// as nil). The payload is returned whenever err is nil, even when changed is
// false, so a caller may still record a creation of an empty snapshot.
// See the package documentation for the comparison rules.
func EventTypeChangePayload(action string, before, after []byte) (payload []byte, changed bool, err error) {
	if RecordType(action) == "" {
		return nil, false, fmt.Errorf("display: unknown event type action %q", action)
	}
	b, err := snapshot(before, action != ActionEventTypeCreated, "before")
	if err != nil {
		return nil, false, err
	}
	a, err := snapshot(after, action != ActionEventTypeDeleted, "after")
	if err != nil {
		return nil, false, err
	}

	keys := make([]string, 0, len(a)+len(b))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, dup := b[k]; !dup {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	var names []string
	out := []byte(`{"version":1,"changedFields":[`)
	var body []byte
	for _, k := range keys {
		prev, hasPrev := b[k]
		next, hasNext := a[k]
		if hasPrev && hasNext && canonical(prev) == canonical(next) {
			continue
		}
		if len(names) > 0 {
			body = append(body, ',')
		}
		names = append(names, k)
		body = appendFieldChange(body, k, prev, hasPrev, next, hasNext)
	}
	for i, n := range names {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, n)
	}
	out = append(out, `],"changes":[`...)
	out = append(out, body...)
	out = append(out, "]}"...)
	return out, len(names) > 0, nil
}

// snapshot decodes one side. want says whether the action needs this side.
func snapshot(raw []byte, want bool, side string) (map[string]any, error) {
	var v any
	if len(raw) > 0 {
		var err error
		if v, err = decodeJSON(raw); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errSnapshot, side, err)
		}
	}
	if v == nil {
		if want {
			return nil, fmt.Errorf("%w: %s is required for this action", errSnapshot, side)
		}
		return map[string]any{}, nil
	}
	if !want {
		return nil, fmt.Errorf("%w: %s must be nil for this action", errSnapshot, side)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a JSON object", errSnapshot, side)
	}
	// A stored change needs a field name to be readable again.
	if _, blank := obj[""]; blank {
		return nil, fmt.Errorf("%w: %s has an empty field name", errSnapshot, side)
	}
	return obj, nil
}

func appendFieldChange(dst []byte, field string, prev any, hasPrev bool, next any, hasNext bool) []byte {
	dst = append(dst, `{"field":`...)
	dst = appendString(dst, field)
	dst = append(dst, `,"label":`...)
	dst = appendString(dst, FieldLabel(field))
	if added, removed, updated, ok := collectionChange(prev, hasPrev, next, hasNext); ok {
		dst = append(dst, `,"type":"collection","added":`...)
		dst = appendCompact(dst, added)
		dst = append(dst, `,"removed":`...)
		dst = appendCompact(dst, removed)
		dst = append(dst, `,"updated":[`...)
		for i, u := range updated {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"previousValue":`...)
			dst = appendCompact(dst, u.prev)
			dst = append(dst, `,"newValue":`...)
			dst = appendCompact(dst, u.next)
			dst = append(dst, '}')
		}
		return append(dst, "]}"...)
	}
	dst = append(dst, `,"type":"value"`...)
	if hasPrev {
		dst = append(dst, `,"previousValue":`...)
		dst = appendCompact(dst, prev)
	}
	if hasNext {
		dst = append(dst, `,"newValue":`...)
		dst = appendCompact(dst, next)
	}
	return append(dst, '}')
}

// collectionChange decides whether a field is a collection of objects and, if
// so, what was added, removed and updated. ok is false when the field must be
// stored as a value change instead: a side that is present but not a list of
// objects, two empty lists, or a pure reordering (which added/removed/updated
// cannot express, so the whole lists are kept as a value change).
func collectionChange(prev any, hasPrev bool, next any, hasNext bool) (added, removed []any, updated []updatedItem, ok bool) {
	var before, after []any
	if hasPrev {
		if before, ok = objectList(prev); !ok {
			return nil, nil, nil, false
		}
	}
	if hasNext {
		if after, ok = objectList(next); !ok {
			return nil, nil, nil, false
		}
	}
	if len(before) == 0 && len(after) == 0 {
		return nil, nil, nil, false
	}
	added, removed, updated = []any{}, []any{}, []updatedItem{}
	if beforeIDs, afterIDs := idIndex(before), idIndex(after); beforeIDs != nil && afterIDs != nil {
		for _, item := range before {
			if _, kept := afterIDs[idKey(item)]; !kept {
				removed = append(removed, item)
			}
		}
		for _, item := range after {
			j, existed := beforeIDs[idKey(item)]
			switch {
			case !existed:
				added = append(added, item)
			case canonical(before[j]) != canonical(item):
				updated = append(updated, updatedItem{prev: before[j], next: item})
			}
		}
	} else {
		unmatched := make(map[string][]int, len(before))
		for i, item := range before {
			k := canonical(item)
			unmatched[k] = append(unmatched[k], i)
		}
		matched := make([]bool, len(before))
		for _, item := range after {
			k := canonical(item)
			if idx := unmatched[k]; len(idx) > 0 {
				matched[idx[0]] = true
				unmatched[k] = idx[1:]
				continue
			}
			added = append(added, item)
		}
		for i, item := range before {
			if !matched[i] {
				removed = append(removed, item)
			}
		}
	}
	if len(added) == 0 && len(removed) == 0 && len(updated) == 0 {
		return nil, nil, nil, false
	}
	return added, removed, updated, true
}

// objectList reports whether v is a list whose items are all objects.
func objectList(v any) ([]any, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, item := range list {
		if _, isObj := item.(map[string]any); !isObj {
			return nil, false
		}
	}
	return list, true
}

// idIndex maps each item's canonical "id" to its position, or returns nil
// when some item has no "id" or two items share one: matching by id is only
// sound when ids identify items.
func idIndex(list []any) map[string]int {
	idx := make(map[string]int, len(list))
	for i, item := range list {
		obj, _ := item.(map[string]any)
		id, ok := obj["id"]
		if !ok {
			return nil
		}
		k := canonical(id)
		if _, dup := idx[k]; dup {
			return nil
		}
		idx[k] = i
	}
	return idx
}

func idKey(item any) string {
	obj, _ := item.(map[string]any)
	return canonical(obj["id"])
}
