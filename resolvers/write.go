package resolvers

import (
	"context"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/model"
)

// The write mutations only translate GraphQL arguments into package ingest's
// records; every rule is ingest's, shared with `auditgraph import`.

// writableOrganization resolves the organization a mutation writes into and
// checks that the caller's key may write there. An organization that does
// not exist is refused like one the key is not bound to, so a key cannot
// probe which organizations exist.
func (r *Resolver) writableOrganization(ctx context.Context, id string) (int64, error) {
	if _, err := model.PrincipalFrom(ctx); err != nil {
		return 0, err
	}
	org, err := resolveOrganization(ctx, r.Store, "organizationId", id)
	if model.ErrorCode(err) == model.CodeNotFound {
		return 0, model.AuthorizeWrite(ctx, 0)
	}
	if err != nil {
		return 0, err
	}
	if err := model.AuthorizeWrite(ctx, org.ID); err != nil {
		return 0, err
	}
	return org.ID, nil
}

// writeHolder is what the writing key's owner holds in orgID: a write key
// grants nothing beyond it. An owner who is no member holds nothing.
func (r *Resolver) writeHolder(ctx context.Context, orgID int64) (*model.Access, error) {
	p, err := model.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	a, err := r.Store.OrganizationAccess(ctx, p.User.ID, orgID)
	if model.ErrorCode(err) == model.CodeNotFound {
		return &model.Access{}, nil
	}
	return a, err
}

// ref turns a global id of type typ into its database id; anything else
// (numbers, public ids) is passed on for ingest to resolve.
func ref(typ, id string) ingest.ID {
	if t, key, ok := decodeGlobalID(id); ok && t == typ {
		return ingest.ID(key)
	}
	return ingest.ID(id)
}

// The entries are ingest's records as gqlgen read them (see
// gqlmodel/inputs.go); only their ids may still be global ids of node(id:),
// which ingest does not know.

func attributeEntriesArg(in []*ingest.AttributeEntry) []ingest.AttributeEntry {
	out := make([]ingest.AttributeEntry, len(in))
	for i, e := range in {
		out[i] = *e
		out[i].UserID = ref("User", string(e.UserID))
	}
	return out
}

func eventTypeEntriesArg(in []*ingest.EventTypeEntry) []ingest.EventTypeEntry {
	out := make([]ingest.EventTypeEntry, len(in))
	for i, e := range in {
		out[i] = *e
		out[i].EventTypeID = ref("EventType", string(e.EventTypeID))
	}
	return out
}

func changeLogEntriesArg(in []*ingest.ChangeLogEntry) []ingest.ChangeLogEntry {
	out := make([]ingest.ChangeLogEntry, len(in))
	for i, e := range in {
		out[i] = *e
		out[i].ActorID = ref("User", string(e.ActorID))
		if strings.EqualFold(e.ResourceType, model.ResourceOrganizationUser) {
			out[i].ResourceID = string(ref("User", e.ResourceID))
		}
	}
	return out
}

// recordEntries is every history's write mutation: the caller's key must
// be allowed to write into the organization, then ingest's record validates
// and appends the entries conv makes of the arguments, all or nothing.
func recordEntries[G, I any](ctx context.Context, r *Resolver, organizationID string, in []G, conv func([]G) []I,
	record func(context.Context, model.Store, int64, []I) ([]ingest.Recorded, error)) ([]*gqlmodel.RecordedEntry, error) {
	orgID, err := r.writableOrganization(ctx, organizationID)
	if err != nil {
		return nil, err
	}
	rec, err := record(ctx, r.Store, orgID, conv(in))
	if err != nil {
		return nil, err
	}
	out := make([]*gqlmodel.RecordedEntry, len(rec))
	for i, e := range rec {
		out[i] = &gqlmodel.RecordedEntry{ID: e.ID, IdempotencyKey: e.IdempotencyKey, Created: e.Created, Timestamp: e.Timestamp}
	}
	return out, nil
}

func optionalInt64(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func directoryArg(in *gqlmodel.DirectoryInput) *ingest.Directory {
	d := &ingest.Directory{}
	if o := in.Organization; o != nil {
		d.Organization = &model.Organization{Slug: o.Slug, Name: o.Name}
	}
	for _, t := range in.Teams {
		d.Teams = append(d.Teams, model.Team{ID: int64(t.ID), Slug: t.Slug, Name: t.Name})
	}
	for _, u := range in.Users {
		mu := model.User{ID: int64(u.ID), Email: u.Email, Name: u.Name, AvatarURL: u.AvatarURL}
		if u.PublicID != nil {
			mu.PublicID = *u.PublicID
		}
		d.Users = append(d.Users, mu)
	}
	for _, cr := range in.CustomRoles {
		d.CustomRoles = append(d.CustomRoles, model.CustomRole{ID: int64(cr.ID), Name: cr.Name, Permissions: cr.Permissions})
	}
	for _, m := range in.Memberships {
		d.Memberships = append(d.Memberships, model.Membership{ID: int64(m.ID), UserID: int64(m.UserID),
			TeamID: optionalInt64(m.TeamID), Role: model.Role(m.Role), CustomRoleID: optionalInt64(m.CustomRoleID)})
	}
	for _, et := range in.EventTypes {
		d.EventTypes = append(d.EventTypes, model.EventType{ID: int64(et.ID), Title: et.Title, Slug: et.Slug,
			OwnerUserID: optionalInt64(et.OwnerUserID), TeamID: optionalInt64(et.TeamID), ParentID: optionalInt64(et.ParentID)})
	}
	for _, a := range in.Attributes {
		ia := ingest.Attribute{Attribute: model.Attribute{ID: a.ID, Slug: a.Slug, Name: a.Name, Type: model.AttributeType(a.Type)}}
		for _, o := range a.Options {
			ia.Options = append(ia.Options, model.AttributeOption{ID: o.ID, AttributeID: a.ID, Slug: o.Slug, Value: o.Value})
		}
		d.Attributes = append(d.Attributes, ia)
	}
	return d
}
