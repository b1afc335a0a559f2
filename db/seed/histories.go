package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/auditgraph/auditgraph/model"
	"github.com/auditgraph/auditgraph/model/display"
)

func histories(ctx context.Context, s model.Store, res *Result) error {
	et, err := eventTypeHistory()
	if err != nil {
		return err
	}
	if _, err := s.AppendEventTypeHistory(ctx, et); err != nil {
		return err
	}
	aa := attributeHistory()
	if _, err := s.AppendAttributeHistory(ctx, aa); err != nil {
		return err
	}
	cl := changeLogs()
	if _, err := s.AppendMemberChangeLogs(ctx, cl); err != nil {
		return err
	}
	res.Entries["eventTypeHistory"] = len(et)
	res.Entries["attributeAssignmentHistory"] = len(aa)
	res.Entries["memberChangeLogs"] = len(cl)
	return nil
}

// clock hands out timestamps 1 to 4 hours apart; every seventh entry shares
// its predecessor's timestamp, so paging must break ties by id.
type clock struct {
	t time.Time
	n int
	g *ids
}

func (c *clock) next() time.Time {
	c.n++
	if c.n%7 != 0 {
		c.t = c.t.Add(time.Duration(1+c.g.rng.IntN(4))*time.Hour + time.Duration(c.g.rng.IntN(3600000))*time.Millisecond)
	}
	return c.t
}

func key(kind, id string) *string { return ptr("demo:" + kind + ":" + id) }

// actorFor rotates through every actor type and the display-name fallbacks.
func actorFor(i int, g *ids) model.ActorSnapshot {
	u := demoUsers[g.rng.IntN(len(demoUsers)-1)]
	switch i % 10 {
	case 0, 1, 2, 3:
		return model.ActorSnapshot{Type: model.ActorUser, Ref: ptr(fmt.Sprint(u.id)), Name: ptr(u.name), Email: ptr(u.email)}
	case 4:
		return model.ActorSnapshot{Type: model.ActorUser, Ref: ptr(fmt.Sprint(u.id)), Email: ptr(u.email)}
	case 5:
		return model.ActorSnapshot{Type: model.ActorGuest, Name: ptr("Visiting Guest"), Email: ptr("guest@visitor.example")}
	case 6:
		return model.ActorSnapshot{Type: model.ActorAttendee, Email: ptr("attendee@client.example")}
	case 7:
		return model.ActorSnapshot{Type: model.ActorSystem}
	case 8:
		return model.ActorSnapshot{Type: model.ActorApp, Ref: ptr("zapier"), Name: ptr("Zapier"), Email: ptr("bot@zapier.example")}
	default:
		if i%20 == 9 {
			return model.ActorSnapshot{Type: model.ActorUser, Ref: ptr("999")}
		}
		return model.ActorSnapshot{Type: model.ActorApp, Ref: ptr("unknown")}
	}
}

var eventTypeSizes = []struct {
	id    int64
	title string
	n     int
}{
	{PersonalEventTypeID, "30 min meeting", 40},
	{TeamEventTypeID, "Engineering sync", 150},
	{ManagedParentID, "Onboarding", 20},
	{ManagedChildID, "Onboarding", 10},
	{SalesEventTypeID, "Sales demo", 30},
	{GlobexEventTypeID, "Support call", 20},
	{FreelanceEventType, "Freelance consult", 10},
}

func eventTypeHistory() ([]model.EventTypeEntry, error) {
	g := newIDs(1)
	var out []model.EventTypeEntry
	for _, et := range eventTypeSizes {
		c := &clock{t: epoch, g: g}
		snap := map[string]any{
			"title": et.title, "length": 30, "description": "Let's talk", "hidden": false,
			"locations":     []any{map[string]any{"type": "integrations:daily"}},
			"bookingFields": []any{map[string]any{"id": "name", "label": "Your name", "required": true}},
			"price":         0, "scheduleId": 2335925,
		}
		for i := 0; i < et.n; i++ {
			action := model.EventTypeModified
			var before, after map[string]any
			switch {
			case i == 0:
				action, after = model.EventTypeCreated, snap
			case i == et.n-1 && et.id == SalesEventTypeID:
				action, before = model.EventTypeDeleted, snap
			default:
				before = snap
				after = mutate(snap, i, g)
				snap = after
			}
			payload, err := eventTypePayload(action, before, after)
			if err != nil {
				return nil, err
			}
			if et.id == TeamEventTypeID && i == 42 {
				payload = `{"version":1,"changedFields":["title"],"changes":[{"field":"title","type":"val`
			}
			ts := c.next()
			e := model.EventTypeEntry{
				ID: g.uuid(ts), EventTypeID: et.id, Action: action, Type: display.RecordType(action),
				Timestamp: ts, Source: model.Sources[i%len(model.Sources)], Actor: actorFor(i, g), Payload: payload,
			}
			if e.Actor.Type == model.ActorUser && i%11 == 3 {
				e.ImpersonatedBy = model.PersonSnapshot{Name: ptr("Support Agent"), Email: ptr("agent@cal.example")}
			}
			e.IdempotencyKey = key("eth", e.ID)
			out = append(out, e)
		}
	}
	return out, nil
}

