package display

// FieldValue is one of RawValue, RawValues, ValueChange, Diff.
type FieldValue interface{ isFieldValue() }

// RawValue is a field's single value in a created or deleted entry.
type RawValue struct{ Value string }

// RawValues is a field's list of values in a created or deleted entry.
type RawValues struct{ Values []string }

// ValueChange is a scalar or plain-object field that went from one value to another.
type ValueChange struct{ Previous, Next string }

// Diff is a collection before and after the change, each side as indented JSON.
type Diff struct{ Previous, Next string }

// Kind names the kind of value as the REST documents' discriminator does.
func (RawValue) Kind() string { return "rawValue" }

// Kind names the kind of value as the REST documents' discriminator does.
func (RawValues) Kind() string { return "rawValues" }

// Kind names the kind of value as the REST documents' discriminator does.
func (ValueChange) Kind() string { return "valueChange" }

// Kind names the kind of value as the REST documents' discriminator does.
func (Diff) Kind() string { return "diff" }

func (RawValue) isFieldValue()    {}
func (RawValues) isFieldValue()   {}
func (ValueChange) isFieldValue() {}
func (Diff) isFieldValue()        {}

// DisplayField is one labelled line of an event type history entry.
type DisplayField struct {
	Label      string     `json:"label"`
	FieldValue FieldValue `json:"fieldValue"`
}

// Discriminator values of the contract's fieldValue union.
const (
	KindRawValue    = "rawValue"
	KindRawValues   = "rawValues"
	KindValueChange = "valueChange"
	KindDiff        = "diff"
)

// Kind returns the contract discriminator: "rawValue", "rawValues",
// "valueChange", "diff". Pointers to the variants are accepted too; nil and
// foreign implementations give "".
func Kind(v FieldValue) string {
	switch t := v.(type) {
	case RawValue:
		return KindRawValue
	case *RawValue:
		if t != nil {
			return KindRawValue
		}
	case RawValues:
		return KindRawValues
	case *RawValues:
		if t != nil {
			return KindRawValues
		}
	case ValueChange:
		return KindValueChange
	case *ValueChange:
		if t != nil {
			return KindValueChange
		}
	case Diff:
		return KindDiff
	case *Diff:
		if t != nil {
			return KindDiff
		}
	}
	return ""
}

// The MarshalJSON methods give the REST shim the contract's wire shape
// ({"type":"valueChange","previous":...,"next":...}) without a parallel set of
// response structs that could drift from these.

// MarshalJSON encodes v as {"type":"rawValue","value":...}.
func (v RawValue) MarshalJSON() ([]byte, error) {
	b := append([]byte(nil), `{"type":"rawValue","value":`...)
	b = appendString(b, v.Value)
	return append(b, '}'), nil
}

// MarshalJSON encodes v as {"type":"rawValues","values":[...]}; a nil list is [].
func (v RawValues) MarshalJSON() ([]byte, error) {
	b := append([]byte(nil), `{"type":"rawValues","values":[`...)
	for i, s := range v.Values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, "]}"...), nil
}

// MarshalJSON encodes v as {"type":"valueChange","previous":...,"next":...}.
func (v ValueChange) MarshalJSON() ([]byte, error) {
	return marshalPair(KindValueChange, v.Previous, v.Next), nil
}

// MarshalJSON encodes v as {"type":"diff","previous":...,"next":...}.
func (v Diff) MarshalJSON() ([]byte, error) {
	return marshalPair(KindDiff, v.Previous, v.Next), nil
}

func marshalPair(kind, previous, next string) []byte {
	b := append([]byte(nil), `{"type":"`...)
	b = append(b, kind...)
	b = append(b, `","previous":`...)
	b = appendString(b, previous)
	b = append(b, `,"next":`...)
	b = appendString(b, next)
	return append(b, '}')
}
