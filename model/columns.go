package model

import (
	"fmt"
	"reflect"
	"strings"
)

// A Column is one stored column of an entry type, where its value sits in
// the struct. The entry types carry their columns as bun tags; the walk
// that reads them is here, once, for the two mechanisms that must see
// every column without naming any: the integrity encoding (a column added
// to an entry type is logged) and the entry cache's equality (a column
// that changed is not served its old presentation).
type Column struct {
	// Name is the column's name, embed prefixes included; empty when the
	// field's bun tag names none (bun would derive one; callers that need
	// a written name refuse it).
	Name string
	// Field is the Go path of the field, for messages ("Actor.Name").
	Field string
	// Type is the field's Go type.
	Type reflect.Type
	// Offset is where the value is, from the start of the entry struct.
	Offset uintptr
}

// StoredColumns lists the stored columns of struct type t in declaration
// order, as bun maps them: fields tagged bun:"-", unexported fields,
// scanonly fields and relations are not stored; embedded structs
// (anonymous, or tagged embed:) are stored in place, their columns' names
// prefixed. An embedded pointer, which may be nil, is refused.
func StoredColumns(t reflect.Type) ([]Column, error) {
	var out []Column
	err := storedColumns(t, 0, "", "", &out)
	return out, err
}

func storedColumns(t reflect.Type, base uintptr, prefix, path string, out *[]Column) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("bun")
		if tag == "-" {
			continue
		}
		if f.Anonymous {
			switch f.Type.Kind() {
			case reflect.Struct:
				if err := storedColumns(f.Type, base+f.Offset, prefix, path, out); err != nil {
					return err
				}
			case reflect.Pointer:
				return fmt.Errorf("%s%s: an embedded pointer may be nil; embed the struct", path, f.Name)
			}
			continue // bun ignores other anonymous fields
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(name, ":") {
			name, opts = "", tag
		}
		embed, isEmbed, stored := "", false, true
		for _, o := range strings.Split(opts, ",") {
			key, value, _ := strings.Cut(o, ":")
			switch key {
			case "embed":
				embed, isEmbed = value, true
			case "scanonly", "rel", "m2m":
				stored = false
			}
		}
		switch {
		case !stored:
		case isEmbed:
			if f.Type.Kind() != reflect.Struct {
				return fmt.Errorf("%s%s: only a struct can be embedded, not %s", path, f.Name, f.Type)
			}
			if err := storedColumns(f.Type, base+f.Offset, prefix+embed, path+f.Name+".", out); err != nil {
				return err
			}
		default:
			c := Column{Field: path + f.Name, Type: f.Type, Offset: base + f.Offset}
			if name != "" {
				c.Name = prefix + name
			}
			*out = append(*out, c)
		}
	}
	return nil
}
