package db

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/auditgraph/auditgraph/integrity"
	"github.com/auditgraph/auditgraph/model"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// The write side of the tamper-evident log (package integrity). Every write
// of history entries, row by row or by COPY, gives each entry it stored a
// position in its stream in the same transaction: the entries' leaf hashes
// are appended to the stream's tree, whose row is locked for it, so writers
// to one stream queue there and writers to other streams do not wait.

// leafItem is one stored entry on its way into its stream.
type leafItem struct {
	stream  string
	history integrity.History
	id      string
	hash    []byte
}

type leafRow struct {
	bun.BaseModel `bun:"table:log_leaves,alias:lf"`
	Stream        string            `bun:"stream"`
	Idx           int64             `bun:"idx"`
	History       integrity.History `bun:"history"`
	EntryID       string            `bun:"entry_id"`
	LeafHash      []byte            `bun:"leaf_hash"`
}

type nodeRow struct {
	bun.BaseModel `bun:"table:log_nodes,alias:n"`
	Stream        string `bun:"stream"`
	Level         int16  `bun:"level"`
	Idx           int64  `bun:"idx"`
	Hash          []byte `bun:"hash"`
}

type streamRow struct {
	Stream       string `bun:"stream"`
	Size         int64  `bun:"size"`
	CompactRange []byte `bun:"compact_range"`
}

// logTx is the few statements an append needs, on bun (row writes, SQLite)
// or on the pgx transaction of a COPY.
type logTx interface {
	// lockStreams creates the streams missing and returns them all, locked
	// for this transaction.
	lockStreams(ctx context.Context, names []string) ([]streamRow, error)
	// write stores the leaves and kept nodes and moves the streams on.
	write(ctx context.Context, leaves []leafRow, nodes []nodeRow, ups []streamUpdate) error
}

// streamUpdate is a stream's new state after an append.
type streamUpdate struct {
	stream        string
	size          int64
	compact, root []byte
}

// appendLog appends the items, in their order, to their streams.
func appendLog(ctx context.Context, t logTx, items []leafItem) error {
	if len(items) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var names []string
	for _, it := range items {
		if !seen[it.stream] {
			seen[it.stream] = true
			names = append(names, it.stream)
		}
	}
	// One lock order for every writer: no two writers can wait on each other.
	sort.Strings(names)
	locked, err := t.lockStreams(ctx, names)
	if err != nil {
		return err
	}
	trees := make(map[string]*integrity.Tree, len(locked))
	for _, r := range locked {
		tr, err := integrity.NewTree(uint64(r.Size), r.CompactRange)
		if err != nil {
			return fmt.Errorf("stream %s: %w", r.Stream, err)
		}
		trees[r.Stream] = tr
	}
	rows := make([]leafRow, len(items))
	var kept []integrity.StoredNode
	var nodes []nodeRow
	for i, it := range items {
		tr := trees[it.stream]
		if tr == nil {
			return fmt.Errorf("stream %s was not locked", it.stream)
		}
		rows[i] = leafRow{Stream: it.stream, Idx: int64(tr.Size()), History: it.history, EntryID: it.id, LeafHash: it.hash}
		var err error
		if kept, err = tr.AppendKeeping(it.hash, kept[:0]); err != nil {
			return err
		}
		for _, n := range kept {
			nodes = append(nodes, nodeRow{Stream: it.stream, Level: int16(n.Level), Idx: int64(n.Index), Hash: n.Hash})
		}
	}
	ups := make([]streamUpdate, len(names))
	for i, name := range names {
		tr := trees[name]
		ups[i] = streamUpdate{stream: name, size: int64(tr.Size()), compact: tr.Packed(), root: tr.Root()}
	}
	return t.write(ctx, rows, nodes, ups)
}

// bunLog runs the append on a bun transaction.
type bunLog struct {
	tx      bun.IDB
	dialect string
}

func (b bunLog) lockStreams(ctx context.Context, names []string) ([]streamRow, error) {
	sel := func() ([]streamRow, error) {
		var rows []streamRow
		q := b.tx.NewSelect().Table("log_streams").Column("stream", "size", "compact_range").
			Where("stream IN (?)", bun.List(names)).OrderExpr("stream")
		if b.dialect == Postgres {
			q = q.For("UPDATE")
		}
		err := q.Scan(ctx, &rows)
		return rows, err
	}
	// The streams exist but for a tenant's first entry: one statement.
	rows, err := sel()
	if err != nil || len(rows) == len(names) {
		return rows, err
	}
	for _, n := range names {
		if _, err := b.tx.ExecContext(ctx, "INSERT INTO log_streams (stream, root) VALUES (?, ?) ON CONFLICT (stream) DO NOTHING",
			n, integrity.EmptyRoot()); err != nil {
			return nil, err
		}
	}
	return sel()
}

