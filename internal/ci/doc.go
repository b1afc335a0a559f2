// Package ci holds the tests of the CI scripts in .ci/ (a directory the go
// tool does not look into). It has no code and nothing imports it.
package ci
