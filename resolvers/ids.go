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

// organizationRef reads a numeric id, an "org_…" public id or a global id.
func organizationRef(field, id string) (model.Ref, error) {
	return directoryRef(field, id, "org_", "Organization", "an organization")
}

// userRef reads a numeric id, a "usr_…" public id or a global id.
func userRef(field, id string) (model.Ref, error) {
	return directoryRef(field, id, "usr_", "User", "a user")
}

func directoryRef(field, id, prefix, typ, what string) (model.Ref, error) {
	if ref, ok := model.ParseRef(id, prefix); ok {
		return ref, nil
	}
	if t, key, ok := decodeGlobalID(id); ok && t == typ {
		if n, ok := model.ParseID(key); ok {
			return model.Ref{ID: n}, nil
		}
	}
	return model.Ref{}, model.FieldRule(field, id, "%q is not %s id", id, what)
}

// resolveOrganization accepts a numeric id, an "org_…" public id or a global id.
func resolveOrganization(ctx context.Context, s model.Directory, field, id string) (*model.Organization, error) {
	ref, err := organizationRef(field, id)
	if err != nil {
		return nil, err
	}
	l := loadersFrom(ctx)
	if ref.ID != 0 {
		return l.organization(ctx, s, ref.ID)
	}
	return l.organizationByPublicID(ctx, s, ref.PublicID)
}

// resolveUser accepts a numeric id, a "usr_…" public id or a global id.
func resolveUser(ctx context.Context, s model.Directory, field, id string) (*model.User, error) {
	ref, err := userRef(field, id)
	if err != nil {
		return nil, err
	}
	if ref.ID != 0 {
		return loadersFrom(ctx).user(ctx, s, ref.ID)
	}
	return s.UserByPublicID(ctx, ref.PublicID)
}

// resolveMember resolves the user id names and their membership in org
// (nil when they are not a member) in one statement.
func resolveMember(ctx context.Context, s model.Directory, org *model.Organization, field, id string) (*model.User, *model.Access, error) {
	ref, err := userRef(field, id)
	if err != nil {
		return nil, nil, err
	}
	u, a, err := s.UserWithAccess(ctx, ref, org.ID)
	if err != nil {
		return nil, nil, err
	}
	loadersFrom(ctx).primeUser(s, u)
	return u, a, nil
}

// resolveEventTypeID accepts a numeric id or a global id.
func resolveEventTypeID(field, id string) (int64, error) {
	if n, ok := model.ParseID(id); ok {
		return n, nil
	}
	if typ, key, ok := decodeGlobalID(id); ok && typ == "EventType" {
		if n, ok := model.ParseID(key); ok {
			return n, nil
		}
	}
	return 0, model.FieldRule(field, id, "%q is not an event type id", id)
}