func (b bunLog) write(ctx context.Context, leaves []leafRow, nodes []nodeRow, ups []streamUpdate) error {
	if b.dialect == Postgres {
		return b.writeOne(ctx, leaves, nodes, ups)
	}
	chunk := sqliteMaxVariables / 5
	for start := 0; start < len(leaves); start += chunk {
		part := leaves[start:min(start+chunk, len(leaves))]
		if _, err := b.tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
	}
	if len(nodes) > 0 {
		if _, err := b.tx.NewInsert().Model(&nodes).Exec(ctx); err != nil {
			return err
		}
	}
	for _, u := range ups {
		if _, err := b.tx.ExecContext(ctx, "UPDATE log_streams SET size = ?, compact_range = ?, root = ? WHERE stream = ?",
			u.size, u.compact, u.root, u.stream); err != nil {
			return err
		}
	}
	return nil
}

// writeOne is write on PostgreSQL in one statement (data-modifying WITH
// clauses): a row write waits for one round trip more than without the
// log, not three. bun formats the arguments into the text.
func (b bunLog) writeOne(ctx context.Context, leaves []leafRow, nodes []nodeRow, ups []streamUpdate) error {
	var q strings.Builder
	q.WriteString("WITH leaves AS (")
	q.WriteString(b.tx.NewInsert().Model(&leaves).String())
	q.WriteString(")")
	if len(nodes) > 0 {
		q.WriteString(", nodes AS (")
		q.WriteString(b.tx.NewInsert().Model(&nodes).String())
		q.WriteString(")")
	}
	for i, u := range ups {
		update := b.tx.NewRaw("UPDATE log_streams SET size = ?, compact_range = ?, root = ? WHERE stream = ?",
			u.size, u.compact, u.root, u.stream).String()
		if i == len(ups)-1 {
			q.WriteString(" " + update)
			break
		}
		fmt.Fprintf(&q, ", s%d AS (%s)", i, update)
	}
	_, err := b.tx.ExecContext(ctx, q.String())
	return err
}

// pgxLog runs the append on the pgx transaction of a COPY; the leaves go in
// by COPY too.
type pgxLog struct{ tx pgx.Tx }

func (p pgxLog) lockStreams(ctx context.Context, names []string) ([]streamRow, error) {
	sel := func() ([]streamRow, error) {
		rs, err := p.tx.Query(ctx, "SELECT stream, size, compact_range FROM log_streams WHERE stream = ANY($1) ORDER BY stream FOR UPDATE", names)
		if err != nil {
			return nil, err
		}
		var out []streamRow
		for rs.Next() {
			var r streamRow
			if err := rs.Scan(&r.Stream, &r.Size, &r.CompactRange); err != nil {
				rs.Close()
				return nil, err
			}
			out = append(out, r)
		}
		return out, rs.Err()
	}
	rows, err := sel()
	if err != nil || len(rows) == len(names) {
		return rows, err
	}
	if _, err := p.tx.Exec(ctx, "INSERT INTO log_streams (stream, root) SELECT unnest($1::text[]), $2 ON CONFLICT (stream) DO NOTHING",
		names, integrity.EmptyRoot()); err != nil {
		return nil, err
	}
	return sel()
}

// write holds the streams' locks: the leaves go in by COPY (a statement of
// arrays costs the server more for thousands of rows), the few kept nodes
// and the streams' new state in one more statement.
func (p pgxLog) write(ctx context.Context, leaves []leafRow, nodes []nodeRow, ups []streamUpdate) error {
	if err := p.insertLeaves(ctx, leaves); err != nil {
		return err
	}
	return p.updateStreams(ctx, nodes, ups)
}

func (p pgxLog) insertLeaves(ctx context.Context, rows []leafRow) error {
	i := 0
	_, err := p.tx.CopyFrom(ctx, pgx.Identifier{"log_leaves"}, []string{"stream", "idx", "history", "entry_id", "leaf_hash"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			r := &rows[i]
			i++
			return []any{r.Stream, r.Idx, int16(r.History), r.EntryID, r.LeafHash}, nil
		}))
	return err
}

