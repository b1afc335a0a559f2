package resolvers

import (
	"context"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// The three connections, shared by the root fields and the entity fields
// (Member.attributeHistory, EventType.history, Member.changeLogs). Each
// checks its paging arguments (page), turns its GraphQL filter into the
// store's and hands the rest to readConnection, which reads and builds the
// connection the same way for every history kind.

// page validates the paging arguments against kind's configured limits.
func (r *Resolver) page(kind *model.HistoryKind, in pageInput) (model.PageArgs, error) {
	return pageArgs(kind, r.PageSizes.For(kind), in)
}

// readConnection reads the page p of kind with read and builds the
// connection: one edge per entry, presented with present, and a count that
// runs only when selected.
func readConnection[T any, N any](ctx context.Context, kind *model.HistoryKind, p model.PageArgs,
	read func(context.Context, model.PageArgs) (model.Page[T], error),
	count func(context.Context) (int, error),
	id func(*T) string, present func(*T) N) (*gqlmodel.Connection[N], error) {
	page, err := read(ctx, p)
	if err != nil {
		return nil, err
	}
	conn := &gqlmodel.Connection[N]{Edges: make([]*gqlmodel.Edge[N], len(page.Items)), Count: count}
	// One allocation for the page's edges instead of one per edge.
	edges := make([]gqlmodel.Edge[N], len(page.Items))
	cursors := make([]string, len(page.Items))
	for i := range page.Items {
		cursors[i] = model.EncodeCursor(kind.Cursor, id(&page.Items[i]))
		edges[i] = gqlmodel.Edge[N]{Cursor: cursors[i], Node: present(&page.Items[i])}
		conn.Edges[i] = &edges[i]
	}
	conn.PageInfo = pageInfo(p, page.More, cursors)
	return conn, nil
}

// attributeHistory and memberChangeLogs read the history of user in org;
// membership is theirs in org, nil when they are not a member. Their paging
// arguments are checked before the membership: a bad argument is reported
// first, whoever the member.

func (r *Resolver) attributeHistory(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, in pageInput, filter *gqlmodel.AttributeHistoryFilter) (*gqlmodel.AttributeAssignmentConnection, error) {
	p, err := r.page(model.AttributeHistoryKind, in)
	if err != nil {
		return nil, err
	}
	if membership == nil {
		return nil, notAMember(nil, notAMemberAttributes, user.PublicID, org.PublicID)
	}
	f := model.AttributeHistoryFilter{OrganizationID: org.ID, UserID: user.ID}
	if filter != nil {
		f.TimeRange = timeRange(filter.Timestamp)
		f.ActorType, f.ActorRef = actorFilter(filter.Actor)
		if filter.Source != nil {
			f.Source = string(*filter.Source)
		}
	}
	return readConnection(ctx, model.AttributeHistoryKind, p,
		func(ctx context.Context, p model.PageArgs) (model.Page[model.AttributeAssignmentEntry], error) {
			return r.Store.AttributeHistory(ctx, f, p)
		},
		func(ctx context.Context) (int, error) { return r.Store.CountAttributeHistory(ctx, f) },
		func(e *model.AttributeAssignmentEntry) string { return e.ID }, presentAttributeEntry)
}

func (r *Resolver) eventTypeHistory(ctx context.Context, eventTypeID int64, in pageInput, filter *gqlmodel.EventTypeHistoryFilter) (*gqlmodel.EventTypeHistoryConnection, error) {
	p, err := r.page(model.EventTypeHistoryKind, in)
	if err != nil {
		return nil, err
	}
	f := model.EventTypeHistoryFilter{EventTypeID: eventTypeID}
	if filter != nil {
		f.TimeRange = timeRange(filter.Timestamp)
		for _, a := range filter.Actions {
			f.Actions = append(f.Actions, string(a))
		}
		f.ActorType, f.ActorRef = actorFilter(filter.Actor)
	}
	return readConnection(ctx, model.EventTypeHistoryKind, p,
		func(ctx context.Context, p model.PageArgs) (model.Page[model.EventTypeEntry], error) {
			return r.Store.EventTypeHistory(ctx, f, p)
		},
		func(ctx context.Context) (int, error) { return r.Store.CountEventTypeHistory(ctx, f) },
		func(e *model.EventTypeEntry) string { return e.ID }, r.entries.eventTypeEntry)
}

func (r *Resolver) memberChangeLogs(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, in pageInput, filter *gqlmodel.MemberChangeLogFilter) (*gqlmodel.MemberChangeLogConnection, error) {
	p, err := r.page(model.MemberChangeLogsKind, in)
	if err != nil {
		return nil, err
	}
	if membership == nil {
		return nil, notAMember(nil, notAMemberChangeLogs, user.PublicID, org.PublicID)
	}
	f := model.MemberChangeLogFilter{OrganizationID: org.ID, UserID: user.ID, UserPublicID: user.PublicID}
	if filter != nil {
		f.TimeRange = timeRange(filter.Timestamp)
		if filter.Action != nil {
			f.Action = strings.ToLower(string(*filter.Action))
		}
		if filter.ResourceType != nil {
			f.ResourceType = strings.ToLower(string(*filter.ResourceType))
		}
		if filter.ActorID != nil {
			actor, err := resolveUser(ctx, r.Store, "filter.actorId", *filter.ActorID)
			switch {
			case model.ErrorCode(err) == model.CodeNotFound:
				// Naming nobody matches nothing, as naming a non-member
				// does: the filter is no oracle of which ids exist.
				f.ActorUserID = -1
			case err != nil:
				return nil, err
			default:
				f.ActorUserID = actor.ID
			}
		}
	}
	return readConnection(ctx, model.MemberChangeLogsKind, p,
		func(ctx context.Context, p model.PageArgs) (model.Page[model.MemberChangeLog], error) {
			page, err := r.Store.MemberChangeLogs(ctx, f, p)
			if err != nil {
				return page, err
			}
			// One statement for the actors recorded without a snapshot, if
			// any, before their fields resolve.
			actorIDs := make([]int64, 0, len(page.Items))
			for _, e := range page.Items {
				if e.ActorEmail == nil {
					actorIDs = append(actorIDs, e.ActorUserID)
				}
			}
			if len(actorIDs) == 0 {
				return page, nil
			}
			return page, loadersFrom(ctx).primeUsers(ctx, r.Store, actorIDs)
		},
		func(ctx context.Context) (int, error) { return r.Store.CountMemberChangeLogs(ctx, f) },
		func(e *model.MemberChangeLog) string { return e.ID }, presentChangeLog)
}

// actorFilter reads the actor part of a history filter.
func actorFilter(a *gqlmodel.ActorFilter) (actorType, ref string) {
	if a == nil {
		return "", ""
	}
	if a.Type != nil {
		actorType = string(*a.Type)
	}
	if a.Ref != nil {
		ref = *a.Ref
	}
	return actorType, ref
}

// notAMember answers a user who is missing and one who is not a member of
// the organization alike, naming only the ids the caller sent, in the
// wording of the history's REST document (format takes the user, then the
// organization).
func notAMember(err error, format, user, org string) error {
	if err != nil && model.ErrorCode(err) != model.CodeNotFound {
		return err
	}
	return model.Errorf(model.CodeNotFound, format, user, org)
}

const (
	notAMemberAttributes = "User with id %s is not a member of organization %s"
	notAMemberChangeLogs = "User %s is not a member of organization %s"
)
