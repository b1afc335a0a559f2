package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/model"
	"github.com/uptrace/bun"
)

var _ integrity.Reader = (*Store)(nil)

// leafReader reads a stream's stored leaf and inner node hashes.
func (s *Store) leafReader(ctx context.Context, stream string) integrity.TreeReader {
	return integrity.TreeReader{
		Leaves: func(begin, end uint64) ([][]byte, error) {
			var hashes [][]byte
			err := s.idb.NewSelect().Table("log_leaves").Column("leaf_hash").
				Where("stream = ? AND idx >= ? AND idx < ?", stream, int64(begin), int64(end)).
				OrderExpr("idx").Scan(ctx, &hashes)
			return hashes, err
		},
		Nodes: func(level uint, begin, end uint64) ([][]byte, error) {
			var hashes [][]byte
			err := s.idb.NewSelect().Table("log_nodes").Column("hash").
				Where("stream = ? AND level = ? AND idx >= ? AND idx < ?", stream, int16(level), int64(begin), int64(end)).
				OrderExpr("idx").Scan(ctx, &hashes)
			return hashes, err
		},
	}
}

type checkpointRow struct {
	Size int64  `bun:"size"`
	Root []byte `bun:"root"`
	Note string `bun:"note"`
}

func (s *Store) latestCheckpoint(ctx context.Context, stream string) (*checkpointRow, error) {
	var cp checkpointRow
	err := s.idb.NewSelect().Table("log_checkpoints").Column("size", "root", "note").
		Where("stream = ?", stream).OrderExpr("size DESC").Limit(1).Scan(ctx, &cp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &cp, err
}

// EntryProof proves one entry: its current bytes, its stored leaf, and the
// audit path to the latest signed checkpoint (none while no checkpoint
// covers it yet).
func (s *Store) EntryProof(ctx context.Context, h integrity.History, entryID string) (*integrity.EntryProof, error) {
	if h != integrity.MemberChangeLogs {
		entryID = integrity.UUID(entryID)
	}
	var leaf leafRow
	err := s.idb.NewSelect().Model(&leaf).Where("history = ? AND entry_id = ?", h, entryID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "entry %s has no position in a log", entryID)
	}
	data, err := s.encodeEntry(ctx, h, entryID)
	if err != nil {
		return nil, err
	}
	p := &integrity.EntryProof{History: h.Name(), EntryID: entryID, Stream: leaf.Stream,
		LeafIndex: uint64(leaf.Idx), LeafData: data, LeafHash: leaf.LeafHash}
	cp, err := s.latestCheckpoint(ctx, leaf.Stream)
	if err != nil || cp == nil || cp.Size <= leaf.Idx {
		return p, err
	}
	path, err := integrity.InclusionProof(uint64(leaf.Idx), uint64(cp.Size), s.leafReader(ctx, leaf.Stream))
	if err != nil {
		return nil, err
	}
	p.TreeSize, p.InclusionProof, p.Checkpoint = uint64(cp.Size), path, cp.Note
	return p, nil
}

