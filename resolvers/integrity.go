package resolvers

import (
	"context"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/model"
)

// The integrity fields. An entry's integrity is a field of the entry, so it
// is visible exactly when the entry is; a stream's needs AuthorizeStream;
// entryIntegrity authorizes by the entry's history, as that history's own
// field does.

// maxEntryIDLen bounds an entry id taken from a caller.
const maxEntryIDLen = 256

func (r *Resolver) integrityReader() (integrity.Reader, error) {
	ir, ok := r.Store.(integrity.Reader)
	if !ok {
		return nil, model.Errorf(model.CodeUnavailable, "this store keeps no integrity log")
	}
	return ir, nil
}

func (r *Resolver) entryProof(ctx context.Context, h integrity.History, id string) (*integrity.EntryProof, error) {
	ir, err := r.integrityReader()
	if err != nil {
		return nil, err
	}
	return ir.EntryProof(ctx, h, id)
}

func (r *Resolver) integrityStream(ctx context.Context, name string) (*integrity.StreamState, error) {
	if _, err := model.PrincipalFrom(ctx); err != nil {
		return nil, err
	}
	st, err := integrity.ParseStream(name)
	if err != nil {
		return nil, model.InvalidField("stream", name, "%v", err)
	}
	if err := model.AuthorizeStream(ctx, r.Store, st.Kind, st.ID); err != nil {
		return nil, err
	}
	ir, err := r.integrityReader()
	if err != nil {
		return nil, err
	}
	return ir.StreamState(ctx, st)
}

func (r *Resolver) consistencyProof(ctx context.Context, s *integrity.StreamState, from int, to *int) ([]string, error) {
	size := int(s.CheckpointSize)
	if to != nil {
		size = *to
	}
	if from < 0 || size < 0 {
		return nil, model.InvalidField("fromSize", from, "sizes must not be negative")
	}
	ir, err := r.integrityReader()
	if err != nil {
		return nil, err
	}
	st, err := integrity.ParseStream(s.Stream)
	if err != nil {
		return nil, err
	}
	proof, err := ir.ConsistencyProof(ctx, st, uint64(from), uint64(size))
	if err != nil {
		return nil, err
	}
	return integrity.B64s(proof), nil
}

func (r *Resolver) entryIntegrity(ctx context.Context, kind gqlmodel.HistoryKind, id string) (*integrity.EntryProof, error) {
	if _, err := model.PrincipalFrom(ctx); err != nil {
		return nil, err
	}
	h, ok := integrity.ParseHistory(string(kind))
	if !ok {
		return nil, model.InvalidField("history", kind, "unknown history %q", kind)
	}
	notFound := model.Errorf(model.CodeNotFound, "entry %s not found", id)
	if len(id) > maxEntryIDLen || (h != integrity.MemberChangeLogs && !integrity.IsUUID(id)) {
		return nil, notFound
	}
	ir, err := r.integrityReader()
	if err != nil {
		return nil, err
	}
	orgID, eventTypeID, err := ir.EntryTenant(ctx, h, id)
	if err != nil {
		return nil, err
	}
	switch h {
	case integrity.AttributeHistory:
		err = model.AuthorizeOrganization(ctx, r.Store, orgID, []model.Role{model.RoleOwner, model.RoleAdmin}, model.PermissionReadAttributeAuditLogs)
	case integrity.MemberChangeLogs:
		err = model.AuthorizeOrganization(ctx, r.Store, orgID, []model.Role{model.RoleOwner, model.RoleAdmin}, "")
	default:
		err = model.AuthorizeEventType(ctx, r.Store, eventTypeID, model.ScopeEventTypeRead)
	}
	// An entry the caller may not read is one they cannot tell exists.
	if code := model.ErrorCode(err); code == model.CodeForbidden || code == model.CodeNotFound {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return ir.EntryProof(ctx, h, id)
}
