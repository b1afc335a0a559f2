package db

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// PostgreSQL roles. Migrations run as the role that owns the tables; the
// server should run as a runtime role that may only read and append history:
// a table's owner may disable its triggers or replace the trigger function,
// so the append-only triggers hold against honest code only. With the runtime
// role, the database refuses ALTER, TRUNCATE, UPDATE and DELETE on history
// whatever the server's code does; the triggers stay as a second line.

// DirectoryTables are upserted by syncDirectory: the runtime role gets
// SELECT, INSERT and UPDATE (an upsert's ON CONFLICT DO UPDATE), never DELETE.
var DirectoryTables = []string{"organizations", "teams", "users", "custom_roles", "memberships",
	"event_types", "attributes", "attribute_options", "api_keys"}

// LogAppendOnlyTables are the integrity log's append-only tables.
var LogAppendOnlyTables = []string{"log_leaves", "log_nodes", "log_checkpoints"}

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantRuntimeRole creates role (LOGIN, with password; an existing role keeps
// its password when password is empty) and grants it what the server needs
// and no more, on the database d is connected to as the tables' owner. It
// returns dsn with the role's credentials. Run it again after a migration
// that adds tables.
func GrantRuntimeRole(ctx context.Context, d *DB, dsn, role, password string) (string, error) {
	if d.Dialect != Postgres {
		return "", fmt.Errorf("runtime roles are a PostgreSQL feature; SQLite has no roles")
	}
	if !roleName.MatchString(role) {
		return "", fmt.Errorf("role name %q: use lower-case letters, digits and _", role)
	}
	r := pgx.Identifier{role}.Sanitize()
	var exists bool
	if err := d.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role).Scan(ctx, &exists); err != nil {
		return "", err
	}
	stmts := []string{}
	switch {
	case !exists:
		stmts = append(stmts, fmt.Sprintf("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS PASSWORD %s", r, quoteLiteral(password)))
	case password != "":
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s LOGIN PASSWORD %s", r, quoteLiteral(password)))
	}
	var dbName string
	if err := d.NewRaw("SELECT current_database()").Scan(ctx, &dbName); err != nil {
		return "", err
	}
	stmts = append(stmts,
		fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s", pgx.Identifier{dbName}.Sanitize(), r),
		fmt.Sprintf("GRANT USAGE ON SCHEMA public TO %s", r),
		// Nothing beyond what is granted below: no CREATE in the schema (no
		// functions or tables of its own), no TRIGGER, no TRUNCATE.
		fmt.Sprintf("REVOKE CREATE ON SCHEMA public FROM %s", r),
		fmt.Sprintf("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s", r),
		fmt.Sprintf("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %s", r),
		// The migrator's bookkeeping, read to tell whether migrations are pending.
		fmt.Sprintf("GRANT SELECT ON bun_migrations TO %s", r),
	)
	// History is appended to, never changed: SELECT and INSERT only.
	for _, t := range HistoryTables {
		stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT ON %s TO %s", t, r))
	}
	for _, t := range DirectoryTables {
		stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON %s TO %s", t, r))
	}
	// The integrity log: positions, kept nodes and checkpoints are appended
	// like history; a stream's row moves on with every append and checkpoint.
	for _, t := range LogAppendOnlyTables {
		stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT ON %s TO %s", t, r))
	}
	stmts = append(stmts, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON log_streams TO %s", r),
		fmt.Sprintf("GRANT SELECT ON log_state TO %s", r))
	for _, s := range stmts {
		if _, err := d.ExecContext(ctx, s); err != nil {
			return "", fmt.Errorf("%s: %w", redactPassword(s), err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	if password != "" {
		u.User = url.UserPassword(role, password)
	} else {
		u.User = url.User(role)
	}
	return u.String(), nil
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

var passwordClause = regexp.MustCompile(`PASSWORD '.*'`)

func redactPassword(s string) string { return passwordClause.ReplaceAllString(s, "PASSWORD '…'") }

// RoleRights reports whether the connected role owns a history table, or is
// a superuser: either can rewrite history. Always false on SQLite.
func RoleRights(ctx context.Context, d *DB) (owner, superuser bool, err error) {
	if d.Dialect != Postgres {
		return false, false, nil
	}
	err = d.NewRaw(`SELECT
  EXISTS (SELECT 1 FROM pg_tables WHERE tablename IN (?) AND pg_has_role(current_user, tableowner, 'USAGE')),
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`, bun.List(HistoryTables)).Scan(ctx, &owner, &superuser)
	return owner, superuser, err
}

// PendingMigrations reports whether a migration is not applied yet, reading
// the migrator's table only (which the runtime role may read but not create).
func (d *DB) PendingMigrations(ctx context.Context) (bool, error) {
	var applied []string
	if err := d.NewRaw("SELECT name FROM bun_migrations").Scan(ctx, &applied); err != nil {
		return false, err
	}
	sub, err := fs.Sub(migrationFiles, "migrations/"+d.Dialect)
	if err != nil {
		return false, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return false, err
	}
	have := map[string]bool{}
	for _, a := range applied {
		have[a] = true
	}
	for _, k := range ms.Sorted() {
		if !have[k.Name] {
			return true, nil
		}
	}
	return false, nil
}