// encodeEntry reads an entry and encodes it as the log does; nil when the
// entry is gone.
func (s *Store) encodeEntry(ctx context.Context, h integrity.History, id string) ([]byte, error) {
	var err error
	switch h {
	case integrity.AttributeHistory:
		var r attributeEntryRow
		if err = s.idb.NewSelect().Model(&r).Where("h.id = ?", id).Scan(ctx); err == nil {
			return integrity.EncodeAttribute(&r.AttributeAssignmentEntry), nil
		}
	case integrity.EventTypeHistory:
		var r eventTypeEntryRow
		if err = s.idb.NewSelect().Model(&r).Where("h.id = ?", id).Scan(ctx); err == nil {
			return integrity.EncodeEventType(&r.EventTypeEntry), nil
		}
	case integrity.MemberChangeLogs:
		var r changeLogRow
		if err = s.idb.NewSelect().Model(&r).Where("h.id = ?", id).Scan(ctx); err == nil {
			return integrity.EncodeChangeLog(&r.MemberChangeLog), nil
		}
	default:
		return nil, fmt.Errorf("unknown history %d", h)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return nil, err
}

// EntryTenant reads the organization or event type of an entry.
func (s *Store) EntryTenant(ctx context.Context, h integrity.History, entryID string) (int64, int64, error) {
	var id int64
	var err error
	switch h {
	case integrity.AttributeHistory:
		err = s.idb.NewSelect().Table("attribute_assignment_history").Column("organization_id").
			Where("id = ?", integrity.UUID(entryID)).Scan(ctx, &id)
	case integrity.EventTypeHistory:
		err = s.idb.NewSelect().Table("event_type_history").Column("event_type_id").
			Where("id = ?", integrity.UUID(entryID)).Scan(ctx, &id)
	case integrity.MemberChangeLogs:
		err = s.idb.NewSelect().Table("member_change_logs").Column("organization_id").
			Where("id = ?", entryID).Scan(ctx, &id)
	}
	if err != nil {
		return 0, 0, notFound(err, "entry %s not found", entryID)
	}
	if h == integrity.EventTypeHistory {
		return 0, id, nil
	}
	return id, 0, nil
}

// StreamState reads a stream's size and latest signed checkpoint.
func (s *Store) StreamState(ctx context.Context, st integrity.Stream) (*integrity.StreamState, error) {
	var row struct {
		Size int64 `bun:"size"`
	}
	err := s.idb.NewSelect().Table("log_streams").Column("size").Where("stream = ?", st.String()).Scan(ctx, &row)
	if err != nil {
		return nil, notFound(err, "stream %s has no entries", st)
	}
	out := &integrity.StreamState{Stream: st.String(), Size: uint64(row.Size)}
	cp, err := s.latestCheckpoint(ctx, st.String())
	if err != nil || cp == nil {
		return out, err
	}
	out.Checkpoint, out.CheckpointSize, out.CheckpointRoot = cp.Note, uint64(cp.Size), cp.Root
	return out, nil
}

// ConsistencyProof proves that the stream's tree of size to extends the
// tree of size from.
func (s *Store) ConsistencyProof(ctx context.Context, st integrity.Stream, from, to uint64) ([][]byte, error) {
	state, err := s.StreamState(ctx, st)
	if err != nil {
		return nil, err
	}
	if from > to || to > state.Size {
		return nil, model.Errorf(model.CodeInvalid, "sizes must satisfy from <= to <= %d (the stream's size)", state.Size)
	}
	return integrity.ConsistencyProof(from, to, s.leafReader(ctx, st.String()))
}

// SignCheckpoints signs a checkpoint of every stream that grew since its
// last one and returns how many it signed. A crash between storing a
// checkpoint and noting it signs the same one again, which changes nothing.
//
// The signer signs only a tree that extends what it signed before: the
// latest stored checkpoint (its signature checked) or, if later, the latest
// this signer signed (checkpoints deleted from the database), proven by a
// consistency proof from the stored hashes. A stream whose log was
// rewritten is refused, with an error naming it, and the other streams are
// signed.
func (s *Store) SignCheckpoints(ctx context.Context, signer *integrity.Signer) (int, error) {
	var rows []struct {
		Stream string `bun:"stream"`
		Size   int64  `bun:"size"`
		Root   []byte `bun:"root"`
	}
	if err := s.idb.NewSelect().Table("log_streams").Column("stream", "size", "root").
		Where("size > signed_size").OrderExpr("stream").Scan(ctx, &rows); err != nil {
		return 0, err
	}
	n := 0
	var refused []error
	for _, r := range rows {
		st, err := integrity.ParseStream(r.Stream)
		if err != nil {
			refused = append(refused, fmt.Errorf("stream %q: %w", r.Stream, err))
			continue
		}
		if err := s.extends(ctx, signer, st, uint64(r.Size), r.Root); err != nil {
			refused = append(refused, fmt.Errorf("not signing %s at size %d: %w", st, r.Size, err))
			continue
		}
		note, err := signer.Sign(st, uint64(r.Size), r.Root)
		if err != nil {
			return n, err
		}
		if _, err := s.idb.ExecContext(ctx, "INSERT INTO log_checkpoints (stream, size, root, note) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			r.Stream, r.Size, r.Root, note); err != nil {
			return n, err
		}
		if _, err := s.idb.ExecContext(ctx, "UPDATE log_streams SET signed_size = ? WHERE stream = ? AND signed_size < ?",
			r.Size, r.Stream, r.Size); err != nil {
			return n, err
		}
		n++
	}
	return n, errors.Join(refused...)
}

// extends checks that the stream's tree of size leaves and root extends the
// latest tree signed before.
func (s *Store) extends(ctx context.Context, signer *integrity.Signer, st integrity.Stream, size uint64, root []byte) error {
	var base *integrity.Checkpoint
	row, err := s.latestCheckpoint(ctx, st.String())
	if err != nil {
		return err
	}
	if row != nil {
		cp, err := signer.Verifier().Open(row.Note)
		if err != nil {
			return fmt.Errorf("the latest stored checkpoint: %w", err)
		}
		if cp.Stream != st || cp.Size != uint64(row.Size) {
			return fmt.Errorf("the latest stored checkpoint is of %s at size %d", cp.Stream, cp.Size)
		}
		base = cp
	}
	if last, ok := signer.Last(st); ok && (base == nil || last.Size > base.Size) {
		if base == nil {
			return fmt.Errorf("its checkpoints are gone from the database (this signer signed size %d)", last.Size)
		}
		base = &last
	}
	if base == nil || base.Size == 0 {
		return nil
	}
	if base.Size > size {
		return fmt.Errorf("the log holds %d entries, %d were signed", size, base.Size)
	}
	proof, err := integrity.ConsistencyProof(base.Size, size, s.leafReader(ctx, st.String()))
	if err != nil {
		return err
	}
	if err := integrity.VerifyConsistency(base.Size, size, proof, base.Root, root); err != nil {
		return fmt.Errorf("the log does not extend the tree signed at size %d: %w", base.Size, err)
	}
	return nil
}

// idText is an entry id column as text, to compare with log_leaves.entry_id.
func (s *Store) idText(col string) string {
	if s.dialect == Postgres {
		return col + "::text"
	}
	return col
}

// Backfill gives every entry stored without a position (those written
// before the log existed) one, history by history (attribute assignments,
// event types, member change logs), each oldest first (timestamp, then
// id), in batches. It runs after the migrations while the log_state row
// says so, and returns how many entries it logged.
func (s *Store) Backfill(ctx context.Context) (int, error) {
	var state string
	err := s.idb.NewSelect().Table("log_state").Column("value").Where("name = 'backfill'").Scan(ctx, &state)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && state != "pending") {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	total := 0
	const batch = 5000
	for _, h := range integrity.Histories {
		for {
			n, err := s.backfillBatch(ctx, h, batch)
			total += n
			if err != nil {
				return total, err
			}
			if n < batch {
				break
			}
		}
	}
	_, err = s.idb.ExecContext(ctx, "UPDATE log_state SET value = 'done' WHERE name = 'backfill'")
	return total, err
}

func (s *Store) backfillBatch(ctx context.Context, h integrity.History, limit int) (int, error) {
	n := 0
	err := s.InTx(ctx, func(ms model.Store) error {
		tx := ms.(*Store).idb
		missing := func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("NOT EXISTS (SELECT 1 FROM log_leaves AS l WHERE l.history = ? AND l.entry_id = "+s.idText("h.id")+")", h).
				OrderExpr("h.created_at, h.id").Limit(int64(limit))
		}
		var items []leafItem
		switch h {
		case integrity.AttributeHistory:
			var rows []attributeEntryRow
			if err := missing(tx.NewSelect().Model(&rows)).Scan(ctx); err != nil {
				return err
			}
			items = attributeLeaves(unwrap(rows, func(r *attributeEntryRow) model.AttributeAssignmentEntry { return r.AttributeAssignmentEntry }))
		case integrity.EventTypeHistory:
			var rows []eventTypeEntryRow
			if err := missing(tx.NewSelect().Model(&rows)).Scan(ctx); err != nil {
				return err
			}
			var err error
			items, err = s.eventTypeLeaves(ctx, tx, unwrap(rows, func(r *eventTypeEntryRow) model.EventTypeEntry { return r.EventTypeEntry }))
			if err != nil {
				return err
			}
		case integrity.MemberChangeLogs:
			var rows []changeLogRow
			if err := missing(tx.NewSelect().Model(&rows)).Scan(ctx); err != nil {
				return err
			}
			items = changeLogLeaves(unwrap(rows, func(r *changeLogRow) model.MemberChangeLog { return r.MemberChangeLog }))
		}
		n = len(items)
		return appendLog(ctx, bunLog{tx: tx, dialect: s.dialect}, items)
	})
	return n, err
}

