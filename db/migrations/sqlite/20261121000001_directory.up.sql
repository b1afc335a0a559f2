CREATE TABLE organizations (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id  text NOT NULL UNIQUE,
  slug       text NOT NULL UNIQUE,
  name       text NOT NULL,
  created_at text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);
--bun:split
CREATE TABLE teams (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id bigint REFERENCES organizations (id),
  slug            text NOT NULL,
  name            text NOT NULL
);
--bun:split
CREATE UNIQUE INDEX teams_slug ON teams (COALESCE(organization_id, 0), slug);
--bun:split
CREATE TABLE users (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id  text NOT NULL UNIQUE,
  email      text NOT NULL UNIQUE,
  name       text,
  avatar_url text,
  created_at text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);
--bun:split
CREATE TABLE custom_roles (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  name            text NOT NULL,
  permissions     text NOT NULL DEFAULT '[]',
  UNIQUE (organization_id, name)
);
--bun:split
CREATE TABLE memberships (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id         bigint NOT NULL REFERENCES users (id),
  organization_id bigint REFERENCES organizations (id),
  team_id         bigint REFERENCES teams (id),
  role            text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
  custom_role_id  bigint REFERENCES custom_roles (id),
  CHECK ((organization_id IS NULL) <> (team_id IS NULL))
);
--bun:split
CREATE UNIQUE INDEX memberships_org ON memberships (user_id, organization_id) WHERE organization_id IS NOT NULL;
--bun:split
CREATE UNIQUE INDEX memberships_team ON memberships (user_id, team_id) WHERE team_id IS NOT NULL;
--bun:split
CREATE TABLE event_types (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  title         text NOT NULL,
  slug          text NOT NULL,
  owner_user_id bigint REFERENCES users (id),
  team_id       bigint REFERENCES teams (id),
  parent_id     bigint REFERENCES event_types (id),
  CHECK (owner_user_id IS NOT NULL OR team_id IS NOT NULL)
);
--bun:split
CREATE INDEX event_types_parent ON event_types (parent_id) WHERE parent_id IS NOT NULL;
--bun:split
CREATE TABLE attributes (
  id              text PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  slug            text NOT NULL,
  name            text NOT NULL,
  type            text NOT NULL CHECK (type IN ('TEXT', 'NUMBER', 'SINGLE_SELECT', 'MULTI_SELECT')),
  UNIQUE (organization_id, slug)
);
--bun:split
CREATE TABLE attribute_options (
  id           text PRIMARY KEY,
  attribute_id text NOT NULL REFERENCES attributes (id),
  slug         text NOT NULL,
  value        text NOT NULL,
  UNIQUE (attribute_id, slug)
);
--bun:split
CREATE TABLE api_keys (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  key_hash        text NOT NULL UNIQUE,
  hint            text NOT NULL,
  name            text NOT NULL DEFAULT '',
  user_id         bigint NOT NULL REFERENCES users (id),
  organization_id bigint REFERENCES organizations (id),
  scopes          text NOT NULL DEFAULT '[]',
  expires_at      text,
  revoked_at      text,
  last_used_at    text,
  created_at      text NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00','now'))
);
--bun:split
CREATE INDEX api_keys_user ON api_keys (user_id);
