-- History rows carry no foreign keys to the directory. Every reference is
-- validated (and checked to belong to the organization) before an entry is
-- written, and directory rows are upserted, never deleted; a per-row
-- foreign key check would only repeat that work, and it was the largest
-- cost of the INSERT that bulk import runs.
CREATE TABLE attribute_assignment_history (
  id              text PRIMARY KEY,
  organization_id bigint NOT NULL,
  user_id         bigint NOT NULL,
  membership_id   bigint NOT NULL,
  created_at      text NOT NULL,
  source          text NOT NULL,
  actor_type      text NOT NULL,
  actor_ref       text,
  actor_name      text,
  actor_email     text,
  actor_avatar    text,
  source_context  text NOT NULL DEFAULT '{}',
  changes         text NOT NULL,
  idempotency_key text
);
--bun:split
-- A member's history page is a range scan of this index in display order.
CREATE INDEX attribute_assignment_history_page
  ON attribute_assignment_history (organization_id, user_id, created_at DESC, id DESC);
--bun:split
CREATE UNIQUE INDEX attribute_assignment_history_idem
  ON attribute_assignment_history (idempotency_key) WHERE idempotency_key IS NOT NULL;
--bun:split
CREATE TABLE event_type_history (
  id                     text PRIMARY KEY,
  event_type_id          bigint NOT NULL,
  action                 text NOT NULL,
  type                   text NOT NULL,
  created_at             text NOT NULL,
  source                 text NOT NULL,
  actor_type             text NOT NULL,
  actor_ref              text,
  actor_name             text,
  actor_email            text,
  actor_avatar           text,
  impersonated_by_name   text,
  impersonated_by_email  text,
  impersonated_by_avatar text,
  payload                text NOT NULL,
  idempotency_key        text
);
--bun:split
CREATE INDEX event_type_history_page
  ON event_type_history (event_type_id, created_at DESC, id DESC);
--bun:split
CREATE UNIQUE INDEX event_type_history_idem
  ON event_type_history (idempotency_key) WHERE idempotency_key IS NOT NULL;
--bun:split
CREATE TABLE member_change_logs (
  id              text PRIMARY KEY,
  organization_id bigint NOT NULL,
  actor_user_id   bigint NOT NULL,
  action          text NOT NULL,
  created_at      text NOT NULL,
  resource_type   text NOT NULL,
  resource_id     text NOT NULL,
  resource_name   text,
  changes         text NOT NULL DEFAULT '[]',
  idempotency_key text
);
--bun:split
-- "The member did it": range scan by actor.
CREATE INDEX member_change_logs_by_actor
  ON member_change_logs (organization_id, actor_user_id, created_at DESC, id DESC);
--bun:split
-- "It was done to the member": range scan by target resource.
CREATE INDEX member_change_logs_by_resource
  ON member_change_logs (organization_id, resource_type, resource_id, created_at DESC, id DESC);
--bun:split
CREATE UNIQUE INDEX member_change_logs_idem
  ON member_change_logs (idempotency_key) WHERE idempotency_key IS NOT NULL;
--bun:split
-- History is append-only: the database itself refuses to change or remove an entry.
--bun:split
CREATE TRIGGER attribute_assignment_history_no_update BEFORE UPDATE ON attribute_assignment_history
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: UPDATE on attribute_assignment_history refused');
END;
--bun:split
CREATE TRIGGER attribute_assignment_history_no_delete BEFORE DELETE ON attribute_assignment_history
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: DELETE on attribute_assignment_history refused');
END;
--bun:split
CREATE TRIGGER event_type_history_no_update BEFORE UPDATE ON event_type_history
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: UPDATE on event_type_history refused');
END;
--bun:split
CREATE TRIGGER event_type_history_no_delete BEFORE DELETE ON event_type_history
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: DELETE on event_type_history refused');
END;
--bun:split
CREATE TRIGGER member_change_logs_no_update BEFORE UPDATE ON member_change_logs
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: UPDATE on member_change_logs refused');
END;
--bun:split
CREATE TRIGGER member_change_logs_no_delete BEFORE DELETE ON member_change_logs
BEGIN
  SELECT RAISE(ABORT, 'audit history is append-only: DELETE on member_change_logs refused');
END;
