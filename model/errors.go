package model

import (
	"errors"
	"fmt"
)

// Error codes. They are the GraphQL extensions.code values; each interface maps
// them to its own form (HTTP statuses, REST envelopes) in exactly one place.
const (
	CodeInvalid         = "BAD_USER_INPUT"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeRateLimited     = "RATE_LIMITED"
	CodeUnavailable     = "SERVICE_UNAVAILABLE"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
	// CodeSlowSubscriber ends a live subscription that did not keep up; the
	// error carries the cursor to resume from.
	CodeSlowSubscriber = "SLOW_SUBSCRIBER"
)

// Error is the domain error: a code, a message safe to show to the caller, and
// optionally the input field it is about.
type Error struct {
	Code    string
	Message string
	// Field names the offending input ("first", "cursor", "entries[3].timestamp").
	Field string
	// Value is the offending value, when showing it back helps the caller.
	Value any
	// Rule is Message without the field's name in front ("must be at most
	// 50"), for an interface that knows the field by another name: the REST
	// shim says "take must be at most 50" where GraphQL said "first …",
	// without reading the field's name out of Message.
	Rule string
	// Max is the bound a too large Value broke (see TooLarge), for an
	// interface that words its bounds its own way; 0 otherwise.
	Max int
	// Cursor is where an ended live subscription resumes from (the cursor of
	// the last entry it delivered).
	Cursor string
	// Missing is set on the FORBIDDEN that answers a history which does not
	// exist (GraphQL's existence rule: hidden and missing answer alike). It
	// is the NOT_FOUND a REST document that tells the two apart prescribes;
	// GraphQL never shows it.
	Missing *Error
	// Reason is a finer cause than Code, for interfaces whose documents name
	// one (the /v1 codes API_KEY_EXPIRED and ORGANIZATION_ACCESS_DENIED).
	// GraphQL does not show it: its codes deliberately tell less.
	Reason string
}

// Reasons an Error may carry.
const (
	// ReasonKeyExpired: the presented key is known but past its expiry.
	ReasonKeyExpired = "API_KEY_EXPIRED"
	// ReasonNotMember: the caller has no membership in the organization the
	// request names, or the organization does not exist; the two are one
	// reason so that it reveals nothing about which organizations exist.
	ReasonNotMember = "NOT_MEMBER"
)

// ErrorReason returns the Reason of a wrapped *Error, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// MissingHistory is the answer for a history whose organization or event
// type does not exist, given the lookup's NOT_FOUND: the same FORBIDDEN as
// for a history the caller may not read.
func MissingHistory(notFound error) *Error {
	e := *errForbidden
	var nf *Error
	if errors.As(notFound, &nf) {
		e.Missing = nf
	}
	return &e
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns a BAD_USER_INPUT error about one input field.
func InvalidField(field string, value any, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...), Field: field, Value: value}
}

// FieldRule returns a BAD_USER_INPUT error about one input field whose
// message is the field's name and the rule it broke: "first must not be
// negative".
func FieldRule(field string, value any, format string, args ...any) *Error {
	rule := fmt.Sprintf(format, args...)
	return &Error{Code: CodeInvalid, Message: field + " " + rule, Field: field, Value: value, Rule: rule}
}

// TooLarge returns the BAD_USER_INPUT error of a value above max.
func TooLarge(field string, value any, max int) *Error {
	e := FieldRule(field, value, "must be at most %d", max)
	e.Max = max
	return e
}

// ErrorCode returns the code of err: the code of a wrapped *Error, or
// INTERNAL_SERVER_ERROR for anything else. nil has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of a wrapped *Error, or a generic text for
// internal errors, whose details must not reach callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
