package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/auditgraph/auditgraph/db"
)

// embeddedDatabase is the SQLite file used when no database URL is given, so
// that a first run needs no setup at all.
const embeddedDatabase = "auditgraph.db"

// databaseFlag adds -database-url; every command has it.
func databaseFlag(f *flagSet, p *string) {
	f.stringVar(p, "database-url", "DATABASE_URL", "",
		"PostgreSQL URL (postgres://…) or SQLite file; empty: the SQLite file "+embeddedDatabase+" in the working directory")
}

// resolveDatabase returns the URL to open and whether it is the embedded default.
func resolveDatabase(raw string) (string, bool) {
	if strings.TrimSpace(raw) == "" {
		return embeddedDatabase, true
	}
	return raw, false
}

func isPostgresURL(raw string) bool {
	return strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://")
}

// splitURLs undoes the comma split of a list of URLs where a comma is
// inside one: a multi-host URL (postgres://u@h1:5432,h2:5432/db) continues
// until the next part that starts a URL of its own.
func splitURLs(parts []string) []string {
	var out []string
	for _, p := range parts {
		if len(out) > 0 && !strings.Contains(p, "://") {
			out[len(out)-1] += "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}

func allPostgresURLs(urls []string) bool {
	for _, u := range urls {
		if !isPostgresURL(u) {
			return false
		}
	}
	return true
}

// describeDatabase names a database URL for logs without its password.
func describeDatabase(raw string) string {
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		if u, err := url.Parse(raw); err == nil {
			return u.Redacted()
		}
		// A multi-host URL (h1:5432,h2:5432), which net/url cannot parse.
		return db.RedactURL(raw)
	}
	return "SQLite " + raw
}

// openURL opens the database at url, saying which (credentials left out)
// when it cannot.
func openURL(url string, opt db.Options) (*db.DB, error) {
	d, err := db.Open(url, opt)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", describeDatabase(url), err)
	}
	return d, nil
}

// openAdmin opens the database a command's -database-url flag names, as
// is (no migration), for a command's short work on two connections; it
// returns the URL it resolved to.
func openAdmin(raw string) (*db.DB, string, error) {
	url, _ := resolveDatabase(raw)
	d, err := openURL(url, db.Options{MaxOpenConns: 2})
	return d, url, err
}

// openMigratedReporting opens the database a command's -database-url flag
// names and applies pending migrations, listing them on stderr (stdout may
// be JSON for a script); it returns the URL it resolved to.
func openMigratedReporting(ctx context.Context, e *env, raw string) (*db.DB, string, error) {
	url, _ := resolveDatabase(raw)
	d, applied, err := openMigrated(ctx, url, db.Options{})
	if err != nil {
		return nil, url, err
	}
	for _, name := range applied {
		fmt.Fprintf(e.stderr, "applied migration %s\n", name)
	}
	return d, url, nil
}

// openMigrated opens the database and applies pending migrations; it returns
// the names of the migrations applied.
func openMigrated(ctx context.Context, raw string, opt db.Options) (*db.DB, []string, error) {
	var applied []string
	if opt.StatementTimeout > 0 {
		// Migrations run without the statement deadline: building an index on
		// a large history legitimately takes longer than any request may.
		m, err := openURL(raw, db.Options{MaxOpenConns: 2})
		if err != nil {
			return nil, nil, err
		}
		applied, err = migrate(ctx, m)
		m.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	d, err := openURL(raw, opt)
	if err != nil {
		return nil, nil, err
	}
	if opt.StatementTimeout == 0 {
		if applied, err = migrate(ctx, d); err != nil {
			d.Close()
			return nil, nil, err
		}
	}
	return d, applied, nil
}

// migrate applies pending migrations and returns their full names
// (version_comment), as `migrate status` shows them.
func migrate(ctx context.Context, d *db.DB) ([]string, error) {
	// A runtime role (see `migrate grant-runtime`) may not migrate: it only
	// checks that the owner has.
	if owner, super, err := db.RoleRights(ctx, d); err == nil && !owner && !super && d.Dialect == db.Postgres {
		pending, err := d.PendingMigrations(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the migrations applied (does this role have the runtime grants?): %w", err)
		}
		if pending {
			return nil, fmt.Errorf("migrations are pending and this role does not own the tables: run `auditgraph migrate` as the owner role first")
		}
		return nil, nil
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", d.Dialect, err)
	}
	if len(applied) == 0 {
		return nil, nil
	}
	status, err := d.MigrationsStatus(ctx)
	if err != nil {
		return applied, nil
	}
	names := make([]string, len(applied))
	for i, version := range applied {
		names[i] = version
		for _, st := range status {
			if strings.HasPrefix(st.Name, version+"_") {
				names[i] = st.Name
			}
		}
	}
	return names, nil
}
