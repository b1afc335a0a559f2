package resolvers

import (
	"context"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/ingest"
	"github.com/auditgraph/auditgraph/model"
)

// The write mutations' arguments are package ingest's records already
// (gqlgen binds them, see gqlgen.yml); the resolvers only resolve global ids
// and the writing key's organization. Every rule is ingest's, shared with
// `auditgraph import`.

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
