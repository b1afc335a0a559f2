-- A member change log keeps its actor as recorded: an audit entry shows who
-- acted as they were then, not as the directory shows them now.
ALTER TABLE member_change_logs ADD COLUMN actor_public_id text;
--bun:split
ALTER TABLE member_change_logs ADD COLUMN actor_name text;
--bun:split
ALTER TABLE member_change_logs ADD COLUMN actor_email text;
--bun:split
ALTER TABLE member_change_logs ADD COLUMN actor_avatar text;
--bun:split
-- The backfill takes the directory's profile as it is now; the append-only
-- trigger is set aside for it inside this migration's transaction.
DROP TRIGGER member_change_logs_no_update;
--bun:split
UPDATE member_change_logs
   SET actor_public_id = (SELECT public_id FROM users WHERE users.id = member_change_logs.actor_user_id),
       actor_name      = (SELECT name FROM users WHERE users.id = member_change_logs.actor_user_id),
       actor_email     = (SELECT email FROM users WHERE users.id = member_change_logs.actor_user_id),
       actor_avatar    = (SELECT avatar_url FROM users WHERE users.id = member_change_logs.actor_user_id);
--bun:split
CREATE TRIGGER member_change_logs_no_update BEFORE UPDATE ON member_change_logs
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: UPDATE on member_change_logs refused');
END;
