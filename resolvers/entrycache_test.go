package resolvers

import (
	"reflect"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// notPresented are the columns of an event type entry that its presented
// form does not show, so the entry cache may ignore them (an entry id never
// moves to another event type).
var notPresented = map[string]bool{"IdempotencyKey": true, "EventTypeID": true}

// TestSameEventTypeEntryComparesEveryColumn guards the entry cache: its
// equality names the columns by hand, so a column added to
// model.EventTypeEntry must be added there too (or to notPresented), or a
// changed row would be served its stale presentation. Each column is
// changed in turn and must make the rows differ.
func TestSameEventTypeEntryComparesEveryColumn(t *testing.T) {
	str := func(s string) *string { return &s }
	base := model.EventTypeEntry{
		ID: "e1", EventTypeID: 2, Action: model.EventTypeModified, Type: "UPDATE",
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "WEBAPP",
		Actor:          model.ActorSnapshot{Type: model.ActorUser, Ref: str("1"), Name: str("A"), Email: str("a@x"), Avatar: str("a.png")},
		ImpersonatedBy: model.PersonSnapshot{Name: str("B"), Email: str("b@x"), Avatar: str("b.png")},
		Payload:        `{"changes":[]}`,
	}
	if !sameEventTypeEntry(&base, &base) {
		t.Fatal("an entry differs from itself")
	}
	var walk func(path string, v reflect.Value)
	checked := 0
	walk = func(path string, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), v.Type().Field(i).Name
			full := path + name
			if notPresented[full] {
				continue
			}
			if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
				walk(full+".", f)
				continue
			}
			changed := base
			cv := reflect.ValueOf(&changed).Elem().FieldByName(path[:max(0, len(path)-1)])
			if path == "" {
				cv = reflect.ValueOf(&changed).Elem()
			}
			target := cv.FieldByName(name)
			switch target.Kind() {
			case reflect.String:
				target.SetString(target.String() + "x")
			case reflect.Int64:
				target.SetInt(target.Int() + 1)
			case reflect.Pointer:
				target.Set(reflect.ValueOf(str("other")))
			case reflect.Struct: // time.Time
				target.Set(reflect.ValueOf(base.Timestamp.Add(time.Millisecond)))
			default:
				t.Fatalf("%s: a column of kind %s; teach this test to change it", full, target.Kind())
			}
			checked++
			if sameEventTypeEntry(&base, &changed) {
				t.Errorf("sameEventTypeEntry ignores %s: add it, or list it in notPresented", full)
			}
		}
	}
	walk("", reflect.ValueOf(base))
	if checked < 13 {
		t.Errorf("checked %d columns, expected at least 13", checked)
	}
}
