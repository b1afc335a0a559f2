package seed

import (
	"context"
	"fmt"

	"github.com/auditgraph/auditgraph/model"
)

type demoUser struct {
	id    int64
	name  string
	email string
	org   int64
	role  model.Role
}

var demoUsers = []demoUser{
	{OwnerUserID, "Alice Owner", "alice@acme.example", AcmeID, model.RoleOwner},
	{AdminUserID, "Bob Admin", "bob@acme.example", AcmeID, model.RoleAdmin},
	{MemberUserID, "Carol Member", "carol@acme.example", AcmeID, model.RoleMember},
	{AuditorUserID, "Dave Auditor", "dave@acme.example", AcmeID, model.RoleMember},
	{OutsiderUserID, "Erin Outsider", "erin@globex.example", GlobexID, model.RoleOwner},
	{NoRoleUserID, "Frank Member", "frank@acme.example", AcmeID, model.RoleMember},
	{7, "Grace Hopper", "grace@acme.example", AcmeID, model.RoleAdmin},
	{8, "Heidi Lamar", "heidi@acme.example", AcmeID, model.RoleMember},
	{9, "Ivan Petrov", "ivan@acme.example", AcmeID, model.RoleMember},
	{10, "Judy Chen", "judy@acme.example", AcmeID, model.RoleMember},
	{11, "Ken Adams", "ken@acme.example", AcmeID, model.RoleMember},
	{12, "Laura Palmer", "laura@acme.example", AcmeID, model.RoleMember},
	{13, "Mallory Stone", "mallory@acme.example", AcmeID, model.RoleMember},
	{14, "Niaj Brown", "niaj@acme.example", AcmeID, model.RoleMember},
	{15, "Olivia Park", "olivia@globex.example", GlobexID, model.RoleAdmin},
	{16, "Peggy Fox", "peggy@globex.example", GlobexID, model.RoleMember},
	{17, "Quentin Blake", "quentin@globex.example", GlobexID, model.RoleMember},
	{18, "Rupert Giles", "rupert@globex.example", GlobexID, model.RoleMember},
	{19, "Sybil Trelawney", "sybil@globex.example", GlobexID, model.RoleMember},
	{20, "Trent Reznor", "trent@freelance.example", 0, ""},
}

func directory(ctx context.Context, s model.Store, res *Result) error {
	for _, step := range []func(context.Context, model.Store, *Result) error{
		organizations, teamsAndRoles, users, teamMemberships, eventTypes, seedAttributes,
	} {
		if err := step(ctx, s, res); err != nil {
			return err
		}
	}
	return nil
}

// upsertAll stores every item with upsert, stopping at the first error.
func upsertAll[T any](ctx context.Context, items []T, upsert func(context.Context, *T) error) error {
	for i := range items {
		if err := upsert(ctx, &items[i]); err != nil {
			return err
		}
	}
	return nil
}

// organizations are Acme and Globex.
func organizations(ctx context.Context, s model.Store, res *Result) error {
	orgs := []model.Organization{
		{ID: AcmeID, PublicID: "org_acme7f3k2q9x1b5m8n4v", Slug: "acme", Name: "Acme Corp"},
		{ID: GlobexID, PublicID: "org_globex2w6r9t1y5u8i3o", Slug: "globex", Name: "Globex"},
	}
	if err := upsertAll(ctx, orgs, s.UpsertOrganization); err != nil {
		return err
	}
	res.Organizations["acme"] = Ref{ID: orgs[0].ID, PublicID: orgs[0].PublicID, Name: orgs[0].Name}
	res.Organizations["globex"] = Ref{ID: orgs[1].ID, PublicID: orgs[1].PublicID, Name: orgs[1].Name}
	return nil
}

// teamsAndRoles are the organizations' teams, a team of no organization,
// and Acme's two custom roles.
func teamsAndRoles(ctx context.Context, s model.Store, _ *Result) error {
	acme, globex := AcmeID, GlobexID
	teams := []model.Team{
		{ID: EngineeringTeamID, OrganizationID: &acme, Slug: "engineering", Name: "Engineering"},
		{ID: SalesTeamID, OrganizationID: &acme, Slug: "sales", Name: "Sales"},
		{ID: SupportTeamID, OrganizationID: &globex, Slug: "support", Name: "Support"},
		{ID: FreelanceTeamID, Slug: "freelancers", Name: "Freelancers"},
	}
	if err := upsertAll(ctx, teams, s.UpsertTeam); err != nil {
		return err
	}
	return upsertAll(ctx, []model.CustomRole{
		{ID: AuditorRoleID, OrganizationID: AcmeID, Name: "Attribute auditor", Permissions: []string{model.PermissionReadAttributeAuditLogs}},
		{ID: 2, OrganizationID: AcmeID, Name: "Scheduler", Permissions: []string{"eventType.update"}},
	}, s.UpsertCustomRole)
}

