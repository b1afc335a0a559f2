package integrity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// memTree keeps leaves and kept nodes in memory, as the store keeps them.
type memTree struct {
	leaves [][]byte
	nodes  map[[2]uint64][]byte
	tree   *Tree
	roots  [][]byte // roots[n] is the root of the first n leaves
}

func newMemTree(t *testing.T, n int) *memTree {
	t.Helper()
	m := &memTree{nodes: map[[2]uint64][]byte{}}
	m.tree, _ = NewTree(0, nil)
	m.roots = append(m.roots, m.tree.Root())
	for i := range n {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		h := LeafHash(b[:])
		m.leaves = append(m.leaves, h)
		kept, err := m.tree.AppendKeeping(h, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kept {
			m.nodes[[2]uint64{uint64(k.Level), k.Index}] = k.Hash
		}
		// Restoring from the packed range (as writers do) gives the same tree.
		if i < 1100 || i%997 == 0 {
			restored, err := NewTree(m.tree.Size(), m.tree.Packed())
			if err != nil || !bytes.Equal(restored.Root(), m.tree.Root()) {
				t.Fatalf("size %d: restored tree differs: %v", i+1, err)
			}
			m.tree = restored
		}
		m.roots = append(m.roots, m.tree.Root())
	}
	return m
}

func (m *memTree) reader(withNodes bool) TreeReader {
	r := TreeReader{Leaves: func(b, e uint64) ([][]byte, error) { return m.leaves[b:e], nil }}
	if withNodes {
		r.Nodes = func(level uint, b, e uint64) ([][]byte, error) {
			var out [][]byte
			for i := b; i < e; i++ {
				if h, ok := m.nodes[[2]uint64{uint64(level), i}]; ok {
					out = append(out, h)
				}
			}
			return out, nil
		}
	}
	return r
}

func TestProofsFromStoredNodesVerify(t *testing.T) {
	const n = 70_000 // more than 65,536: kept nodes of levels 8 and 16
	m := newMemTree(t, n)
	if len(m.nodes) != n/256+1 {
		t.Fatalf("%d kept nodes, want %d", len(m.nodes), n/256+1)
	}
	if got := RootOf(m.leaves); !bytes.Equal(got, m.roots[n]) {
		t.Fatal("RootOf differs from the tree's root")
	}
	// An empty tree's root is SHA-256 of nothing (RFC 6962).
	if e := sha256.Sum256(nil); !bytes.Equal(m.roots[0], e[:]) {
		t.Fatal("empty root")
	}
	for _, c := range [][2]uint64{{0, 1}, {0, 2}, {1, 2}, {255, 256}, {256, 257}, {300, 70_000}, {65_535, 65_536}, {69_999, 70_000}, {12_345, 65_537}} {
		idx, size := c[0], c[1]
		fast, err := InclusionProof(idx, size, m.reader(true))
		if err != nil {
			t.Fatal(err)
		}
		slow, err := InclusionProof(idx, size, m.reader(false))
		if err != nil {
			t.Fatal(err)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%v: proofs of %d and %d hashes", c, len(fast), len(slow))
		}
		for i := range fast {
			if !bytes.Equal(fast[i], slow[i]) {
				t.Fatalf("%v: proofs differ at %d", c, i)
			}
		}
		if err := VerifyInclusion(idx, size, m.leaves[idx], fast, m.roots[size]); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if err := VerifyInclusion(idx, size, m.leaves[(idx+1)%size], fast, m.roots[size]); err == nil && size > 1 {
			t.Fatalf("%v: another leaf verified", c)
		}
	}
	for _, c := range [][2]uint64{{0, 0}, {1, 1}, {1, 2}, {255, 70_000}, {256, 70_000}, {65_536, 70_000}, {1000, 1001}} {
		p, err := ConsistencyProof(c[0], c[1], m.reader(true))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(c[0], c[1], p, m.roots[c[0]], m.roots[c[1]]); err != nil {
			t.Fatalf("consistency %v: %v", c, err)
		}
	}
	if _, err := InclusionProof(5, 5, m.reader(true)); err == nil {
		t.Fatal("a proof of a leaf outside the tree")
	}
}

func TestEncodingIsFixed(t *testing.T) {
	// The documented bytes of a small change log (README): any change to
	// the encoding must change this test and the version.
	type entry struct {
		A string  `bun:"a"`
		B int64   `bun:"b"`
		C *string `bun:"c"`
		D *string `bun:"d"`
	}
	s := "n"
	e := newLayout[entry](MemberChangeLogs, 4).encode(&entry{A: "a", B: 1, D: &s})
	want := append([]byte("auditgraph-entry"), 1, 3,
		1, 0, 0, 0, 1, 'a',
		2, 0, 0, 0, 0, 0, 0, 0, 1,
		0,
		1, 0, 0, 0, 1, 'n')
	if !bytes.Equal(e, want) {
		t.Fatalf("encoding\n%v\nwant\n%v", []byte(e), want)
	}
	if id, err := EncodedID(e); err != nil || id != "a" {
		t.Fatalf("EncodedID: %q %v", id, err)
	}
}

func TestParseStream(t *testing.T) {
	for _, ok := range []string{"org/1", "team/42", "user/9223372036854775807"} {
		if s, err := ParseStream(ok); err != nil || s.String() != ok {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "org", "org/", "org/0", "org/-1", "org/01", "org/1x", "Org/1", "group/1", "org/1/2", "org/99999999999999999999"} {
		if _, err := ParseStream(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
