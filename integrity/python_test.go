package integrity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditgraph/auditgraph/model"
)

// python3 is the interpreter's path; without one the test is skipped
// (failed on CI, which installs it), saying what did not run.
func python3(t *testing.T, what string) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed (.ci/run installs it)")
		}
		t.Skip("SKIPPED: python3 is not installed; " + what + " did not run")
	}
	return python
}

// TestIndependentConsistencyCheck runs the independent verifier
// (testdata/verify_proof.py) on consistency proofs between trees of many
// shapes: power-of-two and other older sizes, perfect and ragged newer ones.
func TestIndependentConsistencyCheck(t *testing.T) {
	python := python3(t, "the independent consistency check")
	m := newMemTree(t, 1100)
	skey, _, _ := GenerateKey("test")
	signer, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	st := OrganizationStream(1)
	for _, c := range [][2]uint64{{1, 2}, {1, 1100}, {2, 3}, {4, 1024}, {256, 1100}, {255, 256}, {500, 501}, {7, 1024}, {1024, 1100}, {999, 1000}} {
		path, err := ConsistencyProof(c[0], c[1], m.reader(true))
		if err != nil {
			t.Fatal(err)
		}
		old, _ := signer.Sign(st, c[0], m.roots[c[0]])
		newer, _ := signer.Sign(st, c[1], m.roots[c[1]])
		for _, broken := range []bool{false, true} {
			p := B64s(path)
			if broken {
				p = append([]string{B64(m.leaves[0])}, p...)
			}
			doc, _ := json.Marshal(map[string]any{"old": old, "new": newer, "proof": p})
			cmd := exec.Command(python, "testdata/verify_proof.py", signer.VerifierKey(), "consistency")
			cmd.Stdin = bytes.NewReader(doc)
			out, err := cmd.CombinedOutput()
			want := fmt.Sprintf("ok org/1 %d %d", c[0], c[1])
			if got := strings.TrimSpace(string(out)); broken != (err != nil) || (!broken && got != want) {
				t.Errorf("%v (broken %v): %v %s", c, broken, err, out)
			}
		}
	}
}

// TestIndependentVerifierReadsAddedColumns runs the independent verifier
// on proofs of the golden entries and of entries with columns added after
// version 1, and on two leaves no writer makes: an added column ending in
// NULL (not canonical) and an entry short of version 1's columns.
func TestIndependentVerifierReadsAddedColumns(t *testing.T) {
	python := python3(t, "the independent verifier")
	type leaf struct {
		name, history, id string
		data              []byte
		ok                bool
	}
	var leaves []leaf
	for _, g := range goldenEntries() {
		id, _ := EncodedID(g.bytes)
		leaves = append(leaves, leaf{g.name, History(g.bytes[len(Magic)+1]).Name(), id, g.bytes, true})
	}
	reason := "réason"
	until := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	later := eventTypeLater{EventTypeEntry: *goldenNamed(t, "event-type/full").eventType, LaterUntil: &until}
	leaves = append(leaves,
		leaf{"event-type/until", "EVENT_TYPE", later.ID, newLayout[eventTypeLater](EventTypeHistory, 16).encode(&later), true},
		leaf{"change-log/reason", "MEMBER_CHANGE_LOG", "1",
			newLayout[changeLogLater](MemberChangeLogs, 14).encode(&changeLogLater{MemberChangeLog: model.MemberChangeLog{ID: "1"}, LaterNote: &reason}), true})
	nulls := goldenNamed(t, "event-type/nulls")
	leaves = append(leaves, leaf{"event-type/trailing-null", "EVENT_TYPE", nulls.eventType.ID, append(slices.Clone(nulls.bytes), tagNull), false})
	short := goldenNamed(t, "change-log/full")
	leaves = append(leaves, leaf{"change-log/short", "MEMBER_CHANGE_LOG", short.changeLog.ID, short.bytes[:len(short.bytes)-len(appendText(nil, ""))], false})

	hashes := make([][]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = LeafHash(l.data)
	}
	skey, _, _ := GenerateKey("test")
	signer, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	st, size := OrganizationStream(1), uint64(len(leaves))
	note, err := signer.Sign(st, size, RootOf(hashes))
	if err != nil {
		t.Fatal(err)
	}
	read := TreeReader{Leaves: func(b, e uint64) ([][]byte, error) { return hashes[b:e], nil }}
	for i, l := range leaves {
		path, err := InclusionProof(uint64(i), size, read)
		if err != nil {
			t.Fatal(err)
		}
		p := EntryProof{History: l.history, EntryID: l.id, Stream: st.String(), LeafIndex: uint64(i), LeafData: l.data,
			LeafHash: hashes[i], TreeSize: size, InclusionProof: path, Checkpoint: note}
		if _, err := p.Verify(signer.Verifier()); err != nil {
			t.Errorf("%s: Verify: %v", l.name, err)
		}
		doc, _ := json.Marshal(p)
		cmd := exec.Command(python, "testdata/verify_proof.py", signer.VerifierKey())
		cmd.Stdin = bytes.NewReader(doc)
		out, err := cmd.CombinedOutput()
		want := fmt.Sprintf("ok org/1 %d %d", i, size)
		if got := strings.TrimSpace(string(out)); l.ok != (err == nil) || (l.ok && got != want) {
			t.Errorf("%s (should verify: %v): %v %s", l.name, l.ok, err, out)
		}
	}
}
