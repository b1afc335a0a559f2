package db_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/internal/pgtest"
	"github.com/auditgraph/auditgraph/model"
)

func testSigner(t testing.TB) (*integrity.Signer, *integrity.Verifier) {
	t.Helper()
	skey, vkey, err := integrity.GenerateKey("test")
	must(t, err)
	s, err := integrity.NewSigner(skey)
	must(t, err)
	v, err := integrity.NewVerifier(vkey)
	must(t, err)
	if s.VerifierKey() != vkey {
		t.Fatalf("derived verifier key %q, generated %q", s.VerifierKey(), vkey)
	}
	return s, v
}

func changeLogs(n int, orgID int64, tag string) []model.MemberChangeLog {
	out := make([]model.MemberChangeLog, n)
	for i := range out {
		out[i] = model.MemberChangeLog{ID: fmt.Sprintf("%s-%04d", tag, i), OrganizationID: orgID, ActorUserID: 1,
			Action: "updated", Timestamp: base.Add(time.Duration(i) * time.Second), ResourceType: model.ResourceOrganizationUser,
			ResourceID: "usr_two", Changes: `[]`}
	}
	return out
}

// verifyAll runs the database verifier and returns every finding, as text.
func verifyAll(t *testing.T, s *db.Store, v *integrity.Verifier) (map[string]integrity.StreamResult, []string) {
	t.Helper()
	results := map[string]integrity.StreamResult{}
	var out []string
	inserted, _, err := s.VerifyLog(ctx, v, func(r integrity.StreamResult) {
		results[r.Stream] = r
		for _, f := range r.Findings {
			out = append(out, f.String())
		}
	})
	must(t, err)
	for _, f := range inserted {
		out = append(out, f.String())
	}
	return results, out
}

