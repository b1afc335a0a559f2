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
