package rest

import "testing"

func TestDropFalseHasError(t *testing.T) {
	for in, want := range map[string]string{
		``:                         ``,
		`{"a":1}`:                  `{"a":1}`,
		`{"a":1,"hasError":false}`: `{"a":1}`,
		`{"a":1,"hasError":true}`:  `{"a":1,"hasError":true}`,
		`{"a":"x","hasError":false},{"b":2,"hasError":true},{"c":3,"hasError":false}`: `{"a":"x"},{"b":2,"hasError":true},{"c":3}`,
		`{"a":1,"hasError":false},{"b":2,"hasError":false}`:                           `{"a":1},{"b":2}`,
		`{"s":"\",\"hasError\":false}","hasError":false}`:                             `{"s":"\",\"hasError\":false}"}`,
	} {
		if got := string(dropFalseHasError([]byte(in))); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}
