-- A member change log keeps its actor as recorded: an audit entry shows who
-- acted as they were then, not as the directory shows them now (a renamed
-- user, or a profile another tenant may not rewrite for this one).
ALTER TABLE member_change_logs
  ADD COLUMN actor_public_id text,
  ADD COLUMN actor_name      text,
  ADD COLUMN actor_email     text,
  ADD COLUMN actor_avatar    text;
--bun:split
-- The backfill takes the directory's profile as it is now, the best record
-- there is of the past. The append-only trigger is set aside for this one
-- statement, inside this migration's transaction (the owner role runs
-- migrations; the runtime role could not).
ALTER TABLE member_change_logs DISABLE TRIGGER member_change_logs_append_only;
--bun:split
UPDATE member_change_logs AS l
   SET actor_public_id = u.public_id, actor_name = u.name, actor_email = u.email, actor_avatar = u.avatar_url
  FROM users AS u
 WHERE u.id = l.actor_user_id;
--bun:split
ALTER TABLE member_change_logs ENABLE TRIGGER member_change_logs_append_only;
