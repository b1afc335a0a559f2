package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/db/seed"
)

var seedCommand = &command{
	name:    "seed",
	args:    "--demo [--json] [flags]",
	summary: "Write the demo data (idempotent) and print fresh demo API keys.",
	run:     seedRun,
}

func seedRun(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL string
	var demo, asJSON bool
	databaseFlag(f, &dbURL)
	f.BoolVar(&demo, "demo", false, "write the demo data set (required: it is the only data set)")
	f.BoolVar(&asJSON, "json", false, "print the demo ids and keys as JSON")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(f, rest); err != nil {
		return err
	}
	if !demo {
		f.Usage()
		return usagef("seed: --demo is required")
	}
	d, url, err := openMigratedReporting(ctx, e, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := seed.Run(ctx, db.NewStore(d))
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printSeedSummary(e, url, res)
	return nil
}

// roleNotes say what each demo key can show.
var roleNotes = map[string]string{
	"owner":    "OWNER of Acme Corp",
	"admin":    "ADMIN of Acme Corp",
	"member":   "MEMBER of Acme Corp, the member with the long histories",
	"auditor":  "MEMBER of Acme Corp with the attribute auditor custom role",
	"outsider": "OWNER of Globex, not in Acme Corp",
	"writer":   "the Acme Corp owner, with the audit:write scope (ingestion)",
}

func printSeedSummary(e *env, url string, res *seed.Result) {
	w := e.stdout
	fmt.Fprintf(w, "Demo data written to %s.\n\n", describeDatabase(url))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORGANIZATION\tID\tPUBLIC ID")
	for _, k := range slices.Sorted(maps.Keys(res.Organizations)) {
		o := res.Organizations[k]
		fmt.Fprintf(tw, "%s\t%d\t%s\n", o.Name, o.ID, o.PublicID)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tUSER\tAPI KEY (shown once)\tNOTE")
	for _, role := range seed.Roles {
		user := "-"
		if u, ok := res.Users[role]; ok {
			user = fmt.Sprintf("%s (id %d, %s)", u.Name, u.ID, u.PublicID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", role, user, res.Keys[role], roleNotes[role])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT TYPE\tID")
	for _, k := range slices.Sorted(maps.Keys(res.EventTypes)) {
		fmt.Fprintf(tw, "%s\t%d\n", k, res.EventTypes[k])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nHistory entries: %d event type, %d attribute assignment, %d member change log.\n",
		res.Entries["eventTypeHistory"], res.Entries["attributeAssignmentHistory"], res.Entries["memberChangeLogs"])
	fmt.Fprintf(w, "Earlier demo keys stay valid; revoke them with `auditgraph apikey revoke ID`.\n")
}
