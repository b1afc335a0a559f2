package resolvers

import (
	"context"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// The three connections, shared by the root fields and the entity fields
// (Member.attributeHistory, EventType.history, Member.changeLogs). Each
// checks its paging arguments (page), builds its store filter (the same as
// the live subscriptions' and the export's) and hands the rest to
// readConnection, which reads and builds the connection the same way for
// every history kind.

// page validates the paging arguments against kind's configured limits.
func (r *Resolver) page(kind *model.HistoryKind, in pageInput) (model.PageArgs, error) {
	return pageArgs(kind, r.PageSizes.For(kind), in)
}

// readConnection reads the page p of kind with read and builds the
// connection: one edge per entry, presented with present, and a count that
// runs only when selected. Under the export's Selection it captures the
// filter f instead and reads nothing.
func readConnection[F, T, N any](ctx context.Context, kind *model.HistoryKind, p model.PageArgs, f F,
	read func(context.Context, F, model.PageArgs) (model.Page[T], error),
	count func(context.Context, F) (int, error),
	id func(*T) string, present func(*T) N) (*gqlmodel.Connection[N], error) {
	if c := selectionFrom(ctx); c != nil {
		c.Filter = f
		return &gqlmodel.Connection[N]{PageInfo: &gqlmodel.PageInfo{}}, nil
	}
	page, err := read(ctx, f, p)
	if err != nil {
		return nil, err
	}
	conn := &gqlmodel.Connection[N]{Edges: make([]*gqlmodel.Edge[N], len(page.Items)),
		Count: func(ctx context.Context) (int, error) { return count(ctx, f) }}
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
	f, err := attributeFilter(org, user, membership, filter)
	if err != nil {
		return nil, err
	}
	return readConnection(ctx, model.AttributeHistoryKind, p, f, r.Store.AttributeHistory, r.Store.CountAttributeHistory,
		func(e *model.AttributeAssignmentEntry) string { return e.ID }, presentAttributeEntry)
}

func (r *Resolver) eventTypeHistory(ctx context.Context, eventTypeID int64, in pageInput, filter *gqlmodel.EventTypeHistoryFilter) (*gqlmodel.EventTypeHistoryConnection, error) {
	p, err := r.page(model.EventTypeHistoryKind, in)
	if err != nil {
		return nil, err
	}
	conn, err := readConnection(ctx, model.EventTypeHistoryKind, p, eventTypeFilter(eventTypeID, filter),
		r.Store.EventTypeHistory, r.Store.CountEventTypeHistory,
		func(e *model.EventTypeEntry) string { return e.ID }, r.entries.eventTypeEntry)
	if err == nil && conn.Edges != nil {
		// The rendered-page shortcut (fastpage.go) writes this page itself.
		capture(ctx, conn)
	}
	return conn, err
}

func (r *Resolver) memberChangeLogs(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, in pageInput, filter *gqlmodel.MemberChangeLogFilter) (*gqlmodel.MemberChangeLogConnection, error) {
	p, err := r.page(model.MemberChangeLogsKind, in)
	if err != nil {
		return nil, err
	}
	f, err := r.changeLogFilter(ctx, org, user, membership, filter)
	if err != nil {
		return nil, err
	}
	return readConnection(ctx, model.MemberChangeLogsKind, p, f,
		func(ctx context.Context, f model.MemberChangeLogFilter, p model.PageArgs) (model.Page[model.MemberChangeLog], error) {
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
		r.Store.CountMemberChangeLogs,
		func(e *model.MemberChangeLog) string { return e.ID }, presentChangeLog)
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

// The filters of the three histories, shared by the connections, the live
// subscriptions and the export: each is what its connection selects.

// attributeFilter selects user's attribute history in org; membership is
// theirs in org, nil when they are not a member (NOT_FOUND).
func attributeFilter(org *model.Organization, user *model.User, membership *model.Access, filter *gqlmodel.AttributeHistoryFilter) (model.AttributeHistoryFilter, error) {
	if membership == nil {
		return model.AttributeHistoryFilter{}, notAMember(nil, notAMemberAttributes, user.PublicID, org.PublicID)
	}
	f := model.AttributeHistoryFilter{OrganizationID: org.ID, UserID: user.ID}
	if filter != nil {
		f.TimeRange = timeRange(filter.Timestamp)
		f.ActorType, f.ActorRef = actorFilter(filter.Actor)
		if filter.Source != nil {
			f.Source = string(*filter.Source)
		}
	}
	return f, nil
}

// eventTypeFilter selects an event type's history.
func eventTypeFilter(eventTypeID int64, filter *gqlmodel.EventTypeHistoryFilter) model.EventTypeHistoryFilter {
	f := model.EventTypeHistoryFilter{EventTypeID: eventTypeID}
	if filter != nil {
		f.TimeRange = timeRange(filter.Timestamp)
		for _, a := range filter.Actions {
			f.Actions = append(f.Actions, string(a))
		}
		f.ActorType, f.ActorRef = actorFilter(filter.Actor)
	}
	return f
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

// changeLogFilter selects the change logs related to user in org;
// membership as for attributeFilter.
func (r *Resolver) changeLogFilter(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, filter *gqlmodel.MemberChangeLogFilter) (model.MemberChangeLogFilter, error) {
	if membership == nil {
		return model.MemberChangeLogFilter{}, notAMember(nil, notAMemberChangeLogs, user.PublicID, org.PublicID)
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
				return model.MemberChangeLogFilter{}, err
			default:
				f.ActorUserID = actor.ID
			}
		}
	}
	return f, nil
}

// Selection is what a connection field selects, captured instead of read:
// the export runs the connection's own query in process (its access
// directives, lookups and filter validation) with a Selection in the
// context, then reads the captured filter page by page itself.
type Selection struct {
	// Filter is a model.AttributeHistoryFilter, EventTypeHistoryFilter or
	// MemberChangeLogFilter.
	Filter any
}

type selectionKey struct{}

// WithSelection returns ctx in which connection fields capture their
// filter into sel and read nothing.
func WithSelection(ctx context.Context, sel *Selection) context.Context {
	return context.WithValue(ctx, selectionKey{}, sel)
}

func selectionFrom(ctx context.Context) *Selection {
	s, _ := ctx.Value(selectionKey{}).(*Selection)
	return s
}
