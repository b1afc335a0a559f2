-- The two indexes of a member's change logs hold every column a change log
-- read filters on, so that counting a member's entries, and skipping over
-- the first entries of a deep skip/take page, are index-only scans: they read
-- narrow index tuples, never the rows (with their changes).
--
-- "The member did it": the actor index gains action and resource_type.
CREATE INDEX member_change_logs_by_actor_covering
  ON member_change_logs (organization_id, actor_user_id, created_at DESC, id DESC)
  INCLUDE (action, resource_type);
--bun:split
-- "It was done to the member": only organization_user resources are
-- members, so the index holds those rows alone, and resource_type leaves its
-- tuples; it gains actor_user_id (the resource limb leaves out the member's
-- own entries, which the actor limb reads) and action.
CREATE INDEX member_change_logs_on_member
  ON member_change_logs (organization_id, resource_id, created_at DESC, id DESC)
  INCLUDE (actor_user_id, action)
  WHERE resource_type = 'organization_user';
--bun:split
-- The old indexes go last, so that reads wait only for the drops, not for
-- the builds.
DROP INDEX member_change_logs_by_actor;
--bun:split
DROP INDEX member_change_logs_by_resource;
--bun:split
ALTER INDEX member_change_logs_by_actor_covering RENAME TO member_change_logs_by_actor;
--bun:split
-- Index-only scans skip the heap only on pages the visibility map marks
-- all-visible, which VACUUM sets. Autovacuum vacuums an append-only table
-- after inserts of 20% of its size by default, which leaves the newest
-- entries, the most read, off the map for long on a large table; 1% keeps
-- them on it. Such a vacuum skips the pages already on the map.
ALTER TABLE member_change_logs SET (autovacuum_vacuum_insert_scale_factor = 0.01);
