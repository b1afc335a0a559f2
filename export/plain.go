package export

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A history's plain columns (model.EventTypePlain, …) are declared once, in
// model; the CSV file takes them from that declaration as it takes the
// NDJSON line: each field is a column named by its json name, after the
// history's own columns, so a column added to a history is exported
// without a change here.

// plainHeader names the CSV columns of the plain column group t.
func plainHeader(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// plainCells are the CSV cells of the plain column group v, in
// plainHeader's order: NULL is empty, text is guarded like every tenant
// value (cell).
func plainCells(v any) []string {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	var cells []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == "-" {
			continue
		}
		cells = append(cells, plainCell(rv.Field(i)))
	}
	return cells
}

func plainCell(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if t, ok := v.Interface().(time.Time); ok {
		return stamp(t)
	}
	switch v.Kind() {
	case reflect.String:
		return cell(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return cell(fmt.Sprint(v.Interface()))
}