// users are the demo users and their organization memberships.
func users(ctx context.Context, s model.Store, res *Result) error {
	var membershipID int64 = 100
	for _, du := range demoUsers {
		u := model.User{ID: du.id, PublicID: fmt.Sprintf("usr_demo%016d", du.id), Email: du.email, Name: ptr(du.name)}
		if du.id%3 == 0 {
			u.AvatarURL = ptr(fmt.Sprintf("https://avatars.example/%d.png", du.id))
		}
		if err := s.UpsertUser(ctx, &u); err != nil {
			return err
		}
		res.Users[userKey(du.id)] = Ref{ID: u.ID, PublicID: u.PublicID, Name: du.name}
		if du.org == 0 {
			continue
		}
		org := du.org
		m := model.Membership{ID: membershipID + du.id, UserID: du.id, OrganizationID: &org, Role: du.role}
		switch du.id {
		case AuditorUserID:
			m.CustomRoleID = ptr(AuditorRoleID)
		case NoRoleUserID:
			m.CustomRoleID = ptr(int64(2))
		}
		if err := s.UpsertMembership(ctx, &m); err != nil {
			return err
		}
	}
	return nil
}

// teamMemberships put users in the teams.
func teamMemberships(ctx context.Context, s model.Store, _ *Result) error {
	teamMembers := []struct {
		id, user, team int64
		role           model.Role
	}{
		{201, OwnerUserID, EngineeringTeamID, model.RoleOwner},
		{202, MemberUserID, EngineeringTeamID, model.RoleMember},
		{203, NoRoleUserID, EngineeringTeamID, model.RoleMember},
		{204, 7, EngineeringTeamID, model.RoleAdmin},
		{205, AdminUserID, SalesTeamID, model.RoleOwner},
		{206, 8, SalesTeamID, model.RoleMember},
		{207, OutsiderUserID, SupportTeamID, model.RoleOwner},
		{208, 16, SupportTeamID, model.RoleMember},
		{209, 20, FreelanceTeamID, model.RoleOwner},
	}
	ms := make([]model.Membership, len(teamMembers))
	for i, tm := range teamMembers {
		team := tm.team
		ms[i] = model.Membership{ID: tm.id, UserID: tm.user, TeamID: &team, Role: tm.role}
	}
	return upsertAll(ctx, ms, s.UpsertMembership)

}

// eventTypes are personal, team and managed event types.
func eventTypes(ctx context.Context, s model.Store, res *Result) error {
	eng, sales, support, free := EngineeringTeamID, SalesTeamID, SupportTeamID, FreelanceTeamID
	eventTypes := []model.EventType{
		{ID: PersonalEventTypeID, Title: "30 min meeting", Slug: "30min", OwnerUserID: ptr(MemberUserID)},
		{ID: TeamEventTypeID, Title: "Engineering sync", Slug: "eng-sync", TeamID: &eng},
		{ID: ManagedParentID, Title: "Onboarding", Slug: "onboarding", TeamID: &eng},
		{ID: ManagedChildID, Title: "Onboarding", Slug: "onboarding", OwnerUserID: ptr(NoRoleUserID), ParentID: ptr(ManagedParentID)},
		{ID: SalesEventTypeID, Title: "Sales demo", Slug: "sales-demo", TeamID: &sales},
		{ID: GlobexEventTypeID, Title: "Support call", Slug: "support-call", TeamID: &support},
		{ID: FreelanceEventType, Title: "Freelance consult", Slug: "consult", TeamID: &free},
	}
	names := []string{"personal", "team", "managedParent", "managedChild", "sales", "globex", "freelance"}
	if err := upsertAll(ctx, eventTypes, s.UpsertEventType); err != nil {
		return err
	}
	for i, name := range names {
		res.EventTypes[name] = eventTypes[i].ID
	}
	return nil

}

// seedAttributes are the attributes with their options.
func seedAttributes(ctx context.Context, s model.Store, _ *Result) error {
	for _, a := range attributes {
		opts := append([]model.AttributeOption(nil), a.options...)
		attr := a.attr
		if err := s.UpsertAttribute(ctx, &attr, opts); err != nil {
			return err
		}
	}
	return nil
}

func userKey(id int64) string {
	for role, uid := range roleUser {
		if uid == id && role != "writer" {
			return role
		}
	}
	return fmt.Sprintf("user%d", id)
}

type demoAttribute struct {
	attr    model.Attribute
	options []model.AttributeOption
}

var attributes = []demoAttribute{
	{model.Attribute{ID: "attr_dept", OrganizationID: AcmeID, Slug: "department", Name: "Department", Type: model.AttributeSingleSelect},
		[]model.AttributeOption{
			{ID: "opt_engineering", Slug: "engineering", Value: "Engineering"},
			{ID: "opt_sales", Slug: "sales", Value: "Sales"},
			{ID: "opt_support", Slug: "support", Value: "Support"},
		}},
	{model.Attribute{ID: "attr_skills", OrganizationID: AcmeID, Slug: "skills", Name: "Skills", Type: model.AttributeMultiSelect},
		[]model.AttributeOption{
			{ID: "opt_go", Slug: "go", Value: "Go"},
			{ID: "opt_sql", Slug: "sql", Value: "SQL"},
			{ID: "opt_design", Slug: "design", Value: "Design"},
		}},
	{model.Attribute{ID: "attr_level", OrganizationID: AcmeID, Slug: "level", Name: "Level", Type: model.AttributeNumber},
		[]model.AttributeOption{{ID: "opt_level", Slug: "level", Value: "1"}}},
	{model.Attribute{ID: "attr_location", OrganizationID: AcmeID, Slug: "location", Name: "Location", Type: model.AttributeText},
		[]model.AttributeOption{{ID: "opt_location", Slug: "location", Value: "Remote"}}},
}