// logColumns are a history row's position, read beside it by VerifyLog.
type logColumns struct {
	LogStream *string `bun:"log_stream"`
	LogIdx    *int64  `bun:"log_idx"`
	LogHash   []byte  `bun:"log_hash"`
}

type verifyAttributeRow struct {
	bun.BaseModel `bun:"table:attribute_assignment_history,alias:h"`
	model.AttributeAssignmentEntry
	logColumns
}

type verifyEventTypeRow struct {
	bun.BaseModel `bun:"table:event_type_history,alias:h"`
	model.EventTypeEntry
	logColumns
}

type verifyChangeLogRow struct {
	bun.BaseModel `bun:"table:member_change_logs,alias:h"`
	model.MemberChangeLog
	logColumns
}

// VerifyLog recomputes every entry's leaf from the database and checks every
// stream against its signed checkpoints (integrity.VerifyStream), calling
// report once per stream, in stream order. It returns the entries that no
// log names (inserted behind the log's back) and how many entries it read.
func (s *Store) VerifyLog(ctx context.Context, v *integrity.Verifier, report func(integrity.StreamResult)) ([]integrity.Finding, int, error) {
	lr := &logReading{s: s, streams: map[string][]integrity.LeafRecord{}}
	if err := lr.entries(ctx); err != nil {
		return nil, lr.read, err
	}
	if err := lr.gone(ctx); err != nil {
		return nil, lr.read, err
	}
	notes, err := lr.checkpoints(ctx)
	if err != nil {
		return nil, lr.read, err
	}
	kept, err := lr.keptNodes(ctx)
	if err != nil {
		return nil, lr.read, err
	}
	names := make([]string, 0, len(lr.streams))
	for n := range lr.streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		leaves := lr.streams[n]
		sort.Slice(leaves, func(i, j int) bool { return leaves[i].Index < leaves[j].Index })
		res := integrity.VerifyStream(n, leaves, notes[n], v)
		res.Findings = append(res.Findings, integrity.VerifyNodes(n, leaves, kept[n])...)
		report(res)
		delete(lr.streams, n) // let the stream's records go
	}
	return lr.inserted, lr.read, nil
}

