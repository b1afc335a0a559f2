package integrity

import (
	"fmt"
	"strconv"
	"strings"
)

// Stream kinds: the tenant a stream belongs to.
const (
	StreamOrganization = "org"
	StreamTeam         = "team"
	StreamUser         = "user"
)

// MaxStreamLen bounds a stream name taken from a caller.
const MaxStreamLen = 64

// Stream names one log: "org/<id>", "team/<id>" or "user/<id>".
type Stream struct {
	Kind string
	ID   int64
}

func (s Stream) String() string { return s.Kind + "/" + strconv.FormatInt(s.ID, 10) }

// Origin is the checkpoint origin line of the stream's log.
func (s Stream) Origin() string { return OriginPrefix + s.String() }

// OriginPrefix opens the origin line of every checkpoint.
const OriginPrefix = "auditgraph/"

// ParseStream parses a stream name.
func ParseStream(name string) (Stream, error) {
	if len(name) > MaxStreamLen {
		return Stream{}, fmt.Errorf("stream name longer than %d bytes", MaxStreamLen)
	}
	kind, id, ok := strings.Cut(name, "/")
	if !ok || (kind != StreamOrganization && kind != StreamTeam && kind != StreamUser) {
		return Stream{}, fmt.Errorf("stream %q is not org/<id>, team/<id> or user/<id>", name)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return Stream{}, fmt.Errorf("stream %q: the id must be a positive number", name)
	}
	return Stream{Kind: kind, ID: n}, nil
}

// OrganizationStream is the stream of an organization.
func OrganizationStream(id int64) Stream { return Stream{StreamOrganization, id} }

// EventTypeStream is the stream of an event type's entries, from its owner
// chain: its team's organization, else its team (a team outside any
// organization), else its owner (a personal event type).
func EventTypeStream(organizationID, teamID, ownerUserID *int64) (Stream, bool) {
	switch {
	case organizationID != nil:
		return Stream{StreamOrganization, *organizationID}, true
	case teamID != nil:
		return Stream{StreamTeam, *teamID}, true
	case ownerUserID != nil:
		return Stream{StreamUser, *ownerUserID}, true
	}
	return Stream{}, false
}
