package integrity

import "context"

// Reader serves the log's proofs; the store implements it. Access is the
// caller's business: these methods check none.
type Reader interface {
	// EntryProof proves one entry of a history by its id. NOT_FOUND when
	// the entry has no position in a log.
	EntryProof(ctx context.Context, h History, entryID string) (*EntryProof, error)
	// StreamState is a stream's size and latest signed checkpoint. NOT_FOUND
	// when nothing was ever logged in it.
	StreamState(ctx context.Context, s Stream) (*StreamState, error)
	// ConsistencyProof proves that the stream's tree of size to extends the
	// one of size from. BAD_USER_INPUT unless from <= to <= size.
	ConsistencyProof(ctx context.Context, s Stream, from, to uint64) ([][]byte, error)
	// EntryTenant is what an entry's history is authorized by: its
	// organization (attribute assignments, member change logs) or its event
	// type. NOT_FOUND when there is no such entry.
	EntryTenant(ctx context.Context, h History, entryID string) (organizationID, eventTypeID int64, err error)
}

// StreamState is what a stream's log holds now.
type StreamState struct {
	Stream string
	// Size is the number of entries logged, signed or not yet.
	Size uint64
	// Checkpoint is the latest signed checkpoint (empty when none yet),
	// of CheckpointSize entries with root CheckpointRoot.
	Checkpoint     string
	CheckpointSize uint64
	CheckpointRoot []byte
}
