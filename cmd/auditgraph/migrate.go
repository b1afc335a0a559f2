package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/auditgraph/auditgraph/db"
)

var migrateCommand = &command{
	name:    "migrate",
	args:    "[up|status|grant-runtime ROLE] [flags]",
	summary: "Apply pending migrations (up, the default), list them (status), or create the server's PostgreSQL runtime role (grant-runtime ROLE).",
	run:     migrateRun,
}

func migrateRun(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL, password string
	databaseFlag(f, &dbURL)
	f.stringVar(&password, "role-password", "AUDITGRAPH_RUNTIME_PASSWORD", "",
		"grant-runtime: the runtime role's password (a new role without one cannot log in with a password; an existing role keeps its own)")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	action := "up"
	if len(rest) > 0 {
		action, rest = rest[0], rest[1:]
	}
	var role string
	if action == "grant-runtime" {
		if len(rest) == 0 {
			return usagef("migrate grant-runtime: name the role to create or grant")
		}
		role, rest = rest[0], rest[1:]
	}
	if err := noArgs(f, rest); err != nil {
		return err
	}
	if action != "up" && action != "status" && action != "grant-runtime" {
		return usagef("migrate: unknown action %q (want up, status or grant-runtime)", action)
	}
	d, url, err := openAdmin(dbURL)
	if err != nil {
		return err
	}
	defer d.Close()

	if action == "grant-runtime" {
		// Run as the role that owns the tables, after `migrate up`.
		runtimeURL, err := db.GrantRuntimeRole(ctx, d, url, role, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "role %s may now read the directory and histories, upsert the directory and append to the histories; nothing else.\n"+
			"Run the server as it: DATABASE_URL=%s\n"+
			"Run this again after a migration that adds tables.\n", role, describeDatabase(runtimeURL))
		return nil
	}
	if action == "up" {
		applied, err := migrate(ctx, d)
		if err != nil {
			return err
		}
		for _, name := range applied {
			fmt.Fprintf(e.stdout, "applied %s\n", name)
		}
		if len(applied) == 0 {
			fmt.Fprintf(e.stdout, "%s is up to date: no migration to apply\n", describeDatabase(url))
		}
		return nil
	}
	status, err := d.MigrationsStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MIGRATION\tSTATUS")
	pending := 0
	for _, st := range status {
		state := "applied"
		if !st.Applied {
			state, pending = "pending", pending+1
		}
		fmt.Fprintf(tw, "%s\t%s\n", st.Name, state)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d applied, %d pending\n", len(status)-pending, pending)
	return nil
}
