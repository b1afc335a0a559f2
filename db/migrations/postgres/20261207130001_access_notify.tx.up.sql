-- Servers keep API keys and access facts for a short while (db/facts.go).
-- Every write that could change one notifies them, on commit, so they drop
-- what they keep: any write of the directory tables access is decided on,
-- and of the columns of api_keys a key is judged by. Recording a key's use
-- (last_used_at alone) notifies nobody.
CREATE FUNCTION notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auditgraph_access', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER organizations_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER teams_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER users_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER custom_roles_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON custom_roles
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER memberships_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER event_types_access_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_types
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
--bun:split
CREATE TRIGGER api_keys_access_notify
  AFTER UPDATE OF key_hash, user_id, organization_id, scopes, expires_at, revoked_at OR DELETE OR TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
