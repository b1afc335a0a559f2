package db_test

import (
	"testing"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
)

// TestEventTypeAccess checks the one-statement access lookup of an event
// type: its ownership chain and the user's roles along it.
func TestEventTypeAccess(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		cases := []struct {
			eventType, user int64
			owner           *int64
			team, org       *int64
			teamRole        model.Role
			orgRole         model.Role
		}{
			// Personal event type of user 2: only its owner is named.
			{eventType: 1, user: 2, owner: ptr(int64(2))},
			{eventType: 1, user: 1, owner: ptr(int64(2))},
			// Team event type: team 1 of org 1; user 3 owns the team, user 1
			// is an org admin, user 2 an org member.
			{eventType: 2, user: 3, team: ptr(int64(1)), org: ptr(int64(1)), teamRole: model.RoleOwner},
			{eventType: 2, user: 1, team: ptr(int64(1)), org: ptr(int64(1)), orgRole: model.RoleAdmin},
			{eventType: 2, user: 2, team: ptr(int64(1)), org: ptr(int64(1)), orgRole: model.RoleMember},
			// A managed child resolves through its parent's team and has no
			// owner who may read it.
			{eventType: 3, user: 2, team: ptr(int64(1)), org: ptr(int64(1)), orgRole: model.RoleMember},
			{eventType: 3, user: 3, team: ptr(int64(1)), org: ptr(int64(1)), teamRole: model.RoleOwner},
		}
		for _, c := range cases {
			a, err := s.EventTypeAccess(ctx, c.eventType, c.user)
			must(t, err)
			if !eqPtr(a.OwnerUserID, c.owner) || !eqPtr(a.TeamID, c.team) || !eqPtr(a.OrganizationID, c.org) ||
				a.TeamRole != c.teamRole || a.OrganizationRole != c.orgRole || a.EventTypeID != c.eventType {
				t.Errorf("event type %d, user %d: got %+v (owner %v team %v org %v)", c.eventType, c.user, a,
					deref(a.OwnerUserID), deref(a.TeamID), deref(a.OrganizationID))
			}
		}
		if _, err := s.EventTypeAccess(ctx, 99, 1); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown event type: %v, want NOT_FOUND", err)
		}
	})
}

// TestAPIKeyWithUser checks the one-statement key lookup used on every
// request: the key and its owner, NOT_FOUND for an unknown hash.
func TestAPIKeyWithUser(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: 1, OrganizationID: ptr(int64(1))}
		must(t, s.CreateAPIKey(ctx, k))
		got, u, err := s.APIKeyWithUser(ctx, k.Hash)
		must(t, err)
		if got.ID != k.ID || got.UserID != 1 || !eqPtr(got.OrganizationID, ptr(int64(1))) || got.Hash != k.Hash {
			t.Errorf("key %+v", got)
		}
		if u.ID != 1 || u.PublicID != "usr_one" || u.Email != "one@example.com" || u.Name == nil || *u.Name != "One" {
			t.Errorf("owner %+v", u)
		}
		if _, _, err := s.APIKeyWithUser(ctx, model.HashKey("cal_nope")); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown key: %v, want NOT_FOUND", err)
		}
	})
}

func eqPtr(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestWithAccess checks the one-statement lookups of an organization or a
// user along with a membership, by numeric and by public id.
func TestWithAccess(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		for _, ref := range []model.Ref{{ID: 1}, {PublicID: "org_one"}} {
			org, a, err := s.OrganizationWithAccess(ctx, ref, 2)
			must(t, err)
			if org.ID != 1 || org.PublicID != "org_one" || org.Name != "One" {
				t.Errorf("%v: organization %+v", ref, org)
			}
			if a == nil || a.MembershipID != 2 || a.Role != model.RoleMember || !a.Has(model.PermissionReadAttributeAuditLogs) {
				t.Errorf("%v: access of user 2 %+v", ref, a)
			}
			org, a, err = s.OrganizationWithAccess(ctx, ref, 3)
			must(t, err)
			if org.ID != 1 || a != nil {
				t.Errorf("%v: user 3 is no member of org 1: %+v %+v", ref, org, a)
			}
		}
		if _, _, err := s.OrganizationWithAccess(ctx, model.Ref{PublicID: "org_nope"}, 1); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown organization: %v, want NOT_FOUND", err)
		}
		for _, ref := range []model.Ref{{ID: 1}, {PublicID: "usr_one"}} {
			u, a, err := s.UserWithAccess(ctx, ref, 1)
			must(t, err)
			if u.ID != 1 || u.Email != "one@example.com" || a == nil || a.Role != model.RoleAdmin || a.MembershipID != 1 || len(a.Permissions) != 0 {
				t.Errorf("%v: user %+v access %+v", ref, u, a)
			}
			u, a, err = s.UserWithAccess(ctx, ref, 2)
			must(t, err)
			if u.ID != 1 || a != nil {
				t.Errorf("%v: user 1 is no member of org 2: %+v", ref, a)
			}
		}
		if _, _, err := s.UserWithAccess(ctx, model.Ref{ID: 42}, 1); model.ErrorCode(err) != model.CodeNotFound {
			t.Errorf("unknown user: %v, want NOT_FOUND", err)
		}
	})
}
