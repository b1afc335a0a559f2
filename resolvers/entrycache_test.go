package resolvers

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// leaves are the index paths of v's fields, nested structs flattened, as
// sameColumns sees them (time.Time is one).
func leaves(t reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := 0; i < t.NumField(); i++ {
		idx := append(append([]int{}, prefix...), i)
		if f := t.Field(i).Type; f.Kind() == reflect.Struct && f != timeType {
			out = append(out, leaves(f, idx)...)
			continue
		}
		out = append(out, idx)
	}
	return out
}

func fieldName(t reflect.Type, idx []int) string {
	var names []string
	for _, i := range idx {
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return strings.Join(names, ".")
}

// change sets v to a value different from the one it holds.
func change(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Millisecond)))
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			return
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(v.Elem())
		change(t, name, p.Elem())
		v.Set(p)
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	default:
		t.Fatalf("%s: a field of kind %s; teach this test to change it", name, v.Kind())
	}
}

// assertSeesEveryField changes each field of base in turn (nested structs
// flattened) and requires same to tell the copies apart; it returns how
// many fields it changed.
func assertSeesEveryField[T any](t *testing.T, base T, same func(a, b *T) bool) int {
	t.Helper()
	if c := base; !same(&base, &c) {
		t.Fatal("a value differs from its copy")
	}
	typ := reflect.TypeFor[T]()
	paths := leaves(typ, nil)
	for _, idx := range paths {
		name := fieldName(typ, idx)
		changed := base
		change(t, name, reflect.ValueOf(&changed).Elem().FieldByIndex(idx))
		if same(&base, &changed) || same(&changed, &base) {
			t.Errorf("the equality ignores %s", name)
		}
	}
	return len(paths)
}

// TestSameEventTypeEntryComparesEveryColumn guards the entry cache: a
// column of model.EventTypeEntry the equality missed would let a changed row
// be served its stale presentation. Every field is changed in turn, the
// ones added later included, so the test needs no list of them.
func TestSameEventTypeEntryComparesEveryColumn(t *testing.T) {
	str := func(s string) *string { return &s }
	base := model.EventTypeEntry{
		ID: "e1", EventTypeID: 2, Action: model.EventTypeModified, Type: "RECORD_MODIFIED",
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: "WEBAPP",
		Actor:          model.ActorSnapshot{Type: model.ActorUser, Ref: str("1"), Name: str("A"), Email: str("a@x"), Avatar: str("a.png")},
		ImpersonatedBy: model.PersonSnapshot{Name: str("B"), Email: str("b@x"), Avatar: str("b.png")},
		Payload:        `{"changes":[]}`, IdempotencyKey: str("2:k"),
	}
	if n := assertSeesEveryField(t, base, sameEventTypeEntry); n < 15 {
		t.Errorf("changed %d fields, expected at least the 15 of today", n)
	}
	// Pointers compare their values; a nil one differs from any other.
	copied := base
	copied.Actor.Name, copied.IdempotencyKey = str("A"), str("2:k")
	if !sameEventTypeEntry(&base, &copied) {
		t.Error("equal strings behind different pointers differ")
	}
	copied.Actor.Name = nil
	if sameEventTypeEntry(&base, &copied) || sameEventTypeEntry(&copied, &base) {
		t.Error("a nil pointer equals a set one")
	}
	// The same instant in another location is shown otherwise.
	copied = base
	copied.Timestamp = base.Timestamp.In(time.FixedZone("X", 3600))
	if sameEventTypeEntry(&base, &copied) {
		t.Error("the same instant in another location compares equal")
	}
	copied.Timestamp = base.Timestamp.Add(0).Round(0)
	if !sameEventTypeEntry(&base, &copied) {
		t.Error("an equal time compares different")
	}
}

// TestSameColumnsKinds covers every kind sameColumns compares, in nested
// and embedded structs.
func TestSameColumnsKinds(t *testing.T) {
	type inner struct {
		S  string
		SP *string
		I  int64
		IP *int64
	}
	type Embedded struct {
		B  bool
		BP *bool
	}
	type named string
	type all struct {
		Embedded
		N  named
		In inner `bun:"embed:in_"`
		F  float64
		FP *float64
		X  int
		T  time.Time
	}
	s, i, b, f := "s", int64(1), true, 1.5
	base := all{Embedded: Embedded{B: true, BP: &b}, N: "n", In: inner{S: "a", SP: &s, I: 2, IP: &i}, F: 0.5, FP: &f, X: 3,
		T: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	if n := assertSeesEveryField(t, base, sameColumns[all]()); n != 11 {
		t.Errorf("changed %d fields, want 11", n)
	}
	nils := all{}
	if n := assertSeesEveryField(t, nils, sameColumns[all]()); n != 11 {
		t.Errorf("changed %d fields from nil, want 11", n)
	}
}

// TestSameColumnsRefusesUnknownKinds: a field it cannot compare stops it
// being built, rather than being skipped.
func TestSameColumnsRefusesUnknownKinds(t *testing.T) {
	type withSlice struct {
		ID   string
		Tags []string
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Tags") {
			t.Errorf("recovered %v, want a panic naming Tags", r)
		}
	}()
	sameColumns[withSlice]()
}

// BenchmarkSameEventTypeEntry is the entry cache's check, once per entry
// of every event type page read.
func BenchmarkSameEventTypeEntry(b *testing.B) {
	str := func(s string) *string { return &s }
	x := model.EventTypeEntry{ID: "0190b5c2-7d1e-7c4a-9f00-000000000001", EventTypeID: 3, Action: model.EventTypeModified,
		Type: "RECORD_MODIFIED", Timestamp: time.Now().UTC(), Source: "WEBAPP",
		Actor:   model.ActorSnapshot{Type: model.ActorUser, Ref: str("1"), Name: str("Ada Lovelace"), Email: str("ada@example.org")},
		Payload: `{"changes":[{"field":"title","previous":"a","next":"b"}]}`, IdempotencyKey: str("1:k")}
	y := x
	y.Actor.Name, y.IdempotencyKey = str("Ada Lovelace"), str("1:k")
	for b.Loop() {
		if !sameEventTypeEntry(&x, &y) {
			b.Fatal("differ")
		}
	}
}