func TestIntegrityLogStreamsAndProofs(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		signer, v := testSigner(t)
		personal := appendEventTypeEntries(t, s, 1, 3) // user/2
		team := appendEventTypeEntries(t, s, 2, 4)     // org/1 (team 1 is in org 1)
		child := appendEventTypeEntries(t, s, 3, 2)    // org/1 through its parent
		_, err := s.AppendMemberChangeLogs(ctx, changeLogs(5, 1, "cl"))
		must(t, err)
		// An idempotent retry stores nothing and logs nothing.
		key := "k1"
		first := changeLogs(1, 2, "idem")
		first[0].IdempotencyKey = &key
		_, err = s.AppendMemberChangeLogs(ctx, first)
		must(t, err)
		first[0].ID = "idem-other"
		_, err = s.AppendMemberChangeLogs(ctx, first)
		must(t, err)
		n, err := s.CopyMemberChangeLogs(ctx, changeLogs(7, 2, "copy"))
		must(t, err)
		if n != 7 {
			t.Fatalf("copied %d, want 7", n)
		}

		for stream, want := range map[string]uint64{"user/2": 3, "org/1": 11, "org/2": 8} {
			st, err := integrity.ParseStream(stream)
			must(t, err)
			state, err := s.StreamState(ctx, st)
			must(t, err)
			if state.Size != want || state.Checkpoint != "" {
				t.Fatalf("%s: size %d checkpoint %q, want %d and none", stream, state.Size, state.Checkpoint, want)
			}
		}
		p, err := s.EntryProof(ctx, integrity.EventTypeHistory, personal[2].ID)
		must(t, err)
		if p.Stream != "user/2" || p.LeafIndex != 2 || p.Checkpoint != "" || p.InclusionProof != nil {
			t.Fatalf("unsigned proof: %+v", p)
		}
		if _, err := p.Verify(v); err == nil || !strings.Contains(err.Error(), "no signed checkpoint") {
			t.Fatalf("verifying an unsigned proof: %v", err)
		}

		signed, err := s.SignCheckpoints(ctx, signer)
		must(t, err)
		if signed != 3 {
			t.Fatalf("signed %d checkpoints, want 3", signed)
		}
		if again, _ := s.SignCheckpoints(ctx, signer); again != 0 {
			t.Fatalf("signed %d checkpoints of unchanged streams", again)
		}
		for _, e := range append(append(slices.Clone(personal), team...), child...) {
			p, err := s.EntryProof(ctx, integrity.EventTypeHistory, e.ID)
			must(t, err)
			cp, err := p.Verify(v)
			if err != nil {
				t.Fatalf("entry %s: %v", e.ID, err)
			}
			if cp.Stream.String() != p.Stream {
				t.Fatalf("checkpoint of %s for a proof of %s", cp.Stream, p.Stream)
			}
		}
		p, err = s.EntryProof(ctx, integrity.MemberChangeLogs, "copy-0003")
		must(t, err)
		if _, err := p.Verify(v); err != nil || p.Stream != "org/2" || p.LeafIndex != 4 || p.TreeSize != 8 {
			t.Fatalf("copied entry proof %+v: %v", p, err)
		}
		// A proof fails under another key and with a forged leaf.
		_, other := testSigner(t)
		if _, err := p.Verify(other); err == nil {
			t.Fatal("a proof verified under another key")
		}
		forged := *p
		forged.LeafData = append(slices.Clone(p.LeafData), 'x')
		forged.LeafHash = integrity.LeafHash(forged.LeafData)
		if _, err := forged.Verify(v); err == nil {
			t.Fatal("a forged leaf verified")
		}
		if _, err := s.EntryProof(ctx, integrity.MemberChangeLogs, "idem-other"); model.ErrorCode(err) != model.CodeNotFound {
			t.Fatalf("proof of an entry never stored: %v", err)
		}

		// Consistency between the signed size and a later one.
		_, err = s.AppendMemberChangeLogs(ctx, changeLogs(3, 1, "later"))
		must(t, err)
		org1 := integrity.OrganizationStream(1)
		before, err := s.StreamState(ctx, org1)
		must(t, err)
		must(t, nil)
		if _, err := s.SignCheckpoints(ctx, signer); err != nil {
			t.Fatal(err)
		}
		after, err := s.StreamState(ctx, org1)
		must(t, err)
		if before.CheckpointSize != 11 || after.CheckpointSize != 14 {
			t.Fatalf("checkpoint sizes %d then %d, want 11 then 14", before.CheckpointSize, after.CheckpointSize)
		}
		path, err := s.ConsistencyProof(ctx, org1, 11, 14)
		must(t, err)
		must(t, integrity.VerifyConsistency(11, 14, path, before.CheckpointRoot, after.CheckpointRoot))
		if _, err := s.ConsistencyProof(ctx, org1, 12, 15); model.ErrorCode(err) != model.CodeInvalid {
			t.Fatalf("consistency beyond the stream: %v", err)
		}

		results, findings := verifyAll(t, s, v)
		if len(findings) != 0 {
			t.Fatalf("a clean database has findings: %v", findings)
		}
		if r := results["org/1"]; r.Leaves != 14 || r.Signed != 14 {
			t.Fatalf("org/1 verified %d leaves, %d signed", r.Leaves, r.Signed)
		}
	})
}

