package integrity

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/auditgraph/auditgraph/model"
)

// An entry's encoding is derived from its model type (model/history.go):
// its stored columns are its bun-tagged fields in declaration order, the
// fields of embedded structs in place. The walk over the type is done once
// per history; encoding an entry then reads each column at its offset in
// the struct, with no reflection and one allocation per entry.

// columnKind is how a column's Go type is encoded.
type columnKind uint8

const (
	colText         columnKind = iota + 1 // string
	colOptText                            // *string
	colBigint                             // int64
	colOptBigint                          // *int64
	colTimestamp                          // time.Time
	colOptTimestamp                       // *time.Time
)

// kindOf is how a field of type t is encoded: strings and int64s by their
// kind (a named string type is text), times by their type; false when the
// encoding has no tag for it.
func kindOf(t reflect.Type) (columnKind, bool) {
	timeType := reflect.TypeFor[time.Time]()
	switch {
	case t == timeType:
		return colTimestamp, true
	case t.Kind() == reflect.String:
		return colText, true
	case t.Kind() == reflect.Int64:
		return colBigint, true
	case t.Kind() != reflect.Pointer:
		return 0, false
	case t.Elem() == timeType:
		return colOptTimestamp, true
	case t.Elem().Kind() == reflect.String:
		return colOptText, true
	case t.Elem().Kind() == reflect.Int64:
		return colOptBigint, true
	}
	return 0, false
}

func (k columnKind) nullable() bool {
	return k == colOptText || k == colOptBigint || k == colOptTimestamp
}

// column is one stored column: its name (for messages and tests), how it
// is encoded, and where its value is in the entry struct.
type column struct {
	name   string
	kind   columnKind
	offset uintptr
}

// null reports whether the column of the entry at p is NULL.
func (c *column) null(p unsafe.Pointer) bool {
	return c.kind.nullable() && *(*unsafe.Pointer)(unsafe.Add(p, c.offset)) == nil
}

// size is the length of the column's encoded value.
func (c *column) size(p unsafe.Pointer) int {
	at := unsafe.Add(p, c.offset)
	switch c.kind {
	case colText:
		return 5 + len(*(*string)(at))
	case colOptText:
		if s := *(**string)(at); s != nil {
			return 5 + len(*s)
		}
		return 1
	case colBigint, colTimestamp:
		return 9
	}
	if *(*unsafe.Pointer)(at) == nil {
		return 1
	}
	return 9
}

// append appends the column's tagged value of the entry at p.
func (c *column) append(e []byte, p unsafe.Pointer) []byte {
	at := unsafe.Add(p, c.offset)
	switch c.kind {
	case colText:
		return appendText(e, *(*string)(at))
	case colOptText:
		if s := *(**string)(at); s != nil {
			return appendText(e, *s)
		}
	case colBigint:
		return appendInt(e, tagInt, *(*int64)(at))
	case colOptBigint:
		if v := *(**int64)(at); v != nil {
			return appendInt(e, tagInt, *v)
		}
	case colTimestamp:
		return appendInt(e, tagTime, (*time.Time)(at).UnixMicro())
	case colOptTimestamp:
		if t := *(**time.Time)(at); t != nil {
			return appendInt(e, tagTime, t.UnixMicro())
		}
	}
	return append(e, tagNull)
}

func appendText(e []byte, s string) []byte {
	e = append(e, tagText)
	e = binary.BigEndian.AppendUint32(e, uint32(len(s)))
	return append(e, s...)
}

func appendInt(e []byte, tag byte, v int64) []byte {
	e = append(e, tag)
	return binary.BigEndian.AppendUint64(e, uint64(v))
}

// layout is the encoding of the entries of one history, whose model type
// is T. The first fixed columns are those of the encoding version and are
// always encoded; the columns after them were added later, are nullable,
// and are encoded up to the last one that is not NULL (see the package
// doc, "Columns added later").
type layout[T any] struct {
	history History
	columns []column
	fixed   int
}

// newLayout derives the layout of T, whose encoding version has fixed
// columns. It panics when T cannot be encoded: a column of a type the
// encoding has no tag for, a field with no column name, fewer columns than
// the version has, or a NOT NULL column after them (each needs a new
// encoding version). The panic happens when the package is initialized,
// so every test of every package using it fails.
func newLayout[T any](h History, fixed int) *layout[T] {
	t := reflect.TypeFor[T]()
	l := &layout[T]{history: h, fixed: fixed}
	if err := l.add(t); err != nil {
		panic(fmt.Sprintf("integrity: the entries of %s (%s) cannot be encoded: %v", h, t, err))
	}
	if len(l.columns) < fixed {
		panic(fmt.Sprintf("integrity: %s has %d stored columns, encoding version %d has %d", t, len(l.columns), Version, fixed))
	}
	for _, c := range l.columns[fixed:] {
		if !c.kind.nullable() {
			panic(fmt.Sprintf("integrity: %s.%s is NOT NULL and not in encoding version %d: "+
				"entries logged before it was added would no longer verify; make it nullable or define a new version",
				t, c.name, Version))
		}
	}
	return l
}

// add appends the stored columns of struct type t (model.StoredColumns),
// each with how it is encoded.
func (l *layout[T]) add(t reflect.Type) error {
	cols, err := model.StoredColumns(t)
	if err != nil {
		return err
	}
	for _, c := range cols {
		kind, ok := kindOf(c.Type)
		if !ok {
			return fmt.Errorf("%s: the encoding has no tag for a column of type %s (a new type is a new encoding version)", c.Field, c.Type)
		}
		if c.Name == "" {
			return fmt.Errorf("%s: a stored field needs its column name in its bun tag (or bun:\"-\")", c.Field)
		}
		l.columns = append(l.columns, column{name: c.Name, kind: kind, offset: c.Offset})
	}
	return nil
}

// encode is the canonical encoding of x.
func (l *layout[T]) encode(x *T) []byte {
	p := unsafe.Pointer(x)
	cols := l.columns
	for len(cols) > l.fixed && cols[len(cols)-1].null(p) {
		cols = cols[:len(cols)-1]
	}
	size := len(Magic) + 2
	for i := range cols {
		size += cols[i].size(p)
	}
	e := make([]byte, 0, size)
	e = append(e, Magic...)
	e = append(e, Version, byte(l.history))
	for i := range cols {
		e = cols[i].append(e, p)
	}
	return e
}

// names lists the stored columns in encoding order.
func (l *layout[T]) names() []string {
	var out []string
	for _, c := range l.columns {
		out = append(out, c.name)
	}
	return out
}
