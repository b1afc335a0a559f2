package resolvers

import (
	"encoding/json"
	"strings"

	"github.com/auditgraph/auditgraph/graph/gqlmodel"
	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

// The presenters turn stored entries into what clients see. Rendering is
// model/display's; a damaged stored payload becomes hasError, never a failed page.

func presentActor(a model.ActorSnapshot) *gqlmodel.Actor {
	return &gqlmodel.Actor{
		Type:          a.Type,
		DisplayName:   display.ActorDisplayName(a.Type, a.Name, a.Email),
		DisplayEmail:  display.ActorDisplayEmail(a.Type, a.Email),
		DisplayAvatar: a.Avatar,
	}
}

func presentEventTypeEntry(e *model.EventTypeEntry) *gqlmodel.EventTypeHistoryEntry {
	actor := presentActor(e.Actor)
	r := display.RenderEventTypePayload(e.Action, []byte(e.Payload))
	out := &gqlmodel.EventTypeHistoryEntry{
		ID: e.ID, Action: e.Action, Type: gqlmodel.RecordType(e.Type),
		Timestamp: e.Timestamp, Source: e.Source, Actor: actor,
		ActionDisplayTitle: display.ActionDisplayTitle(e.Action, actor.DisplayName),
		DisplayFields:      make([]*gqlmodel.DisplayField, len(r.DisplayFields)),
		DisplayJSON:        gqlmodel.JSON(r.DisplayJSON),
		HasError:           r.HasError,
	}
	fields := make([]gqlmodel.DisplayField, len(r.DisplayFields))
	for i, f := range r.DisplayFields {
		fields[i] = gqlmodel.DisplayField{Label: f.Label, FieldValue: fieldValueRef(f.FieldValue)}
		out.DisplayFields[i] = &fields[i]
	}
	if e.ImpersonatedBy.Present() {
		ib := e.ImpersonatedBy
		out.ImpersonatedBy = &gqlmodel.ImpersonatedBy{
			DisplayName:   display.ActorDisplayName(model.ActorUser, ib.Name, ib.Email),
			DisplayEmail:  ib.Email,
			DisplayAvatar: ib.Avatar,
		}
	}
	return out
}

// fieldValueRef gives the union member as a pointer: the executor marshals a
// pointer in place, where a value is first copied to the heap on every read.
func fieldValueRef(v display.FieldValue) display.FieldValue {
	switch t := v.(type) {
	case display.RawValue:
		return &t
	case display.RawValues:
		return &t
	case display.ValueChange:
		return &t
	case display.Diff:
		return &t
	}
	return v
}

func presentAttributeValue(v *display.AttributeValue) *gqlmodel.AttributeValue {
	if v == nil {
		return nil
	}
	return &gqlmodel.AttributeValue{OptionID: v.OptionID, OptionSlug: v.OptionSlug, Value: v.Value, Weight: v.Weight}
}

func presentAttributeEntry(e *model.AttributeAssignmentEntry) *gqlmodel.AttributeAssignmentEntry {
	out := &gqlmodel.AttributeAssignmentEntry{
		ID: e.ID, Timestamp: e.Timestamp, Source: e.Source, Actor: presentActor(e.Actor),
		MembershipID: int(e.MembershipID), SourceContext: gqlmodel.JSON(e.SourceContext),
		Changes: []*gqlmodel.AttributeAssignmentChange{},
	}
	if !json.Valid([]byte(e.SourceContext)) {
		out.SourceContext, out.HasError = gqlmodel.JSON("{}"), true
	}
	changes, err := display.ParseAttributeChanges([]byte(e.Changes))
	if err != nil {
		out.HasError = true
		return out
	}
	for _, c := range changes {
		out.Changes = append(out.Changes, &gqlmodel.AttributeAssignmentChange{
			Type: c.Type,
			Attribute: &gqlmodel.AttributeSnapshot{ID: c.Attribute.ID, Slug: c.Attribute.Slug, Name: c.Attribute.Name,
				Type: model.AttributeType(c.Attribute.Type)},
			Previous: presentAttributeValue(c.Previous),
			Current:  presentAttributeValue(c.Current),
		})
	}
	return out
}

func presentChangeLog(e *model.MemberChangeLog) *gqlmodel.MemberChangeLog {
	out := &gqlmodel.MemberChangeLog{
		ID: e.ID, ActorUserID: e.ActorUserID, Action: strings.ToUpper(e.Action),
		Timestamp: e.Timestamp, ResourceType: strings.ToUpper(e.ResourceType),
		ResourceID: e.ResourceID, ResourceName: e.ResourceName, Changes: []*gqlmodel.MemberChange{},
	}
	if e.ActorEmail != nil {
		u := &model.User{ID: e.ActorUserID, Email: *e.ActorEmail, Name: e.ActorName, AvatarURL: e.ActorAvatar}
		if e.ActorPublicID != nil {
			u.PublicID = *e.ActorPublicID
		}
		out.Actor = u
	}
	// Change logs have no hasError: an unreadable changes list shows as empty.
	changes, _ := display.ParseMemberChanges([]byte(e.Changes))
	for _, c := range changes {
		out.Changes = append(out.Changes, &gqlmodel.MemberChange{Field: c.Field, OldValue: c.OldValue, NewValue: c.NewValue})
	}
	return out
}