// logReading gathers what VerifyLog checks: each stream's positions, and
// the entries that are in no log.
type logReading struct {
	s        *Store
	streams  map[string][]integrity.LeafRecord
	inserted []integrity.Finding
	read     int
}

func (lr *logReading) record(h integrity.History, id string, lc logColumns, data []byte) {
	lr.read++
	if lc.LogStream == nil {
		lr.inserted = append(lr.inserted, integrity.Finding{Kind: integrity.FindingInserted, Position: -1, History: h, EntryID: id,
			Detail: "the entry is in " + h.String() + " but in no log"})
		return
	}
	lr.streams[*lc.LogStream] = append(lr.streams[*lc.LogStream], integrity.LeafRecord{
		Index: uint64(*lc.LogIdx), History: h, EntryID: id,
		Stored: integrity.Hash32(lc.LogHash), Recomputed: integrity.Hash32(integrity.LeafHash(data))})
}

// stream makes sure a stream known only by its checkpoints or kept nodes
// is verified too.
func (lr *logReading) stream(name string) {
	if _, ok := lr.streams[name]; !ok {
		lr.streams[name] = nil
	}
}

// entries reads every entry of the three histories beside its position.
func (lr *logReading) entries(ctx context.Context) error {
	s := lr.s
	join := func(h integrity.History) string {
		return fmt.Sprintf("LEFT JOIN log_leaves AS l ON l.history = %d AND l.entry_id = %s", h, s.idText("h.id"))
	}
	logCols := "l.stream AS log_stream, l.idx AS log_idx, l.leaf_hash AS log_hash"
	if err := scanAll(ctx, s, s.idb.NewSelect().Model((*verifyAttributeRow)(nil)).ColumnExpr("h.*").ColumnExpr(logCols).Join(join(integrity.AttributeHistory)),
		func(r *verifyAttributeRow) {
			lr.record(integrity.AttributeHistory, r.ID, r.logColumns, integrity.EncodeAttribute(&r.AttributeAssignmentEntry))
		}); err != nil {
		return err
	}
	if err := scanAll(ctx, s, s.idb.NewSelect().Model((*verifyEventTypeRow)(nil)).ColumnExpr("h.*").ColumnExpr(logCols).Join(join(integrity.EventTypeHistory)),
		func(r *verifyEventTypeRow) {
			lr.record(integrity.EventTypeHistory, r.ID, r.logColumns, integrity.EncodeEventType(&r.EventTypeEntry))
		}); err != nil {
		return err
	}
	return scanAll(ctx, s, s.idb.NewSelect().Model((*verifyChangeLogRow)(nil)).ColumnExpr("h.*").ColumnExpr(logCols).Join(join(integrity.MemberChangeLogs)),
		func(r *verifyChangeLogRow) {
			lr.record(integrity.MemberChangeLogs, r.ID, r.logColumns, integrity.EncodeChangeLog(&r.MemberChangeLog))
		})
}

