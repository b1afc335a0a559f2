-- The tamper-evident log (package integrity): one RFC 6962 Merkle tree per
-- tenant stream over the entries of all three histories.
--
-- A stream's row is its writers' queue: every write locks it (SELECT … FOR
-- UPDATE), appends, and moves size and the compact range (the hashes from
-- which the next root follows without reading leaves) on. Writers to other
-- streams do not wait.
CREATE TABLE log_streams (
  stream        text PRIMARY KEY,
  size          bigint NOT NULL DEFAULT 0,
  compact_range bytea NOT NULL DEFAULT ''::bytea,
  root          bytea NOT NULL,
  signed_size   bigint NOT NULL DEFAULT 0
);
--bun:split
-- Every entry's position: proofs are computed from these stored hashes.
CREATE TABLE log_leaves (
  stream    text NOT NULL,
  idx       bigint NOT NULL,
  history   smallint NOT NULL,
  entry_id  text NOT NULL,
  leaf_hash bytea NOT NULL,
  PRIMARY KEY (stream, idx)
);
--bun:split
-- Inner nodes of every 8th level (perfect subtrees of 256, 65536, …
-- leaves), kept as appends make them: a proof reads at most 128 stored
-- hashes per node it needs instead of every leaf below it.
CREATE TABLE log_nodes (
  stream text NOT NULL,
  level  smallint NOT NULL,
  idx    bigint NOT NULL,
  hash   bytea NOT NULL,
  PRIMARY KEY (stream, level, idx)
);
--bun:split
CREATE UNIQUE INDEX log_leaves_entry ON log_leaves (history, entry_id);
--bun:split
CREATE TABLE log_checkpoints (
  stream     text NOT NULL,
  size       bigint NOT NULL,
  root       bytea NOT NULL,
  note       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, size)
);
--bun:split
-- Entries stored before this migration get their positions from the
-- backfill that runs after migrating while this says pending.
CREATE TABLE log_state (
  name  text PRIMARY KEY,
  value text NOT NULL
);
--bun:split
INSERT INTO log_state (name, value) VALUES ('backfill', 'pending');
--bun:split
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
--bun:split
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
--bun:split
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
  FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
--bun:split
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
