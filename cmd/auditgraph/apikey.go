package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/auditgraph/auditgraph/db"
	"github.com/auditgraph/auditgraph/model"
)

var apikeyCommand = &command{
	name:    "apikey",
	args:    "create|list|revoke",
	summary: "Create (secret shown once), list and revoke API keys.",
	run:     apikeyRun,
}

const apikeyUsage = `Usage:
  auditgraph apikey create --user ID [--org ID] [--scopes a,b] [--expires 720h|RFC3339] [--name N]
  auditgraph apikey list [--user ID]
  auditgraph apikey revoke ID

IDs of users and organizations are numeric or public (usr_…, org_…).
Every action takes -database-url; run ` + "`auditgraph apikey ACTION -h`" + ` for its flags.
`

// knownScopes are the scopes a key may carry; a typo would otherwise make a
// key that silently cannot do what it was made for.
var knownScopes = []string{model.ScopeEventTypeRead, model.ScopeRead, model.ScopeWrite}

func apikeyRun(ctx context.Context, e *env, cmd *command, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		w := e.stderr
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			w = e.stdout
		}
		fmt.Fprint(w, apikeyUsage)
		if w == e.stdout {
			return nil
		}
		return usagef("apikey: missing action (create, list or revoke)")
	}
	action, args := args[0], args[1:]
	sub := &command{name: cmd.name + " " + action, summary: cmd.summary}
	switch action {
	case "create":
		sub.args = "--user ID [--org ID] [--scopes a,b] [--expires 720h|RFC3339] [--name N] [flags]"
		sub.summary = "Create an API key and print its secret, once."
		return apikeyCreate(ctx, e, sub, args)
	case "list":
		sub.args = "[--user ID] [flags]"
		sub.summary = "List API keys (never their secrets)."
		return apikeyList(ctx, e, sub, args)
	case "revoke":
		sub.args = "ID [flags]"
		sub.summary = "Revoke an API key: it stops authenticating at once."
		return apikeyRevoke(ctx, e, sub, args)
	}
	return usagef("apikey: unknown action %q (want create, list or revoke)", action)
}

func openStore(ctx context.Context, raw string) (*db.Store, error) {
	url, _ := resolveDatabase(raw)
	d, _, err := openMigrated(ctx, url, db.Options{MaxOpenConns: 2})
	if err != nil {
		return nil, err
	}
	return db.NewStore(d), nil
}

func apikeyCreate(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL, userArg, orgArg, expiresArg, name string
	var scopes []string
	databaseFlag(f, &dbURL)
	f.StringVar(&userArg, "user", "", "owner of the key: numeric id or public id (usr_…); required")
	f.StringVar(&orgArg, "org", "", "limit the key to one organization of the user: numeric id or public id (org_…)")
	f.Var((*listValue)(&scopes), "scopes", "comma-separated scopes ("+strings.Join(knownScopes, ", ")+"); none: the owner's read access")
	f.StringVar(&expiresArg, "expires", "", "expiry: a duration from now (720h) or an RFC 3339 time; none: never")
	f.StringVar(&name, "name", "", "a label to recognize the key by")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(f, rest); err != nil {
		return err
	}
	if userArg == "" {
		return usagef("apikey create: --user is required")
	}
	for _, s := range scopes {
		if !model.OneOf(s, knownScopes) {
			return usagef("apikey create: unknown scope %q (known: %s)", s, strings.Join(knownScopes, ", "))
		}
	}
	now := time.Now().UTC()
	var expires *time.Time
	if expiresArg != "" {
		t, err := parseExpiry(expiresArg, now)
		if err != nil {
			return err
		}
		expires = &t
	}

	store, err := openStore(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	user, err := lookupUser(ctx, store, userArg)
	if err != nil {
		return err
	}
	k := &model.APIKey{Name: name, UserID: user.ID, Scopes: scopes, ExpiresAt: expires, CreatedAt: now}
	if orgArg != "" {
		org, err := lookupOrganization(ctx, store, orgArg)
		if err != nil {
			return err
		}
		// A key limited to an organization its owner is not in could never read anything.
		if _, err := store.OrganizationAccess(ctx, user.ID, org.ID); err != nil {
			if model.ErrorCode(err) == model.CodeNotFound {
				return fmt.Errorf("user %d is not a member of organization %d", user.ID, org.ID)
			}
			return err
		}
		k.OrganizationID = &org.ID
	}
	secret := model.NewKeySecret()
	k.Hash, k.Hint = model.HashKey(secret), model.KeyHint(secret)
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("create API key: %w", err)
	}
	w := e.stdout
	fmt.Fprintf(w, "Created API key %d for user %d (%s).\n", k.ID, user.ID, user.Email)
	fmt.Fprintf(w, "Copy the secret now: it is not stored and cannot be shown again.\n\n")
	fmt.Fprintf(w, "  %s\n\n", secret)
	fmt.Fprintf(w, "id %d, hint %s, organization %s, scopes %s, expires %s\n",
		k.ID, k.Hint, orDash(k.OrganizationID), scopeList(k.Scopes), timeOrNever(k.ExpiresAt))
	return nil
}

