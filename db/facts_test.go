package db_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

// statementsOf counts the statements fn issues on s's database.
func statementsOf(s *db.Store, fn func()) int64 {
	c := &db.StatementCounter{}
	s.DB().AddQueryHook(c)
	fn()
	return c.Count()
}

// TestFactCache checks that keys and access facts are read once, and read
// again at once after this server's own writes change them.
func TestFactCache(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		must(t, s.CacheFacts(ctx, time.Minute))
		secret := model.NewKeySecret()
		k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: 1}
		must(t, s.CreateAPIKey(ctx, k))

		lookups := func() {
			if _, _, err := s.APIKeyWithUser(ctx, k.Hash); err != nil {
				t.Fatal(err)
			}
			if _, err := s.EventTypeAccess(ctx, 2, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OrganizationAccess(ctx, 1, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OrganizationAccess(ctx, 3, 1); model.ErrorCode(err) != model.CodeNotFound {
				t.Fatalf("user 3 in organization 1: %v, want NOT_FOUND", err)
			}
		}
		if n := statementsOf(s, lookups); n != 4 {
			t.Errorf("cold lookups: %d statements, want 4", n)
		}
		if n := statementsOf(s, lookups); n != 0 {
			t.Errorf("warm lookups: %d statements, want 0", n)
		}

		// What a caller gets is its own copy.
		a, _ := s.OrganizationAccess(ctx, 1, 1)
		a.Role = model.RoleOwner
		if a, _ := s.OrganizationAccess(ctx, 1, 1); a.Role != model.RoleAdmin {
			t.Errorf("cached access changed by a caller: %s", a.Role)
		}

		// Recording a use keeps the facts and updates the key's.
		used := time.Now().UTC().Truncate(time.Second)
		must(t, s.TouchAPIKey(ctx, k.ID, used))
		n := statementsOf(s, func() {
			got, _, err := s.APIKeyWithUser(ctx, k.Hash)
			must(t, err)
			if got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
				t.Errorf("last use %v, want %v", got.LastUsedAt, used)
			}
		})
		if n != 0 {
			t.Errorf("lookup after recording a use: %d statements, want 0", n)
		}

		// A revocation through the store is seen by the next lookup.
		must(t, s.RevokeAPIKey(ctx, k.ID, time.Now()))
		got, _, err := s.APIKeyWithUser(ctx, k.Hash)
		must(t, err)
		if got.Usable(time.Now()) {
			t.Error("revoked key still usable through the cache")
		}

		// So is a directory write, in a transaction too: user 2 becomes an
		// owner of organization 1, user 3 joins it.
		before, err := s.EventTypeAccess(ctx, 2, 2)
		must(t, err)
		if before.OrganizationRole != model.RoleMember {
			t.Fatalf("user 2 in organization 1: %q", before.OrganizationRole)
		}
		must(t, s.InTx(ctx, func(tx model.Store) error {
			if err := tx.UpsertMembership(ctx, &model.Membership{ID: 2, UserID: 2, OrganizationID: ptr(int64(1)), Role: model.RoleOwner}); err != nil {
				return err
			}
			return tx.UpsertMembership(ctx, &model.Membership{ID: 4, UserID: 3, OrganizationID: ptr(int64(1)), Role: model.RoleMember})
		}))
		after, err := s.EventTypeAccess(ctx, 2, 2)
		must(t, err)
		if after.OrganizationRole != model.RoleOwner {
			t.Errorf("after the membership changed: organization role %q, want OWNER", after.OrganizationRole)
		}
		if a, err := s.OrganizationAccess(ctx, 3, 1); err != nil || a.Role != model.RoleMember {
			t.Errorf("after user 3 joined: %+v, %v", a, err)
		}
	})
}

// TestRevocationByAnotherProcessWithinBound revokes a key through another
// database handle (what `auditgraph apikey revoke` or another server does)
// and checks that a server's cached lookup refuses it within the bound:
// the fact cache's lifetime. On PostgreSQL the notification makes it take
// effect long before.
func TestRevocationByAnotherProcessWithinBound(t *testing.T) {
	const bound = 2 * time.Second
	for _, dialect := range []string{db.SQLite, db.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := filepath.Join(t.TempDir(), "test.db")
			if dialect == db.Postgres {
				url = pgtest.NewDatabase(t)
			}
			server := openStore(t, url)
			fixture(t, server)
			must(t, server.CacheFacts(ctx, bound))
			other := openStore(t, url)

			secret := model.NewKeySecret()
			k := &model.APIKey{Hash: model.HashKey(secret), Hint: model.KeyHint(secret), UserID: 1}
			must(t, other.CreateAPIKey(ctx, k))
			if got, _, err := server.APIKeyWithUser(ctx, k.Hash); err != nil || !got.Usable(time.Now()) {
				t.Fatalf("fresh key: %+v, %v", got, err)
			}
			if n := statementsOf(server, func() { server.APIKeyWithUser(ctx, k.Hash) }); n != 0 {
				t.Fatalf("warm lookup: %d statements, want 0", n)
			}

			must(t, other.RevokeAPIKey(ctx, k.ID, time.Now()))
			revoked := time.Now()
			for {
				got, _, err := server.APIKeyWithUser(ctx, k.Hash)
				must(t, err)
				if !got.Usable(time.Now()) {
					break
				}
				if time.Since(revoked) > bound+time.Second {
					t.Fatalf("revoked key still accepted %s after the revocation; the bound is %s", time.Since(revoked), bound)
				}
				time.Sleep(5 * time.Millisecond)
			}
			took := time.Since(revoked)
			t.Logf("%s: the revocation took effect after %s (bound %s)", dialect, took, bound)
			// A fact read just before the revocation lives at most the bound; the
			// margin is for the poll and a loaded machine.
			if took > bound+500*time.Millisecond {
				t.Errorf("revocation took effect after %s, beyond the bound %s", took, bound)
			}
			if dialect == db.Postgres && took > bound/2 {
				t.Errorf("PostgreSQL: revocation took effect after %s: the notification did not drop the cache", took)
			}
		})
	}
}
