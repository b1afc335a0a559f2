package model

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Text the database refuses: PostgreSQL text cannot hold a NUL byte, and
// bytes that are not UTF-8 are refused by both dialects' drivers or stored
// mangled. Such input is bad input wherever it arrives; this is the one
// definition of it.

// FindBadText walks v (strings, pointers, slices, maps, structs) for bad
// text and returns the path of the first, starting at path.
func FindBadText(v any, path string) (string, bool) {
	return badText(reflect.ValueOf(v), path, 0)
}

// BadText reports whether s cannot be stored as text.
func BadText(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}

// badText walks v (strings, pointers, slices, maps, structs) for bad text
// and returns the path of the first. depth bounds the walk; input depth is
// bounded by the document limits long before.
func badText(v reflect.Value, path string, depth int) (string, bool) {
	if depth > 64 || !v.IsValid() {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		return path, BadText(v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return badText(v.Elem(), path, depth+1)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// Raw JSON (the JSON scalar) is encoder output: escaped, valid.
			return "", false
		}
		for i := 0; i < v.Len(); i++ {
			if p, bad := badText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); bad {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := fmt.Sprint(it.Key().Interface())
			if BadText(k) {
				return path, true
			}
			if p, bad := badText(it.Value(), path+"."+k, depth+1); bad {
				return p, true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			name := t.Field(i).Name
			tag := t.Field(i).Tag.Get("json")
			if tag != "" && tag != "-" {
				name, _, _ = strings.Cut(tag, ",")
			}
			at := path + "." + name
			if ft := t.Field(i).Type; t.Field(i).Anonymous && tag == "" &&
				(ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct) {
				at = path // an embedded struct's fields are its container's, as in JSON
			}
			if p, bad := badText(v.Field(i), at, depth+1); bad {
				return p, true
			}
		}
	}
	return "", false
}