// gone reads the positions whose entry is gone: the entries' join never
// saw them.
func (lr *logReading) gone(ctx context.Context) error {
	s := lr.s
	for _, h := range integrity.Histories {
		var gone []leafRow
		if err := s.idb.NewSelect().Model(&gone).
			Where("history = ? AND NOT EXISTS (SELECT 1 FROM "+h.String()+" AS h WHERE "+s.idText("h.id")+" = lf.entry_id)", h).
			Scan(ctx); err != nil {
			return err
		}
		for _, g := range gone {
			lr.streams[g.Stream] = append(lr.streams[g.Stream], integrity.LeafRecord{
				Index: uint64(g.Idx), History: g.History, EntryID: g.EntryID, Stored: integrity.Hash32(g.LeafHash), Gone: true})
		}
	}
	return nil
}

// checkpoints reads every stream's signed notes, smallest first.
func (lr *logReading) checkpoints(ctx context.Context) (map[string][]string, error) {
	var cps []struct {
		Stream string `bun:"stream"`
		Note   string `bun:"note"`
	}
	if err := lr.s.idb.NewSelect().Table("log_checkpoints").Column("stream", "note").OrderExpr("stream, size").Scan(ctx, &cps); err != nil {
		return nil, err
	}
	notes := map[string][]string{}
	for _, c := range cps {
		notes[c.Stream] = append(notes[c.Stream], c.Note)
		lr.stream(c.Stream)
	}
	return notes, nil
}

// keptNodes reads the tree nodes the log keeps for its proofs.
func (lr *logReading) keptNodes(ctx context.Context) (map[string][]integrity.KeptNode, error) {
	var nodeRows []nodeRow
	if err := lr.s.idb.NewSelect().Model(&nodeRows).Scan(ctx); err != nil {
		return nil, err
	}
	kept := map[string][]integrity.KeptNode{}
	for _, r := range nodeRows {
		kept[r.Stream] = append(kept[r.Stream], integrity.KeptNode{Level: uint(r.Level), Index: uint64(r.Idx), Hash: r.Hash})
		lr.stream(r.Stream)
	}
	return kept, nil
}

// scanAll streams the rows of q through fn, one at a time.
func scanAll[T any](ctx context.Context, s *Store, q *bun.SelectQuery, fn func(*T)) error {
	rows, err := q.Rows(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r T
		if err := s.db.ScanRow(ctx, rows, &r); err != nil {
			return err
		}
		fn(&r)
	}
	return rows.Err()
}
