-- The two indexes of a member's change logs hold every column a change log
-- read filters on, so that counting a member's entries, and skipping over
-- the first entries of a deep skip/take page, read the indexes alone, never
-- the rows (with their changes). SQLite has no INCLUDE: the columns follow
-- the key, where they cannot change the order (id is unique).
--
-- "The member did it": the actor index gains action and resource_type.
DROP INDEX member_change_logs_by_actor;
--bun:split
CREATE INDEX member_change_logs_by_actor
  ON member_change_logs (organization_id, actor_user_id, created_at DESC, id DESC, action, resource_type);
--bun:split
-- "It was done to the member": only organization_user resources are
-- members, so the index holds those rows alone; it gains actor_user_id (the
-- resource limb leaves out the member's own entries, which the actor limb
-- reads) and action.
DROP INDEX member_change_logs_by_resource;
--bun:split
CREATE INDEX member_change_logs_on_member
  ON member_change_logs (organization_id, resource_id, created_at DESC, id DESC, actor_user_id, action)
  WHERE resource_type = 'organization_user';
