package resolvers

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/auditgraph/auditgraph/model"
)

// sameColumns returns an equality of T's values over every stored column
// (model.StoredColumns: embedded structs flattened), without naming any: the entry cache must
// see a change in any column, one added later included, and a list of
// fields kept by hand goes stale. Pointers compare what they point to,
// times by Equal and Location (what a row read twice gives back).
//
// The fields are found once by reflection, as offsets and kinds; the
// comparison then reads them in place. It runs for every entry of every
// event type page, the hottest read, where comparing through
// reflect.Value costs six times as much (about 190 ns an entry against 30;
// BenchmarkSameEventTypeEntry). The offsets come from T's own type, so
// each read is of the type the field has.
//
// A field of a kind it does not know panics when the equality is built,
// at package initialization: a column it could not compare would let a
// changed row be served its stale presentation.
func sameColumns[T any]() func(a, b *T) bool {
	fields := comparedColumns(reflect.TypeFor[T]())
	return func(a, b *T) bool {
		pa, pb := unsafe.Pointer(a), unsafe.Pointer(b)
		for _, f := range fields {
			x, y := unsafe.Add(pa, f.offset), unsafe.Add(pb, f.offset)
			var same bool
			switch f.kind {
			case columnString:
				same = *(*string)(x) == *(*string)(y)
			case columnInt64:
				same = *(*int64)(x) == *(*int64)(y)
			case columnInt:
				same = *(*int)(x) == *(*int)(y)
			case columnBool:
				same = *(*bool)(x) == *(*bool)(y)
			case columnFloat64:
				same = *(*float64)(x) == *(*float64)(y)
			case columnTime:
				tx, ty := (*time.Time)(x), (*time.Time)(y)
				same = tx.Equal(*ty) && tx.Location() == ty.Location()
			case columnStringPtr:
				same = samePointee(*(**string)(x), *(**string)(y))
			case columnInt64Ptr:
				same = samePointee(*(**int64)(x), *(**int64)(y))
			case columnBoolPtr:
				same = samePointee(*(**bool)(x), *(**bool)(y))
			case columnFloat64Ptr:
				same = samePointee(*(**float64)(x), *(**float64)(y))
			}
			if !same {
				return false
			}
		}
		return true
	}
}

type columnKind uint8

const (
	columnString columnKind = iota
	columnInt64
	columnInt
	columnBool
	columnFloat64
	columnTime
	columnStringPtr
	columnInt64Ptr
	columnBoolPtr
	columnFloat64Ptr
)

type column struct {
	offset uintptr
	kind   columnKind
}

var timeType = reflect.TypeFor[time.Time]()

// comparedColumns finds the stored columns of t and how each compares.
func comparedColumns(t reflect.Type) []column {
	cols, err := model.StoredColumns(t)
	if err != nil {
		panic(fmt.Sprintf("sameColumns: %s: %v", t, err))
	}
	out := make([]column, 0, len(cols))
	for _, c := range cols {
		if c.Type == timeType {
			out = append(out, column{c.Offset, columnTime})
			continue
		}
		kind, ok := columnKindOf(c.Type)
		if !ok {
			panic(fmt.Sprintf("sameColumns: %s.%s is a %s, which it cannot compare; teach it", t, c.Field, c.Type))
		}
		out = append(out, column{c.Offset, kind})
	}
	return out
}

func columnKindOf(t reflect.Type) (columnKind, bool) {
	pointer := t.Kind() == reflect.Pointer
	if pointer {
		t = t.Elem()
	}
	// Named types (an enum's string) compare as their kind.
	kinds := map[reflect.Kind][2]columnKind{
		reflect.String:  {columnString, columnStringPtr},
		reflect.Int64:   {columnInt64, columnInt64Ptr},
		reflect.Bool:    {columnBool, columnBoolPtr},
		reflect.Float64: {columnFloat64, columnFloat64Ptr},
	}
	if !pointer && t.Kind() == reflect.Int {
		return columnInt, true
	}
	k, ok := kinds[t.Kind()]
	if !ok {
		return 0, false
	}
	if pointer {
		return k[1], true
	}
	return k[0], true
}

func samePointee[V comparable](a, b *V) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
