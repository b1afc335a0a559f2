package integrity

import (
	"bytes"
	"errors"
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

// InclusionProof is the RFC 6962 audit path of leaf index in the tree of
// size leaves, computed from the stored leaf hashes.
func InclusionProof(index, size uint64, read LeafReader) ([][]byte, error) {
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
func ConsistencyProof(size1, size2 uint64, read LeafReader) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("size %d is larger than size %d", size1, size2)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return rehash(nodes, size2, read)
}

// rehash computes the hashes of the proof's nodes from the leaves they
// cover. Every node is a perfect subtree of the tree of size leaves, its
// hash the root of its leaves' range.
func rehash(nodes proof.Nodes, size uint64, read LeafReader) ([][]byte, error) {
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		begin, end := id.Coverage()
		end = min(end, size)
		leaves, err := read(begin, end)
		if err != nil {
			return nil, err
		}
		if uint64(len(leaves)) != end-begin {
			return nil, fmt.Errorf("log has %d of the leaves [%d, %d)", len(leaves), begin, end)
		}
		r := rf.NewEmptyRange(begin)
		for _, l := range leaves {
			if err := r.Append(l, nil); err != nil {
				return nil, err
			}
		}
		// A node is a perfect, aligned subtree: its range is that one node.
		if hs := r.Hashes(); len(hs) == 1 {
			hashes[i] = hs[0]
		} else {
			return nil, fmt.Errorf("node %+v is not a perfect subtree", id)
		}
	}
	return nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}

// VerifyInclusion checks an inclusion proof against a root.
func VerifyInclusion(index, size uint64, leafHash []byte, path [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, path, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, path [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, path, root1, root2)
}

// ErrNoLeaf is returned for an entry that has no position in any log.
var ErrNoLeaf = errors.New("the entry has no position in a log")