func eventTypePayload(action string, before, after map[string]any) (string, error) {
	var b, a []byte
	var err error
	if before != nil {
		if b, err = json.Marshal(before); err != nil {
			return "", err
		}
	}
	if after != nil {
		if a, err = json.Marshal(after); err != nil {
			return "", err
		}
	}
	p, _, err := display.EventTypeChangePayload(action, b, a)
	return string(p), err
}

// mutate returns a copy of snap with one to three fields changed, cycling
// through scalar, null, absent-before, object and collection changes.
func mutate(snap map[string]any, i int, g *ids) map[string]any {
	next := maps.Clone(snap)
	for k := 0; k <= g.rng.IntN(3); k++ {
		switch (i + k*3) % 9 {
		case 0:
			next["title"] = fmt.Sprintf("%s v%d", snap["title"], i)
		case 1:
			next["length"] = []int{15, 30, 45, 60, 90}[g.rng.IntN(5)]
		case 2:
			if snap["description"] == nil {
				next["description"] = fmt.Sprintf("Agenda #%d", i)
			} else {
				next["description"] = nil
			}
		case 3:
			next["hidden"] = !snap["hidden"].(bool)
		case 4:
			next["price"] = g.rng.IntN(200)
			next["lockTimeZoneToggleOnBookingPage"] = i%2 == 0
		case 5:
			locs := []any{map[string]any{"type": "integrations:daily"}}
			if i%2 == 0 {
				locs = append(locs, map[string]any{"type": "inPerson", "address": fmt.Sprintf("%d Main St", i)})
			}
			next["locations"] = locs
		case 6:
			fields := append([]any(nil), snap["bookingFields"].([]any)...)
			switch {
			case len(fields) < 3:
				fields = append(fields, map[string]any{"id": fmt.Sprintf("q%d", i), "label": fmt.Sprintf("Question %d", i), "required": false})
			default:
				fields = fields[:len(fields)-1]
				first := maps.Clone(fields[0].(map[string]any))
				first["required"] = !first["required"].(bool)
				fields[0] = first
			}
			next["bookingFields"] = fields
		case 7:
			next["scheduleId"] = 2335925 + g.rng.IntN(10)
			next["successRedirectUrl"] = fmt.Sprintf("https://example.com/thanks/%d", i)
		case 8:
			next["metadata"] = map[string]any{"apps": map[string]any{"stripe": map[string]any{"enabled": i%2 == 0}}}
		}
	}
	return next
}

// Carol (MemberUserID) has the long attribute history; other Acme members a
// few entries each.
func attributeHistory() []model.AttributeAssignmentEntry {
	g := newIDs(2)
	var out []model.AttributeAssignmentEntry
	for _, du := range demoUsers {
		if du.org != AcmeID {
			continue
		}
		n := 6
		if du.id == MemberUserID {
			n = 60
		}
		c := &clock{t: epoch, g: g}
		state := map[string]*display.AttributeValue{}
		for i := 0; i < n; i++ {
			var changes []display.AttributeChange
			for k := 0; k <= g.rng.IntN(2); k++ {
				a := attributes[(i+k)%len(attributes)]
				prev := state[a.attr.ID]
				cur := nextValue(a, prev, i, g)
				typ, ok := display.ClassifyAttributeChange(prev, cur)
				if !ok {
					continue
				}
				state[a.attr.ID] = cur
				changes = append(changes, display.AttributeChange{Type: typ, Previous: prev, Current: cur, Attribute: display.Attribute{
					ID: a.attr.ID, Slug: a.attr.Slug, Name: a.attr.Name, Type: string(a.attr.Type)}})
			}
			if len(changes) == 0 {
				continue
			}
			raw, _ := json.Marshal(changes)
			ts := c.next()
			source := []string{"WEBAPP", "API_V2", "DSYNC", "SYSTEM", "INTEGRATION"}[i%5]
			ctxJSON, _ := json.Marshal(map[string]any{"kind": source, "requestId": fmt.Sprintf("req-%d-%d", du.id, i)})
			actor := model.ActorSnapshot{Type: model.ActorUser, Ref: ptr(fmt.Sprint(AdminUserID)), Name: ptr("Bob Admin"), Email: ptr("bob@acme.example")}
			switch i % 4 {
			case 1:
				actor = model.ActorSnapshot{Type: model.ActorApp, Ref: ptr("okta"), Name: ptr("Okta SCIM")}
			case 2:
				actor = model.ActorSnapshot{Type: model.ActorSystem}
			case 3:
				actor = model.ActorSnapshot{Type: model.ActorUser, Ref: ptr(fmt.Sprint(OwnerUserID)), Name: ptr("Alice Owner"),
					Email: ptr("alice@acme.example"), Avatar: ptr("https://avatars.example/1.png")}
			}
			e := model.AttributeAssignmentEntry{
				ID: g.uuid(ts), OrganizationID: AcmeID, UserID: du.id, MembershipID: 100 + du.id, Timestamp: ts,
				Source: source, Actor: actor, SourceContext: string(ctxJSON), Changes: string(raw),
			}
			if du.id == MemberUserID && i == 17 {
				e.Changes = `[{"type":"ASSIGNED","attribute":`
			}
			e.IdempotencyKey = key("aah", e.ID)
			out = append(out, e)
		}
	}
	return out
}