// TestIntegrityTamperingIsNamed tampers with a PostgreSQL database as a
// superuser would, past the append-only triggers, and checks that verify
// names every change by entry and position.
func TestIntegrityTamperingIsNamed(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	fixture(t, s)
	signer, v := testSigner(t)
	_, err := s.AppendMemberChangeLogs(ctx, changeLogs(10, 1, "cl"))
	must(t, err)
	ets := appendEventTypeEntries(t, s, 2, 8) // org/1, positions 10 to 17
	_, err = s.SignCheckpoints(ctx, signer)
	must(t, err)
	if _, f := verifyAll(t, s, v); len(f) != 0 {
		t.Fatalf("findings before tampering: %v", f)
	}
	// Positions of the event type entries, which were appended in order.
	pos := map[string]int{}
	for i, e := range ets {
		pos[e.ID] = 10 + i
	}

	// The superuser's session: triggers off.
	sql := func(q string, args ...any) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, "SET session_replication_role = replica; "+q, args...); err != nil {
			t.Fatal(err)
		}
	}
	sql("UPDATE member_change_logs SET action = 'deleted' WHERE id = 'cl-0002'")
	sql("DELETE FROM member_change_logs WHERE id = 'cl-0005'")
	sql("INSERT INTO member_change_logs (id, organization_id, actor_user_id, action, created_at, resource_type, resource_id, changes) " +
		"VALUES ('forged', 1, 1, 'created', '2026-03-01T12:00:30Z', 'organization_user', 'usr_two', '[]')")
	a, b := ets[0].ID, ""
	for _, e := range ets {
		if !e.Timestamp.Equal(ets[0].Timestamp) {
			b = e.ID
		}
	}
	sql("UPDATE event_type_history SET created_at = CASE id WHEN ?::uuid THEN (SELECT created_at FROM event_type_history WHERE id = ?::uuid) "+
		"ELSE (SELECT created_at FROM event_type_history WHERE id = ?::uuid) END WHERE id IN (?::uuid, ?::uuid)", a, b, a, a, b)

	_, findings := verifyAll(t, s, v)
	want := []string{
		"modified org/1 position 2 entry cl-0002 (member_change_logs)",
		"deleted org/1 position 5 entry cl-0005 (member_change_logs)",
		"inserted entry forged (member_change_logs)",
		fmt.Sprintf("modified org/1 position %d entry %s (event_type_history)", pos[a], a),
		fmt.Sprintf("modified org/1 position %d entry %s (event_type_history)", pos[b], b),
	}
	for _, w := range want {
		found := false
		for _, f := range findings {
			found = found || strings.HasPrefix(f, w+":")
		}
		if !found {
			t.Errorf("no finding %q in %q", w, findings)
		}
	}
	if len(findings) != len(want) {
		t.Errorf("%d findings, want %d: %q", len(findings), len(want), findings)
	}

	// Reordering the log: two positions trade their entries. Each entry is
	// named with the position it was logged at.
	sql("UPDATE log_leaves SET entry_id = 'tmp' WHERE stream = 'org/1' AND idx = 0")
	sql("UPDATE log_leaves SET entry_id = 'cl-0000' WHERE stream = 'org/1' AND idx = 1")
	sql("UPDATE log_leaves SET entry_id = 'cl-0001' WHERE stream = 'org/1' AND idx = 0")
	_, findings = verifyAll(t, s, v)
	expect := func(prefixes ...string) {
		t.Helper()
		for _, w := range prefixes {
			found := false
			for _, f := range findings {
				found = found || strings.HasPrefix(f, w)
			}
			if !found {
				t.Errorf("no finding %q in %q", w, findings)
			}
		}
	}
	expect("reordered org/1 position 0 entry cl-0001 (member_change_logs): the entry found here was logged at position 1",
		"reordered org/1 position 1 entry cl-0000 (member_change_logs): the entry found here was logged at position 0")
	// Rewriting the leaves to match (their hashes moved too) leaves the
	// entries consistent with the log, but not with the signed root.
	sql("UPDATE log_leaves SET leaf_hash = (SELECT leaf_hash FROM log_leaves WHERE stream = 'org/1' AND idx = 1) WHERE stream = 'org/1' AND idx = 0 " +
		"AND leaf_hash = (SELECT leaf_hash FROM log_leaves WHERE stream = 'org/1' AND idx = 0)")
	_, findings = verifyAll(t, s, v)
	expect("log-rewritten org/1 position 0: the log's leaves between positions 0 and 17 do not make the root signed at size 18")
}

// TestIntegrityConcurrentWriters appends from several writers to one stream
// and to others at once: every entry gets exactly one position, positions
// are dense, and the log verifies.
func TestIntegrityConcurrentWriters(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		signer, v := testSigner(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range 5 {
					if _, err := s.AppendMemberChangeLogs(ctx, changeLogs(4, int64(1+w%2), fmt.Sprintf("w%d-b%d", w, b))); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		_, err := s.SignCheckpoints(ctx, signer)
		must(t, err)
		results, findings := verifyAll(t, s, v)
		if len(findings) != 0 {
			t.Fatal(findings)
		}
		for _, st := range []string{"org/1", "org/2"} {
			if r := results[st]; r.Leaves != 80 || r.Signed != 80 {
				t.Fatalf("%s: %d leaves, %d signed, want 80", st, r.Leaves, r.Signed)
			}
		}
	})
}

