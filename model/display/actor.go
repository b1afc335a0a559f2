package display

import "strings"

// ProductName is the SYSTEM actor's display name.
const ProductName = "Cal.com"

// Actor types as stored and as emitted in actor.type.
const (
	ActorUser     = "USER"
	ActorGuest    = "GUEST"
	ActorAttendee = "ATTENDEE"
	ActorApp      = "APP"
	ActorSystem   = "SYSTEM"
)

// ActorDisplayName applies the contract rules: USER -> name, else email, else
// "Deleted User"; GUEST -> name else "Guest"; ATTENDEE -> name, else email,
// else "Deleted Attendee"; APP -> name else "Unknown App"; SYSTEM ->
// ProductName. An empty or blank name or email counts as missing, because a
// blank display name is never what a reader should see. An actor type outside
// the contract gets name, else email, else "Unknown".
func ActorDisplayName(actorType string, name, email *string) string {
	switch actorType {
	case ActorUser:
		return firstPresent(name, email, "Deleted User")
	case ActorGuest:
		return firstPresent(name, nil, "Guest")
	case ActorAttendee:
		return firstPresent(name, email, "Deleted Attendee")
	case ActorApp:
		return firstPresent(name, nil, "Unknown App")
	case ActorSystem:
		return ProductName
	default:
		return firstPresent(name, email, "Unknown")
	}
}

// ActorDisplayEmail returns nil for APP (the contract never exposes an app's
// email) and otherwise the email, with a blank email reported as nil.
func ActorDisplayEmail(actorType string, email *string) *string {
	if actorType == ActorApp || !present(email) {
		return nil
	}
	return email
}

func present(s *string) bool {
	return s != nil && strings.TrimSpace(*s) != ""
}

func firstPresent(a, b *string, fallback string) string {
	if present(a) {
		return *a
	}
	if present(b) {
		return *b
	}
	return fallback
}
