package resolvers

import (
	"context"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
)

// The three connections, shared by the root fields and the entity fields
// (Member.attributeHistory, EventType.history, Member.changeLogs).

// attributeHistory and memberChangeLogs read the history of user in org;
// membership is theirs in org, nil when they are not a member.

func (r *Resolver) attributeHistory(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, in pageInput, filter *gqlmodel.AttributeHistoryFilter) (*gqlmodel.AttributeAssignmentConnection, error) {
	sizes := r.PageSizes.OrDefault()
	p, err := pageArgs(model.CursorAttributeHistory, sizes.Default, sizes.Max, in)
	if err != nil {
		return nil, err
	}
	f, err := attributeFilter(org, user, membership, filter)
	if err != nil {
		return nil, err
	}
	if c := selectionFrom(ctx); c != nil {
		c.Filter = f
		return &gqlmodel.AttributeAssignmentConnection{PageInfo: &gqlmodel.PageInfo{}}, nil
	}
	page, err := r.Store.AttributeHistory(ctx, f, p)
	if err != nil {
		return nil, err
	}
	conn := &gqlmodel.AttributeAssignmentConnection{
		Edges: make([]*gqlmodel.AttributeAssignmentEdge, len(page.Items)),
		Count: func(ctx context.Context) (int, error) { return r.Store.CountAttributeHistory(ctx, f) },
	}
	cursors := make([]string, len(page.Items))
	for i := range page.Items {
		cursors[i] = model.EncodeCursor(model.CursorAttributeHistory, page.Items[i].ID)
		conn.Edges[i] = &gqlmodel.AttributeAssignmentEdge{Cursor: cursors[i], Node: presentAttributeEntry(&page.Items[i])}
	}
	conn.PageInfo = pageInfo(p, page.More, cursors)
	return conn, nil
}

func (r *Resolver) eventTypeHistory(ctx context.Context, eventTypeID int64, in pageInput, filter *gqlmodel.EventTypeHistoryFilter) (*gqlmodel.EventTypeHistoryConnection, error) {
	sizes := r.PageSizes.OrDefault()
	p, err := pageArgs(model.CursorEventTypeHistory, sizes.Default, sizes.Max, in)
	if err != nil {
		return nil, err
	}
	f := eventTypeFilter(eventTypeID, filter)
	if c := selectionFrom(ctx); c != nil {
		c.Filter = f
		return &gqlmodel.EventTypeHistoryConnection{PageInfo: &gqlmodel.PageInfo{}}, nil
	}
	page, err := r.Store.EventTypeHistory(ctx, f, p)
	if err != nil {
		return nil, err
	}
	conn := &gqlmodel.EventTypeHistoryConnection{
		Edges: make([]*gqlmodel.EventTypeHistoryEdge, len(page.Items)),
		Count: func(ctx context.Context) (int, error) { return r.Store.CountEventTypeHistory(ctx, f) },
	}
	cursors := make([]string, len(page.Items))
	edges := make([]gqlmodel.EventTypeHistoryEdge, len(page.Items))
	for i := range page.Items {
		cursors[i] = model.EncodeCursor(model.CursorEventTypeHistory, page.Items[i].ID)
		edges[i] = gqlmodel.EventTypeHistoryEdge{Cursor: cursors[i], Node: r.entries.eventTypeEntry(&page.Items[i])}
		conn.Edges[i] = &edges[i]
	}
	conn.PageInfo = pageInfo(p, page.More, cursors)
	capture(ctx, conn)
	return conn, nil
}

func (r *Resolver) memberChangeLogs(ctx context.Context, org *model.Organization, user *model.User, membership *model.Access, in pageInput, filter *gqlmodel.MemberChangeLogFilter) (*gqlmodel.MemberChangeLogConnection, error) {
	sizes := r.PageSizes.OrDefault()
	p, err := pageArgs(model.CursorMemberChangeLogs, sizes.Default, sizes.MaxChangeLogs, in)
	if err != nil {
		return nil, err
	}
	f, err := r.changeLogFilter(ctx, org, user, membership, filter)
	if err != nil {
		return nil, err
	}
	if c := selectionFrom(ctx); c != nil {
		c.Filter = f
		return &gqlmodel.MemberChangeLogConnection{PageInfo: &gqlmodel.PageInfo{}}, nil
	}
	page, err := r.Store.MemberChangeLogs(ctx, f, p)
	if err != nil {
		return nil, err
	}
	// One statement for the actors recorded without a snapshot, if any,
	// before their fields resolve.
	actorIDs := make([]int64, 0, len(page.Items))
	for _, e := range page.Items {
		if e.ActorEmail == nil {
			actorIDs = append(actorIDs, e.ActorUserID)
		}
	}
	if len(actorIDs) > 0 {
		if err := loadersFrom(ctx).primeUsers(ctx, r.Store, actorIDs); err != nil {
			return nil, err
		}
	}
	conn := &gqlmodel.MemberChangeLogConnection{
		Edges: make([]*gqlmodel.MemberChangeLogEdge, len(page.Items)),
		Count: func(ctx context.Context) (int, error) { return r.Store.CountMemberChangeLogs(ctx, f) },
	}
	cursors := make([]string, len(page.Items))
	for i := range page.Items {
		cursors[i] = model.EncodeCursor(model.CursorMemberChangeLogs, page.Items[i].ID)
		conn.Edges[i] = &gqlmodel.MemberChangeLogEdge{Cursor: cursors[i], Node: presentChangeLog(&page.Items[i])}
	}
	conn.PageInfo = pageInfo(p, page.More, cursors)
	return conn, nil
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
		if filter.Actor != nil {
			if filter.Actor.Type != nil {
				f.ActorType = string(*filter.Actor.Type)
			}
			if filter.Actor.Ref != nil {
				f.ActorRef = *filter.Actor.Ref
			}
		}
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
		if filter.Actor != nil {
			if filter.Actor.Type != nil {
				f.ActorType = string(*filter.Actor.Type)
			}
			if filter.Actor.Ref != nil {
				f.ActorRef = *filter.Actor.Ref
			}
		}
	}
	return f
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
