package resolvers

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/auditgraph/auditgraph/model"
)

// Global ids are base64url("Type:databaseId"): opaque, unique across types.

func globalID(typ string, id any) string {
	var s string
	switch v := id.(type) {
	case int64:
		s = strconv.FormatInt(v, 10)
	case string:
		s = v
	}
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + s))
}

func decodeGlobalID(id string) (typ, key string, ok bool) {
	if len(id) > 512 {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

func parseNumericID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// resolveOrganization accepts a numeric id, an "org_…" public id or a global id.
func resolveOrganization(ctx context.Context, s model.Directory, field, id string) (*model.Organization, error) {
	l := loadersFrom(ctx)
	if n, ok := parseNumericID(id); ok {
		return l.organization(ctx, s, n)
	}
	if strings.HasPrefix(id, "org_") && len(id) <= 64 {
		return l.organizationByPublicID(ctx, s, id)
	}
	if typ, key, ok := decodeGlobalID(id); ok && typ == "Organization" {
		if n, ok := parseNumericID(key); ok {
			return l.organization(ctx, s, n)
		}
	}
	return nil, model.InvalidField(field, id, "%s %q is not an organization id", field, id)
}

// resolveUser accepts a numeric id, a "usr_…" public id or a global id.
func resolveUser(ctx context.Context, s model.Directory, field, id string) (*model.User, error) {
	l := loadersFrom(ctx)
	if n, ok := parseNumericID(id); ok {
		return l.user(ctx, s, n)
	}
	if strings.HasPrefix(id, "usr_") && len(id) <= 64 {
		return s.UserByPublicID(ctx, id)
	}
	if typ, key, ok := decodeGlobalID(id); ok && typ == "User" {
		if n, ok := parseNumericID(key); ok {
			return l.user(ctx, s, n)
		}
	}
	return nil, model.InvalidField(field, id, "%s %q is not a user id", field, id)
}

// resolveEventTypeID accepts a numeric id or a global id.
func resolveEventTypeID(field, id string) (int64, error) {
	if n, ok := parseNumericID(id); ok {
		return n, nil
	}
	if typ, key, ok := decodeGlobalID(id); ok && typ == "EventType" {
		if n, ok := parseNumericID(key); ok {
			return n, nil
		}
	}
	return 0, model.InvalidField(field, id, "%s %q is not an event type id", field, id)
}