// TestIntegrityBackfill logs the entries a database held before the log
// existed, oldest first, once.
func TestIntegrityBackfill(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		fixture(t, s)
		signer, v := testSigner(t)
		bare := db.WithoutLog(s)
		_, err := bare.AppendMemberChangeLogs(ctx, changeLogs(6, 1, "old"))
		must(t, err)
		_, err = bare.AppendEventTypeHistory(ctx, []model.EventTypeEntry{{ID: model.NewEntryID(), EventTypeID: 1,
			Action: model.EventTypeCreated, Type: "RECORD_CREATED", Timestamp: base, Source: "WEBAPP",
			Actor: model.ActorSnapshot{Type: model.ActorSystem}, Payload: `{}`}})
		must(t, err)
		if _, f := verifyAll(t, s, v); len(f) != 7 || !strings.HasPrefix(f[0], "inserted") {
			t.Fatalf("before the backfill: %q", f)
		}
		_, err = s.DB().ExecContext(ctx, "UPDATE log_state SET value = 'pending' WHERE name = 'backfill'")
		must(t, err)
		n, err := s.Backfill(ctx)
		must(t, err)
		if n != 7 {
			t.Fatalf("backfilled %d entries, want 7", n)
		}
		if n, _ := s.Backfill(ctx); n != 0 {
			t.Fatalf("a second backfill logged %d entries", n)
		}
		_, err = s.SignCheckpoints(ctx, signer)
		must(t, err)
		results, f := verifyAll(t, s, v)
		if len(f) != 0 || results["org/1"].Signed != 6 || results["user/2"].Signed != 1 {
			t.Fatalf("after the backfill: %q %+v", f, results)
		}
		p, err := s.EntryProof(ctx, integrity.MemberChangeLogs, "old-0004")
		must(t, err)
		if p.LeafIndex != 4 {
			t.Fatalf("old-0004 at position %d, want 4 (oldest first)", p.LeafIndex)
		}
	})
}

// TestIntegritySignerRefusesRewrittenLog: a signer signs only trees that
// extend what was signed before, so a log rewritten behind its back (even
// with the old checkpoints deleted) is not signed over.
func TestIntegritySignerRefusesRewrittenLog(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	signer, _ := testSigner(t)
	_, err := s.AppendMemberChangeLogs(ctx, changeLogs(300, 1, "a"))
	must(t, err)
	_, err = s.AppendMemberChangeLogs(ctx, changeLogs(5, 2, "b"))
	must(t, err)
	if n, err := s.SignCheckpoints(ctx, signer); n != 2 || err != nil {
		t.Fatalf("signed %d: %v", n, err)
	}
	sql := func(q string) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, "SET session_replication_role = replica; "+q); err != nil {
			t.Fatal(err)
		}
	}
	// A changed kept node is named by verify (proofs from it would fail).
	sql("UPDATE log_nodes SET hash = sha256('forged') WHERE stream = 'org/1' AND level = 8 AND idx = 0")
	_, v := testSigner(t)
	if _, findings := verifyAll(t, s, v); !slices.ContainsFunc(findings, func(f string) bool {
		return strings.HasPrefix(f, "invalid-node org/1 position 0: the kept node (level 8, index 0) differs")
	}) {
		t.Errorf("a forged kept node: %q", findings)
	}
	// A rewritten leaf, and the old checkpoints deleted: the signer still
	// remembers what it signed.
	sql("UPDATE log_leaves SET leaf_hash = sha256('forged') WHERE stream = 'org/1' AND idx = 7")
	sql("DELETE FROM log_checkpoints WHERE stream = 'org/1'")
	_, err = s.AppendMemberChangeLogs(ctx, changeLogs(3, 1, "c"))
	must(t, err)
	_, err = s.AppendMemberChangeLogs(ctx, changeLogs(1, 2, "d"))
	must(t, err)
	n, err := s.SignCheckpoints(ctx, signer)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "not signing org/1 at size 303") {
		t.Fatalf("signed %d, error %v", n, err)
	}
	// A new signer (a restart) has only the database to go by: with the
	// checkpoints gone it cannot tell, which is why verifiers keep their own
	// copies of checkpoints and ask for consistency proofs. With them in
	// place, it refuses too.
	other, _ := testSigner(t)
	sql("UPDATE log_streams SET signed_size = 0 WHERE stream = 'org/2'")
	if _, err := s.SignCheckpoints(ctx, other); err == nil || !strings.Contains(err.Error(), "not signing org/2") {
		t.Fatalf("a signer with another key over the first one's checkpoints: %v", err)
	}
}

