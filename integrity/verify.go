package integrity

import (
	"bytes"
	"fmt"
	"sort"
)

// LeafRecord is one position of a stream as a verifier reads it back: the
// leaf hash the log stored, and the hash of the entry as the history table
// holds it now (unless Gone: the entry is no longer there). Hashes are
// arrays: a verifier holds one record per entry of a stream.
type LeafRecord struct {
	Index      uint64
	History    History
	Gone       bool
	EntryID    string
	Stored     [HashSize]byte
	Recomputed [HashSize]byte
}

// Hash32 copies a hash into an array; a stored value of another length
// (which no writer makes) becomes zeros, which match nothing.
func Hash32(b []byte) (h [HashSize]byte) {
	if len(b) == HashSize {
		copy(h[:], b)
	}
	return h
}

// What a finding reports.
const (
	FindingModified      = "modified"           // the entry's bytes changed since it was logged
	FindingDeleted       = "deleted"            // the log names an entry the history no longer holds
	FindingInserted      = "inserted"           // the history holds an entry no log names
	FindingReordered     = "reordered"          // the entry at this position was logged at another
	FindingMissing       = "missing-position"   // a position of the log is gone
	FindingLogRewritten  = "log-rewritten"      // the stored leaves no longer make a signed root
	FindingTruncated     = "truncated"          // a signed checkpoint covers more than the log holds
	FindingBadCheckpoint = "invalid-checkpoint" // a stored checkpoint fails its signature or names another log
	FindingBadNode       = "invalid-node"       // a kept inner node differs from its leaves (proofs from it fail)
)

// Finding is one discrepancy. Position is -1 when it has none.
type Finding struct {
	Kind     string  `json:"kind"`
	Stream   string  `json:"stream,omitempty"`
	Position int64   `json:"position"`
	History  History `json:"-"`
	EntryID  string  `json:"entryId,omitempty"`
	Detail   string  `json:"detail"`
}

func (f Finding) String() string {
	s := f.Kind
	if f.Stream != "" {
		s += " " + f.Stream
	}
	if f.Position >= 0 {
		s += fmt.Sprintf(" position %d", f.Position)
	}
	if f.EntryID != "" {
		s += fmt.Sprintf(" entry %s (%s)", f.EntryID, f.History)
	}
	return s + ": " + f.Detail
}

// StreamResult is what verifying one stream found.
type StreamResult struct {
	Stream string
	// Leaves is the size of the stored log; Signed the largest size a valid
	// checkpoint covers (positions from Signed on are not yet signed).
	Leaves   uint64
	Signed   uint64
	Findings []Finding
}

// VerifyStream checks one stream: every stored leaf against its entry's
// bytes, and the roots of the recomputed leaves against every signed
// checkpoint. leaves must be sorted by index.
func VerifyStream(stream string, leaves []LeafRecord, checkpoints []string, v *Verifier) StreamResult {
	sv := &streamVerification{res: StreamResult{Stream: stream}}
	stored, now := sv.positions(leaves)
	sv.checkRoots(stored, now, sv.openCheckpoints(checkpoints, v))
	return sv.res
}

// streamVerification collects one stream's findings, step by step.
type streamVerification struct{ res StreamResult }

func (sv *streamVerification) add(f Finding) {
	f.Stream = sv.res.Stream
	sv.res.Findings = append(sv.res.Findings, f)
}

// positions lays out, position by position, what the log stored and what
// each entry hashes to now, naming missing, deleted, reordered and
// modified entries. A missing position holds a zero hash in both, so no
// root over it matches.
func (sv *streamVerification) positions(leaves []LeafRecord) (stored, now [][HashSize]byte) {
	var size uint64
	if len(leaves) > 0 {
		size = leaves[len(leaves)-1].Index + 1
	}
	sv.res.Leaves = size
	stored = make([][HashSize]byte, size)
	now = make([][HashSize]byte, size)
	next := uint64(0)
	var mismatched []int
	for i := range leaves {
		l := &leaves[i]
		if l.Index > next {
			sv.add(Finding{Kind: FindingMissing, Position: int64(next),
				Detail: fmt.Sprintf("positions %d to %d are gone from the log", next, l.Index-1)})
		}
		next = l.Index + 1
		stored[l.Index], now[l.Index] = l.Stored, l.Recomputed
		switch {
		case l.Gone:
			now[l.Index] = l.Stored // the deletion is named; the roots check the rest
			sv.add(Finding{Kind: FindingDeleted, Position: int64(l.Index), History: l.History, EntryID: l.EntryID,
				Detail: "the entry logged here is no longer in " + l.History.String()})
		case l.Recomputed != l.Stored:
			mismatched = append(mismatched, i)
		}
	}
	if len(mismatched) > 0 {
		sv.mismatches(leaves, mismatched)
	}
	return stored, now
}

