package ingest

import (
	"context"
	"fmt"
	"time"

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

// record validates a batch with conv, appends it with store and reports each
// entry: the stored one, which is an earlier entry when the idempotency key
// was already used.
func record[I, E any](ctx context.Context, orgID int64, in []I,
	conv func(context.Context, int64, *I) (E, error),
	store func(context.Context, []E) ([]E, error),
	key func(*I) *string, meta func(*E) (id string, ts time.Time)) ([]Recorded, error) {
	entries, err := validateAll(ctx, orgID, in, conv)
	if err != nil {
		return nil, err
	}
	stored, err := store(ctx, entries)
	if err != nil {
		return nil, err
	}
	out := make([]Recorded, len(stored))
	for i := range stored {
		id, ts := meta(&stored[i])
		sent, _ := meta(&entries[i])
		out[i] = Recorded{ID: id, IdempotencyKey: key(&in[i]), Created: id == sent, Timestamp: ts}
	}
	return out, nil
}

// RecordAttributeChanges validates and appends attribute entries of orgID.
// The caller has authorized writing into orgID.
func RecordAttributeChanges(ctx context.Context, s model.Store, orgID int64, in []AttributeEntry) ([]Recorded, error) {
	return record(ctx, orgID, in, NewValidator(s).AttributeEntry, s.AppendAttributeHistory,
		func(e *AttributeEntry) *string { return e.IdempotencyKey },
		func(e *model.AttributeAssignmentEntry) (string, time.Time) { return e.ID, e.Timestamp })
}

// RecordEventTypeChanges validates and appends event type entries of orgID.
func RecordEventTypeChanges(ctx context.Context, s model.Store, orgID int64, in []EventTypeEntry) ([]Recorded, error) {
	return record(ctx, orgID, in, NewValidator(s).EventTypeEntry, s.AppendEventTypeHistory,
		func(e *EventTypeEntry) *string { return e.IdempotencyKey },
		func(e *model.EventTypeEntry) (string, time.Time) { return e.ID, e.Timestamp })
}

// RecordMemberChangeLogs validates and appends member change logs of orgID.
func RecordMemberChangeLogs(ctx context.Context, s model.Store, orgID int64, in []ChangeLogEntry) ([]Recorded, error) {
	return record(ctx, orgID, in, NewValidator(s).ChangeLogEntry, s.AppendMemberChangeLogs,
		func(e *ChangeLogEntry) *string { return e.IdempotencyKey },
		func(e *model.MemberChangeLog) (string, time.Time) { return e.ID, e.Timestamp })
}