func nextValue(a demoAttribute, prev *display.AttributeValue, i int, g *ids) *display.AttributeValue {
	pick := func() *display.AttributeValue {
		o := a.options[g.rng.IntN(len(a.options))]
		v := &display.AttributeValue{OptionID: o.ID, OptionSlug: o.Slug, Value: o.Value}
		switch a.attr.Type {
		case model.AttributeNumber:
			v.Value = fmt.Sprint(1 + g.rng.IntN(9))
		case model.AttributeText:
			v.Value = []string{"Remote", "Berlin", "Lisbon", "New York"}[g.rng.IntN(4)]
		}
		if a.attr.Type == model.AttributeSingleSelect || a.attr.Type == model.AttributeMultiSelect {
			w := float64(10 * (1 + g.rng.IntN(10)))
			v.Weight = &w
		}
		return v
	}
	if prev == nil {
		return pick()
	}
	switch i % 3 {
	case 0:
		return nil
	case 1:
		if prev.Weight != nil {
			w := *prev.Weight + 5
			v := *prev
			v.Weight = &w
			return &v
		}
	}
	return pick()
}

var resourceIDs = map[string][]string{
	"assistant": {"asst_sched01", "asst_notes02"},
	"rule":      {"rule_routing01", "rule_fairness02"},
	"document":  {"doc_handbook", "doc_policy"},
}

func changeLogs() []model.MemberChangeLog {
	g := newIDs(3)
	var out []model.MemberChangeLog
	members := func(org int64) []demoUser {
		var m []demoUser
		for _, du := range demoUsers {
			if du.org == org {
				m = append(m, du)
			}
		}
		return m
	}
	for _, org := range []struct {
		id int64
		n  int
	}{{AcmeID, 160}, {GlobexID, 24}} {
		c := &clock{t: epoch, g: g}
		ms := members(org.id)
		for i := 0; i < org.n; i++ {
			actor := ms[g.rng.IntN(len(ms))]
			if org.id == AcmeID && i%3 == 0 {
				actor = ms[2] // Carol
			}
			action := model.ChangeLogActions[i%len(model.ChangeLogActions)]
			rt := model.ChangeLogResourceTypes[(i/2)%len(model.ChangeLogResourceTypes)]
			var rid, rname string
			var changes []map[string]any
			if rt == model.ResourceOrganizationUser {
				target := ms[g.rng.IntN(len(ms))]
				if org.id == AcmeID && i%4 == 0 {
					target = ms[2]
				}
				rid, rname = fmt.Sprintf("usr_demo%016d", target.id), target.name
				changes = []map[string]any{{"field": "status_id", "old_value": "status_active", "new_value": "status_inactive"}}
				if i%5 == 0 {
					changes = append(changes, map[string]any{"field": "role", "old_value": "member", "new_value": "admin"})
				}
			} else {
				ids := resourceIDs[rt]
				rid = ids[i%len(ids)]
				rname = fmt.Sprintf("%s %s", rt, rid[len(rid)-2:])
				changes = []map[string]any{{"field": "name", "old_value": nil, "new_value": rname}}
				if action == "updated" {
					changes = []map[string]any{{"field": "enabled", "old_value": true, "new_value": false}}
				}
			}
			raw, _ := json.Marshal(changes)
			ts := c.next()
			e := model.MemberChangeLog{
				ID: g.logID(ts), OrganizationID: org.id, ActorUserID: actor.id, Action: action, Timestamp: ts,
				ResourceType: rt, ResourceID: rid, ResourceName: ptr(rname), Changes: string(raw),
				ActorPublicID: ptr(fmt.Sprintf("usr_demo%016d", actor.id)), ActorName: ptr(actor.name), ActorEmail: ptr(actor.email),
			}
			if actor.id%3 == 0 {
				e.ActorAvatar = ptr(fmt.Sprintf("https://avatars.example/%d.png", actor.id))
			}
			e.IdempotencyKey = key("mcl", e.ID)
			out = append(out, e)
		}
	}
	return out
}