// parseExpiry reads a duration from now or an RFC 3339 time; it must be in the future.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	var t time.Time
	if d, err := time.ParseDuration(s); err == nil {
		t = now.Add(d)
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		return t, usagef("apikey create: --expires %q is neither a duration (720h) nor an RFC 3339 time (2027-01-31T00:00:00Z)", s)
	}
	if !t.After(now) {
		return t, usagef("apikey create: --expires %q is not in the future", s)
	}
	return t.UTC(), nil
}

func lookupUser(ctx context.Context, store *db.Store, arg string) (*model.User, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return notFoundAs(store.UserByID(ctx, id))("user %s not found", arg)
	}
	return notFoundAs(store.UserByPublicID(ctx, arg))("user %s not found", arg)
}

func lookupOrganization(ctx context.Context, store *db.Store, arg string) (*model.Organization, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return notFoundAs(store.OrganizationByID(ctx, id))("organization %s not found", arg)
	}
	return notFoundAs(store.OrganizationByPublicID(ctx, arg))("organization %s not found", arg)
}

// notFoundAs phrases a store's NOT_FOUND in the words of the command line.
func notFoundAs[T any](v *T, err error) func(format string, args ...any) (*T, error) {
	return func(format string, args ...any) (*T, error) {
		if model.ErrorCode(err) == model.CodeNotFound {
			return nil, fmt.Errorf(format, args...)
		}
		return v, err
	}
}

func apikeyList(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL, userArg string
	databaseFlag(f, &dbURL)
	f.StringVar(&userArg, "user", "", "only the keys of this user: numeric id or public id (usr_…)")
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs(f, rest); err != nil {
		return err
	}
	store, err := openStore(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	var userID int64
	if userArg != "" {
		u, err := lookupUser(ctx, store, userArg)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	keys, err := store.ListAPIKeys(ctx, userID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHINT\tNAME\tUSER\tORG\tSCOPES\tEXPIRES\tREVOKED\tLAST USED")
	for _, k := range keys {
		name := k.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Hint, name, k.UserID, orDash(k.OrganizationID),
			scopeList(k.Scopes), timeOrNever(k.ExpiresAt), timeOrDash(k.RevokedAt), timeOrDash(k.LastUsedAt))
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d key(s)\n", len(keys))
	return nil
}

func apikeyRevoke(ctx context.Context, e *env, cmd *command, args []string) error {
	f := newFlagSet(e, cmd)
	var dbURL string
	databaseFlag(f, &dbURL)
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("apikey revoke: want exactly one key id, got %d arguments", len(rest))
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("apikey revoke: %q is not a key id (see `auditgraph apikey list`)", rest[0])
	}
	store, err := openStore(ctx, dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeAPIKey(ctx, id, time.Now()); err != nil {
		if model.ErrorCode(err) == model.CodeNotFound {
			return fmt.Errorf("API key %d not found", id)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "API key %d revoked.\n", id)
	return nil
}

func orDash(id *int64) string {
	if id == nil {
		return "-"
	}
	return strconv.FormatInt(*id, 10)
}

func scopeList(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
