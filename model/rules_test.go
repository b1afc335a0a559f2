package model

import "testing"

func ptr64(v int64) *int64 { return &v }

// The visibility rule, case by case: membership, key binding, scopes.
func TestVisibilityRule(t *testing.T) {
	alice := &User{ID: 1}
	v := ViewerFacts{Orgs: map[int64]bool{1: true, 2: true}, Teams: map[int64]bool{10: true}}
	unbound := &Principal{User: alice}
	bound1 := &Principal{User: alice, Key: &APIKey{OrganizationID: ptr64(1), Scopes: []string{ScopeEventTypeRead}}}
	writeOnly := &Principal{User: alice, Key: &APIKey{OrganizationID: ptr64(1), Scopes: []string{ScopeWrite}}}
	for _, c := range []struct {
		name string
		p    *Principal
		org  int64
		want bool
	}{
		{"member, unbound key", unbound, 2, true},
		{"not a member", unbound, 3, false},
		{"key bound to 1 reads 1", bound1, 1, true},
		{"key bound to 1 reads 2", bound1, 2, false},
		{"write-only key", writeOnly, 1, false},
	} {
		if got := SeesOrganization(c.p, v, c.org); got != c.want {
			t.Errorf("%s: SeesOrganization = %v", c.name, got)
		}
	}
	if !SeesTeam(unbound, v, &Team{ID: 10}) || SeesTeam(bound1, v, &Team{ID: 10}) || SeesTeam(unbound, v, &Team{ID: 11}) {
		t.Error("a team without an organization: its members through an unbound key only")
	}
	if !SeesUser(writeOnly, v, 1, UserFacts{}) {
		t.Error("the caller does not see themselves")
	}
	if SeesUser(bound1, v, 9, UserFacts{Orgs: []int64{2}}) || !SeesUser(unbound, v, 9, UserFacts{Orgs: []int64{2}}) {
		t.Error("a user shared through organization 2: seen through the unbound key only")
	}
	personal := &EventTypeAccess{EventTypeOwnership: EventTypeOwnership{OwnerUserID: ptr64(1)}}
	if !SeesEventType(unbound, personal) || SeesEventType(bound1, personal) {
		t.Error("a personal event type: its owner through an unbound key only")
	}
	other := &EventTypeAccess{EventTypeOwnership: EventTypeOwnership{TeamID: ptr64(5), OrganizationID: ptr64(2)}}
	if SeesEventType(unbound, other) {
		t.Error("an event type of an organization where the caller has no role")
	}
	other.OrganizationRole = RoleMember
	if !SeesEventType(unbound, other) || SeesEventType(bound1, other) {
		t.Error("an event type of organization 2: its members, not through a key bound to 1")
	}
}

// The write rules: grants capped by the key owner's role, links inside the
// organization, shared users left alone.
func TestWriteRules(t *testing.T) {
	admin := &Access{Role: RoleAdmin}
	member := &Access{Role: RoleMember, Permissions: []string{"eventType.update"}}
	for _, c := range []struct {
		name   string
		holder *Access
		role   Role
		perms  []string
		stored Role
		ok     bool
	}{
		{"operator", nil, RoleOwner, nil, "", true},
		{"admin grants admin", admin, RoleAdmin, nil, "", true},
		{"admin grants owner", admin, RoleOwner, nil, "", false},
		{"admin demotes owner", admin, RoleMember, nil, RoleOwner, false},
		{"admin hands out the audit permission", admin, RoleMember, []string{PermissionReadAttributeAuditLogs}, "", true},
		{"member hands out a permission held", member, RoleMember, []string{"eventType.update"}, "", true},
		{"member hands out the audit permission", member, RoleMember, []string{PermissionReadAttributeAuditLogs}, "", false},
		{"no membership grants anything", &Access{}, RoleMember, nil, "", false},
	} {
		if err := MayGrant(c.holder, c.role, c.perms, c.stored, "m"); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if !MayRewriteUser(UserFacts{Orgs: []int64{1}}, 1) || MayRewriteUser(UserFacts{Orgs: []int64{1, 2}}, 1) ||
		MayRewriteUser(UserFacts{LooseTeams: []int64{4}}, 1) || !MayRewriteUser(UserFacts{}, 1) {
		t.Error("MayRewriteUser: only a user of this organization alone, or of none")
	}
	if MayLinkMember(true, false, UserFacts{Orgs: []int64{2}}, 1, "f", 3) == nil ||
		MayLinkMember(true, false, UserFacts{Orgs: []int64{1}}, 1, "f", 3) != nil ||
		MayLinkMember(true, true, UserFacts{}, 1, "f", 3) != nil ||
		MayLinkMember(false, false, UserFacts{}, 1, "f", 3) == nil {
		t.Error("MayLinkMember")
	}
	if e1, e2 := MayLinkMember(true, false, UserFacts{Orgs: []int64{2}}, 1, "f", 3), MayLinkMember(false, false, UserFacts{}, 1, "f", 3); e1.Error() != e2.Error() {
		t.Errorf("another tenant's user and a missing one answer differently: %q, %q", e1, e2)
	}
	personal := &EventTypeOwnership{OwnerUserID: ptr64(3)}
	et := &EventType{ID: 1, OwnerUserID: ptr64(3), TeamID: ptr64(9)}
	if err := MayPlaceEventType(et, EventTypePlacement{Stored: personal, StoredOwnerMember: true, TeamExists: true, TeamOrg: ptr64(1)}, 1, "e"); err == nil {
		t.Error("a personal event type was moved into a team")
	}
	if err := MayPlaceEventType(&EventType{ID: 5, ParentID: ptr64(6), TeamID: ptr64(1)},
		EventTypePlacement{TeamExists: true, TeamOrg: ptr64(1), Parent: &EventTypeOwnership{TeamID: ptr64(3), OrganizationID: ptr64(2)}}, 1, "e"); err == nil {
		t.Error("another organization's parent was accepted")
	}
}

// Bad text: NUL and bytes that are not UTF-8, found at their path.
func TestFindBadText(t *testing.T) {
	type in struct {
		Name *string `json:"name"`
		List []string
	}
	bad := "a\x00"
	if p, ok := FindBadText(map[string]any{"input": in{Name: &bad}}, "arg"); !ok || p != "arg.input.name" {
		t.Errorf("NUL: %q %v", p, ok)
	}
	if p, ok := FindBadText(in{List: []string{"ok", "\xff"}}, "arg"); !ok || p != "arg.List[1]" {
		t.Errorf("not UTF-8: %q %v", p, ok)
	}
	if _, ok := FindBadText(in{List: []string{"ok", "é"}}, "arg"); ok {
		t.Error("good text refused")
	}
	// An embedded struct's fields are named as JSON names them: flattened.
	type Plain struct {
		Reason *string `json:"reason"`
	}
	type entry struct {
		ID string `json:"id"`
		Plain
	}
	if p, ok := FindBadText([]*entry{{ID: "1", Plain: Plain{Reason: &bad}}}, "entries"); !ok || p != "entries[0].reason" {
		t.Errorf("embedded: %q %v", p, ok)
	}
}