// updateStreams stores the kept nodes and moves every stream of a batch
// on, in one statement: an import batch spans many tenants.
func (p pgxLog) updateStreams(ctx context.Context, nodes []nodeRow, ups []streamUpdate) error {
	ns, nl, ni, nh := make([]string, len(nodes)), make([]int16, len(nodes)), make([]int64, len(nodes)), make([][]byte, len(nodes))
	for i := range nodes {
		r := &nodes[i]
		ns[i], nl[i], ni[i], nh[i] = r.Stream, r.Level, r.Idx, r.Hash
	}
	names, sizes := make([]string, len(ups)), make([]int64, len(ups))
	compacts, roots := make([][]byte, len(ups)), make([][]byte, len(ups))
	for i, u := range ups {
		names[i], sizes[i], compacts[i], roots[i] = u.stream, u.size, u.compact, u.root
	}
	_, err := p.tx.Exec(ctx, `WITH nodes AS (
			INSERT INTO log_nodes (stream, level, idx, hash)
			SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::bytea[])
		)
		UPDATE log_streams AS s SET size = v.size, compact_range = v.compact, root = v.root
		FROM unnest($5::text[], $6::bigint[], $7::bytea[], $8::bytea[]) AS v(stream, size, compact, root)
		WHERE s.stream = v.stream`, ns, nl, ni, nh, names, sizes, compacts, roots)
	return err
}

// Leaves of each history. The entries must be in their stored form
// (integrity.Timestamp, integrity.UUID), which the writers below ensure.

func attributeLeaves(entries []model.AttributeAssignmentEntry) []leafItem {
	out := make([]leafItem, len(entries))
	for i := range entries {
		e := &entries[i]
		out[i] = leafItem{stream: integrity.OrganizationStream(e.OrganizationID).String(),
			history: integrity.AttributeHistory, id: e.ID, hash: integrity.LeafHash(integrity.EncodeAttribute(e))}
	}
	return out
}

func changeLogLeaves(entries []model.MemberChangeLog) []leafItem {
	out := make([]leafItem, len(entries))
	for i := range entries {
		e := &entries[i]
		out[i] = leafItem{stream: integrity.OrganizationStream(e.OrganizationID).String(),
			history: integrity.MemberChangeLogs, id: e.ID, hash: integrity.LeafHash(integrity.EncodeChangeLog(e))}
	}
	return out
}

func (s *Store) eventTypeLeaves(ctx context.Context, idb bun.IDB, entries []model.EventTypeEntry) ([]leafItem, error) {
	ids := map[int64]bool{}
	var list []int64
	for i := range entries {
		if id := entries[i].EventTypeID; !ids[id] {
			ids[id] = true
			list = append(list, id)
		}
	}
	streams, err := eventTypeStreams(ctx, idb, list)
	if err != nil {
		return nil, err
	}
	out := make([]leafItem, len(entries))
	for i := range entries {
		e := &entries[i]
		st, ok := streams[e.EventTypeID]
		if !ok {
			return nil, model.Errorf(model.CodeNotFound, "Event type with id %d not found", e.EventTypeID)
		}
		out[i] = leafItem{stream: st, history: integrity.EventTypeHistory, id: e.ID,
			hash: integrity.LeafHash(integrity.EncodeEventType(e))}
	}
	return out, nil
}

// eventTypeStreams finds the stream of each event type from its owner chain
// (a managed child through its parent's team).
func eventTypeStreams(ctx context.Context, idb bun.IDB, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID             int64  `bun:"id"`
		OwnerUserID    *int64 `bun:"owner_user_id"`
		TeamID         *int64 `bun:"team_id"`
		OrganizationID *int64 `bun:"organization_id"`
	}
	err := idb.NewSelect().TableExpr("event_types AS et").
		ColumnExpr("et.id, et.owner_user_id, COALESCE(et.team_id, p.team_id) AS team_id, t.organization_id").
		Join("LEFT JOIN event_types AS p ON p.id = et.parent_id").
		Join("LEFT JOIN teams AS t ON t.id = COALESCE(et.team_id, p.team_id)").
		Where("et.id IN (?)", bun.List(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if st, ok := integrity.EventTypeStream(r.OrganizationID, r.TeamID, r.OwnerUserID); ok {
			out[r.ID] = st.String()
		}
	}
	return out, nil
}

// Stored forms: what the log encodes is what the database gives back.

func storedAttribute(e model.AttributeAssignmentEntry) model.AttributeAssignmentEntry {
	e.ID, e.Timestamp = integrity.UUID(e.ID), integrity.Timestamp(e.Timestamp)
	return e
}

func storedEventType(e model.EventTypeEntry) model.EventTypeEntry {
	e.ID, e.Timestamp = integrity.UUID(e.ID), integrity.Timestamp(e.Timestamp)
	return e
}

func storedChangeLog(e model.MemberChangeLog) model.MemberChangeLog {
	e.Timestamp = integrity.Timestamp(e.Timestamp)
	return e
}

// only keeps the items whose entry ids are in ids (the rows a write stored).
func only(items []leafItem, ids []string) []leafItem {
	if len(ids) == len(items) {
		return items
	}
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	out := items[:0:0]
	for _, it := range items {
		if keep[it.id] {
			out = append(out, it)
			delete(keep, it.id) // an id twice in one batch is stored once
		}
	}
	return out
}