// mismatches names each entry that no longer hashes to its leaf: reordered
// when its hash was logged at another position, modified otherwise.
func (sv *streamVerification) mismatches(leaves []LeafRecord, mismatched []int) {
	at := make(map[[HashSize]byte]uint64, len(leaves))
	for _, l := range leaves {
		at[l.Stored] = l.Index
	}
	for _, i := range mismatched {
		l := &leaves[i]
		if j, ok := at[l.Recomputed]; ok && j != l.Index {
			sv.add(Finding{Kind: FindingReordered, Position: int64(l.Index), History: l.History, EntryID: l.EntryID,
				Detail: fmt.Sprintf("the entry found here was logged at position %d", j)})
			continue
		}
		sv.add(Finding{Kind: FindingModified, Position: int64(l.Index), History: l.History, EntryID: l.EntryID,
			Detail: "the entry's stored fields differ from those logged"})
	}
}

// openCheckpoints opens the stream's signed checkpoints, smallest first,
// naming any that does not open or belongs to another stream.
func (sv *streamVerification) openCheckpoints(checkpoints []string, v *Verifier) []*Checkpoint {
	var cps []*Checkpoint
	for _, signed := range checkpoints {
		cp, err := v.Open(signed)
		if err != nil {
			sv.add(Finding{Kind: FindingBadCheckpoint, Position: -1, Detail: err.Error()})
			continue
		}
		if cp.Stream.String() != sv.res.Stream {
			sv.add(Finding{Kind: FindingBadCheckpoint, Position: -1,
				Detail: fmt.Sprintf("a checkpoint of %s is stored as one of this stream", cp.Stream)})
			continue
		}
		cps = append(cps, cp)
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Size < cps[j].Size })
	return cps
}

// checkRoots compares, in one pass over the positions, the roots of both
// lists with every checkpoint's signed root.
func (sv *streamVerification) checkRoots(stored, now [][HashSize]byte, cps []*Checkpoint) {
	size := uint64(len(now))
	nowTree, _ := NewTree(0, nil)
	storedTree, _ := NewTree(0, nil)
	good := uint64(0)
	rewritten := false
	for _, cp := range cps {
		if cp.Size > size {
			sv.add(Finding{Kind: FindingTruncated, Position: int64(size),
				Detail: fmt.Sprintf("a signed checkpoint covers %d positions, the log holds %d", cp.Size, size)})
			break
		}
		for p := nowTree.Size(); p < cp.Size; p++ {
			_ = nowTree.Append(now[p][:])
			_ = storedTree.Append(stored[p][:])
		}
		if bytes.Equal(nowTree.Root(), cp.Root) {
			good, sv.res.Signed = cp.Size, cp.Size
			continue
		}
		// The entries' own findings explain a mismatch when the stored
		// leaves still make the signed root; otherwise the log itself was
		// rewritten somewhere after the last good checkpoint.
		if !bytes.Equal(storedTree.Root(), cp.Root) && !rewritten {
			rewritten = true
			sv.add(Finding{Kind: FindingLogRewritten, Position: int64(good),
				Detail: fmt.Sprintf("the log's leaves between positions %d and %d do not make the root signed at size %d", good, cp.Size-1, cp.Size)})
		}
		sv.res.Signed = cp.Size
	}
}

// KeptNode is an inner node as the log stored it (see Tree.AppendKeeping).
type KeptNode struct {
	Level uint
	Index uint64
	Hash  []byte
}

// VerifyNodes checks the inner nodes the log kept for proofs against the
// stored leaves they cover: a changed, missing or extra node would make
// the proofs served from it fail for clients. leaves must be sorted by
// index and dense (VerifyStream reports gaps).
func VerifyNodes(stream string, leaves []LeafRecord, kept []KeptNode) []Finding {
	want := map[[2]uint64][]byte{}
	t, _ := NewTree(0, nil)
	var buf []StoredNode
	for i := range leaves {
		if leaves[i].Index != uint64(i) {
			break
		}
		buf, _ = t.AppendKeeping(leaves[i].Stored[:], buf[:0])
		for _, n := range buf {
			want[[2]uint64{uint64(n.Level), n.Index}] = n.Hash
		}
	}
	var out []Finding
	for _, n := range kept {
		k := [2]uint64{uint64(n.Level), n.Index}
		h, ok := want[k]
		switch {
		case !ok:
			out = append(out, Finding{Kind: FindingBadNode, Stream: stream, Position: int64(n.Index << n.Level),
				Detail: fmt.Sprintf("a kept node (level %d, index %d) that the leaves do not make", n.Level, n.Index)})
		case !bytes.Equal(h, n.Hash):
			out = append(out, Finding{Kind: FindingBadNode, Stream: stream, Position: int64(n.Index << n.Level),
				Detail: fmt.Sprintf("the kept node (level %d, index %d) differs from the hash of its leaves", n.Level, n.Index)})
		}
		delete(want, k)
	}
	for k := range want {
		out = append(out, Finding{Kind: FindingBadNode, Stream: stream, Position: int64(k[1] << k[0]),
			Detail: fmt.Sprintf("the kept node (level %d, index %d) is missing", k[0], k[1])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}
