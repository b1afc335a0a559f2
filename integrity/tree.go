package integrity

import (
	"bytes"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size of every hash of the log (SHA-256).
const HashSize = 32

var rf = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// EmptyRoot is the root of an empty log.
func EmptyRoot() []byte { return rfc6962.DefaultHasher.EmptyRoot() }

// Tree is what a writer keeps of a stream: its size and the compact range
// of [0, size), the few hashes from which appends and the root follow
// without reading any leaf.
type Tree struct {
	r *compact.Range
}

// NewTree restores a tree from its size and packed compact range (as Packed
// returned it).
func NewTree(size uint64, packed []byte) (*Tree, error) {
	if len(packed)%HashSize != 0 {
		return nil, fmt.Errorf("compact range of %d bytes is not a list of hashes", len(packed))
	}
	hashes := make([][]byte, 0, len(packed)/HashSize)
	for i := 0; i < len(packed); i += HashSize {
		hashes = append(hashes, packed[i:i+HashSize:i+HashSize])
	}
	r, err := rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return &Tree{r: r}, nil
}

// Append adds a leaf hash at position Size().
func (t *Tree) Append(leafHash []byte) error { return t.r.Append(leafHash, nil) }

// NodeTier is the spacing of the levels whose inner nodes writers keep
// (StoredNode): every 8th level, one stored hash per 256 leaves.
const NodeTier = 8

// StoredNode is an inner node a writer keeps for proofs.
type StoredNode struct {
	Level uint
	Index uint64
	Hash  []byte
}

// AppendKeeping adds a leaf hash and returns the inner nodes on the kept
// levels (multiples of NodeTier) that the leaf completed.
func (t *Tree) AppendKeeping(leafHash []byte, keep []StoredNode) ([]StoredNode, error) {
	err := t.r.Append(leafHash, func(id compact.NodeID, hash []byte) {
		if id.Level > 0 && id.Level%NodeTier == 0 {
			keep = append(keep, StoredNode{Level: id.Level, Index: id.Index, Hash: hash})
		}
	})
	return keep, err
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return t.r.End() }

// Root is the RFC 6962 root hash of the tree.
func (t *Tree) Root() []byte {
	if t.r.End() == 0 {
		return EmptyRoot()
	}
	root, err := t.r.GetRootHash(nil)
	if err != nil { // only for a range not starting at 0, which a Tree never is
		panic(err)
	}
	return root
}

// Packed is the compact range as one byte string, for storage.
func (t *Tree) Packed() []byte {
	var b bytes.Buffer
	for _, h := range t.r.Hashes() {
		b.Write(h)
	}
	return b.Bytes()
}

// RootOf is the root of a list of leaf hashes.
func RootOf(leaves [][]byte) []byte {
	t, _ := NewTree(0, nil)
	for _, l := range leaves {
		_ = t.Append(l)
	}
	return t.Root()
}

// LeafReader reads the leaf hashes of positions [begin, end) of a stream.
type LeafReader func(begin, end uint64) ([][]byte, error)

// NodeReader reads the stored inner nodes of one kept level, indices
// [begin, end) (see AppendKeeping).
type NodeReader func(level uint, begin, end uint64) ([][]byte, error)

// TreeReader is what proofs are computed from: stored leaves and, when
// Nodes is set, stored inner nodes.
type TreeReader struct {
	Leaves LeafReader
	Nodes  NodeReader
}

// InclusionProof is the RFC 6962 audit path of leaf index in the tree of
// size leaves, computed from the stored leaf hashes.
func InclusionProof(index, size uint64, read TreeReader) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("leaf %d is not in a tree of size %d", index, size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return rehash(nodes, size, read)
}

// ConsistencyProof is the RFC 6962 consistency proof between the trees of
// size1 and size2 leaves.
func ConsistencyProof(size1, size2 uint64, read TreeReader) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("size %d is larger than size %d", size1, size2)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return rehash(nodes, size2, read)
}

// rehash computes the hashes of the proof's nodes. Every node is a perfect
// subtree of the tree of size leaves.
func rehash(nodes proof.Nodes, size uint64, read TreeReader) ([][]byte, error) {
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := nodeHash(id, size, read)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// nodeHash is the hash of a perfect subtree: from the kept nodes of the
// highest kept level below it (at most 2^(NodeTier-1) of them) when there
// are, else from its leaves.
func nodeHash(id compact.NodeID, size uint64, read TreeReader) ([]byte, error) {
	begin, end := id.Coverage()
	if end > size {
		return nil, fmt.Errorf("node %+v is not within a tree of size %d", id, size)
	}
	if tier := id.Level / NodeTier * NodeTier; tier > 0 && read.Nodes != nil {
		kept, err := read.Nodes(tier, begin>>tier, end>>tier)
		if err != nil {
			return nil, err
		}
		if uint64(len(kept)) == (end-begin)>>tier {
			return mergePerfect(kept), nil
		}
		// Fewer kept nodes than expected: fall back on the leaves.
	}
	leaves, err := read.Leaves(begin, end)
	if err != nil {
		return nil, err
	}
	if uint64(len(leaves)) != end-begin {
		return nil, fmt.Errorf("log has %d of the leaves [%d, %d)", len(leaves), begin, end)
	}
	return mergePerfect(leaves), nil
}

// mergePerfect is the root of a perfect subtree given the hashes of its
// nodes at one level, left to right (a power of two of them).
func mergePerfect(level [][]byte) []byte {
	for len(level) > 1 {
		next := make([][]byte, len(level)/2)
		for i := range next {
			next[i] = rfc6962.DefaultHasher.HashChildren(level[2*i], level[2*i+1])
		}
		level = next
	}
	return level[0]
}

// VerifyInclusion checks an inclusion proof against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, path [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, path, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, path [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, path, root1, root2)
}
