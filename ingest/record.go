package ingest

import (
	"context"
	"fmt"

	"github.com/auditgraph/auditgraph/model"
)

// Recording batches: the write mutations. A batch is validated whole before
// anything is written, and written in one transaction by the store, so one bad
// entry rejects the batch and nothing is stored.

func checkBatch(n int) error {
	if n == 0 {
		return model.InvalidField("entries", nil, "entries is empty")
	}
	if n > MaxBatch {
		return model.InvalidField("entries", n, "%d entries sent, at most %d per call", n, MaxBatch)
	}
	return nil
}

func entryPath(i int) string { return fmt.Sprintf("entries[%d]", i) }

// validateAll converts every input, naming the first bad entry.
func validateAll[I, E any](ctx context.Context, orgID int64, in []I, conv func(context.Context, int64, *I) (E, error)) ([]E, error) {
	if err := checkBatch(len(in)); err != nil {
		return nil, err
	}
	out := make([]E, len(in))
	for i := range in {
		e, err := conv(ctx, orgID, &in[i])
		if err != nil {
			return nil, fieldError(entryPath(i), err)
		}
		out[i] = e
	}
	return out, nil
}

// RecordAttributeChanges validates and appends attribute entries of orgID.
// The caller has authorized writing into orgID.
func RecordAttributeChanges(ctx context.Context, s model.Store, orgID int64, in []AttributeEntry) ([]Recorded, error) {
	v := NewValidator(s)
	entries, err := validateAll(ctx, orgID, in, v.AttributeEntry)
	if err != nil {
		return nil, err
	}
	stored, err := s.AppendAttributeHistory(ctx, entries)
	if err != nil {
		return nil, err
	}
	out := make([]Recorded, len(stored))
	for i, e := range stored {
		out[i] = Recorded{ID: e.ID, IdempotencyKey: in[i].IdempotencyKey, Created: e.ID == entries[i].ID, Timestamp: e.Timestamp}
	}
	return out, nil
}

// RecordEventTypeChanges validates and appends event type entries of orgID.
func RecordEventTypeChanges(ctx context.Context, s model.Store, orgID int64, in []EventTypeEntry) ([]Recorded, error) {
	v := NewValidator(s)
	entries, err := validateAll(ctx, orgID, in, v.EventTypeEntry)
	if err != nil {
		return nil, err
	}
	stored, err := s.AppendEventTypeHistory(ctx, entries)
	if err != nil {
		return nil, err
	}
	out := make([]Recorded, len(stored))
	for i, e := range stored {
		out[i] = Recorded{ID: e.ID, IdempotencyKey: in[i].IdempotencyKey, Created: e.ID == entries[i].ID, Timestamp: e.Timestamp}
	}
	return out, nil
}

// RecordMemberChangeLogs validates and appends member change logs of orgID.
func RecordMemberChangeLogs(ctx context.Context, s model.Store, orgID int64, in []ChangeLogEntry) ([]Recorded, error) {
	v := NewValidator(s)
	entries, err := validateAll(ctx, orgID, in, v.ChangeLogEntry)
	if err != nil {
		return nil, err
	}
	stored, err := s.AppendMemberChangeLogs(ctx, entries)
	if err != nil {
		return nil, err
	}
	out := make([]Recorded, len(stored))
	for i, e := range stored {
		out[i] = Recorded{ID: e.ID, IdempotencyKey: in[i].IdempotencyKey, Created: e.ID == entries[i].ID, Timestamp: e.Timestamp}
	}
	return out, nil
}
