-- The tamper-evident log (package integrity): one RFC 6962 Merkle tree per
-- tenant stream over the entries of all three histories. SQLite has one
-- writer at a time, so a stream's row needs no lock of its own.
CREATE TABLE log_streams (
  stream        text PRIMARY KEY,
  size          bigint NOT NULL DEFAULT 0,
  compact_range blob NOT NULL DEFAULT x'',
  root          blob NOT NULL,
  signed_size   bigint NOT NULL DEFAULT 0
);
--bun:split
CREATE TABLE log_leaves (
  stream    text NOT NULL,
  idx       bigint NOT NULL,
  history   smallint NOT NULL,
  entry_id  text NOT NULL,
  leaf_hash blob NOT NULL,
  PRIMARY KEY (stream, idx)
) WITHOUT ROWID;
--bun:split
-- Inner nodes of every 8th level (perfect subtrees of 256, 65536, …
-- leaves), kept as appends make them: a proof reads at most 128 stored
-- hashes per node it needs instead of every leaf below it.
CREATE TABLE log_nodes (
  stream text NOT NULL,
  level  smallint NOT NULL,
  idx    bigint NOT NULL,
  hash   blob NOT NULL,
  PRIMARY KEY (stream, level, idx)
) WITHOUT ROWID;
--bun:split
CREATE UNIQUE INDEX log_leaves_entry ON log_leaves (history, entry_id);
--bun:split
CREATE TABLE log_checkpoints (
  stream     text NOT NULL,
  size       bigint NOT NULL,
  root       blob NOT NULL,
  note       text NOT NULL,
  created_at text NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (stream, size)
);
--bun:split
CREATE TABLE log_state (
  name  text PRIMARY KEY,
  value text NOT NULL
);
--bun:split
INSERT INTO log_state (name, value) VALUES ('backfill', 'pending');
--bun:split
CREATE TRIGGER log_leaves_no_update BEFORE UPDATE ON log_leaves
BEGIN
  SELECT RAISE(ABORT, 'the integrity log is append-only: UPDATE on log_leaves refused');
END;
--bun:split
CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves
BEGIN
  SELECT RAISE(ABORT, 'the integrity log is append-only: DELETE on log_leaves refused');
END;
--bun:split
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'the integrity log is append-only: UPDATE on log_checkpoints refused');
END;
--bun:split
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'the integrity log is append-only: DELETE on log_checkpoints refused');
END;
