package integrity

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// EntryProof is what proves one entry: its canonical bytes, its position in
// its stream, and the audit path from its leaf to the root of a signed
// checkpoint. The API serves it (GraphQL EntryIntegrity, REST
// /integrity/entries/…) and `auditgraph verify proof` reads it; hashes are
// standard base64.
type EntryProof struct {
	History   string `json:"history"`
	EntryID   string `json:"entryId"`
	Stream    string `json:"stream"`
	LeafIndex uint64 `json:"leafIndex"`
	// LeafData is the entry's canonical encoding, LeafHash its RFC 6962
	// leaf hash.
	LeafData []byte `json:"leafData"`
	LeafHash []byte `json:"leafHash"`
	// TreeSize and InclusionProof are absent while no signed checkpoint
	// covers the entry yet.
	TreeSize       uint64   `json:"treeSize,omitempty"`
	InclusionProof [][]byte `json:"inclusionProof,omitempty"`
	Checkpoint     string   `json:"checkpoint,omitempty"`
}

// Verify checks the proof with nothing but the verifier key: the leaf hash
// is the hash of the leaf data, whose id is the entry's; the checkpoint is
// signed by the key, is of the proof's stream and size; the audit path
// leads from the leaf to its root.
func (p *EntryProof) Verify(v *Verifier) (*Checkpoint, error) {
	if !bytes.Equal(LeafHash(p.LeafData), p.LeafHash) {
		return nil, errors.New("the leaf hash is not the hash of the leaf data")
	}
	id, err := EncodedID(p.LeafData)
	if err != nil {
		return nil, err
	}
	if id != p.EntryID {
		return nil, fmt.Errorf("the leaf data is of entry %q, not %q", id, p.EntryID)
	}
	if h, _ := ParseHistory(p.History); len(p.LeafData) <= len(Magic)+1 || History(p.LeafData[len(Magic)+1]) != h {
		return nil, fmt.Errorf("the leaf data is not of the %s history", p.History)
	}
	if p.Checkpoint == "" {
		return nil, errors.New("no signed checkpoint covers the entry yet")
	}
	cp, err := v.Open(p.Checkpoint)
	if err != nil {
		return nil, err
	}
	if cp.Stream.String() != p.Stream || cp.Size != p.TreeSize {
		return nil, fmt.Errorf("the checkpoint is of %s at size %d, the proof of %s at size %d",
			cp.Stream, cp.Size, p.Stream, p.TreeSize)
	}
	if err := VerifyInclusion(p.LeafIndex, p.TreeSize, p.LeafHash, p.InclusionProof, cp.Root); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return cp, nil
}

// EncodedID reads the entry id, the first field, of canonical entry bytes.
func EncodedID(entry []byte) (string, error) {
	head := len(Magic) + 2
	if len(entry) < head+5 || string(entry[:len(Magic)]) != Magic {
		return "", errors.New("the leaf data is not an encoded entry")
	}
	if entry[len(Magic)] != Version {
		return "", fmt.Errorf("the leaf data is of encoding version %d, not %d", entry[len(Magic)], Version)
	}
	if entry[head] != tagText {
		return "", errors.New("the leaf data does not start with an entry id")
	}
	n := int(binary.BigEndian.Uint32(entry[head+1:]))
	if len(entry) < head+5+n {
		return "", errors.New("the leaf data is truncated")
	}
	return string(entry[head+5 : head+5+n]), nil
}

// B64 is standard base64, how the API spells hashes.
func B64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// B64s spells a list of hashes.
func B64s(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = B64(b)
	}
	return out
}