// TestIntegrityCopyDuplicates: a COPY batch repeating stored idempotency
// keys (a re-import) logs only the entries it stores, in batch order.
func TestIntegrityCopyDuplicates(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.Store) {
		signer, v := testSigner(t)
		keyed := func(tag string, keys ...string) []model.MemberChangeLog {
			out := changeLogs(len(keys), 1, tag)
			for i := range out {
				out[i].IdempotencyKey = &keys[i]
			}
			return out
		}
		n, err := s.CopyMemberChangeLogs(ctx, keyed("first", "k1", "k2", "k3"))
		must(t, err)
		if n != 3 {
			t.Fatalf("stored %d", n)
		}
		n, err = s.CopyMemberChangeLogs(ctx, keyed("again", "k2", "k4", "k1", "k5", "k4"))
		must(t, err)
		if n != 2 {
			t.Fatalf("stored %d of the second batch, want 2 (k4, k5)", n)
		}
		_, err = s.SignCheckpoints(ctx, signer)
		must(t, err)
		results, findings := verifyAll(t, s, v)
		if len(findings) != 0 || results["org/1"].Leaves != 5 {
			t.Fatalf("%q %+v", findings, results)
		}
		for id, pos := range map[string]uint64{"first-0002": 2, "again-0001": 3, "again-0003": 4} {
			p, err := s.EntryProof(ctx, integrity.MemberChangeLogs, id)
			must(t, err)
			if p.LeafIndex != pos {
				t.Errorf("%s at %d, want %d", id, p.LeafIndex, pos)
			}
		}
	})
}

// TestIntegrityCopyKeepsNodes: the COPY path stores the inner nodes that
// proofs read (every 256 leaves), for every stream of a batch, and what it
// stores verifies: a clean verify and a proof from them.
func TestIntegrityCopyKeepsNodes(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	signer, v := testSigner(t)
	batch := append(changeLogs(300, 1, "x"), changeLogs(260, 2, "y")...)
	_, err := s.CopyMemberChangeLogs(ctx, batch)
	must(t, err)
	_, err = s.CopyMemberChangeLogs(ctx, changeLogs(300, 1, "z"))
	must(t, err)
	var nodes []string
	must(t, s.DB().NewRaw("SELECT stream || ':' || level || ':' || idx FROM log_nodes ORDER BY stream, level, idx").Scan(ctx, &nodes))
	if want := "[org/1:8:0 org/1:8:1 org/2:8:0]"; fmt.Sprint(nodes) != want {
		t.Fatalf("kept nodes %v, want %s", nodes, want)
	}
	if n, err := s.SignCheckpoints(ctx, signer); n != 2 || err != nil {
		t.Fatalf("signed %d: %v", n, err)
	}
	if _, findings := verifyAll(t, s, v); len(findings) > 0 {
		t.Fatalf("a clean COPY log: %q", findings)
	}
	p, err := s.EntryProof(ctx, integrity.MemberChangeLogs, "z-0299")
	must(t, err)
	if p.LeafIndex != 599 || p.TreeSize != 600 {
		t.Fatalf("z-0299 at %d of %d, want 599 of 600", p.LeafIndex, p.TreeSize)
	}
	if _, err := p.Verify(v); err != nil {
		t.Fatal(err)
	}
}
