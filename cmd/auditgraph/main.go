// Command auditgraph serves the audit history API and manages its database and
// API keys. Run it without arguments to start the server on an embedded SQLite
// database with demo data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
)

// command is one subcommand. Adding a subcommand is adding one entry to
// commands.
type command struct {
	name    string
	args    string // synopsis of the arguments, for the usage text
	summary string
	// details, when set, follows the summary in the command's -h text.
	details string
	run     func(ctx context.Context, e *env, c *command, args []string) error
}

var commands = []*command{
	serveCommand,
	migrateCommand,
	seedCommand,
	apikeyCommand,
	importCommand,
	exportCommand,
	verifyCommand,
}

// defaultCommand runs when the first argument is not a subcommand name, so
// `auditgraph -addr :9090` means `auditgraph serve -addr :9090`.
const defaultCommand = "serve"

// env is what a command may touch of the outside world; tests run commands
// in-process with their own.
type env struct {
	// stdin is where `verify proof` reads; nil: the process's.
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run dispatches args to a subcommand and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			printUsage(e.stdout)
			return exitOK
		}
	}
	name := defaultCommand
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name == name {
			return exitCode(e, c.run(ctx, e, c, args))
		}
	}
	fmt.Fprintf(e.stderr, "auditgraph: unknown command %q\n\n", name)
	printUsage(e.stderr)
	return exitUsage
}

// usageError is a mistake in the command line or configuration: exit code 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func exitCode(e *env, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "auditgraph: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "auditgraph: %v\n", err)
		return exitError
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "auditgraph serves audit histories over GraphQL.\n\nUsage:\n  auditgraph [command] [flags]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  help\tShow this help.\n")
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nWithout a command, auditgraph runs %q.\n"+
		"Every command takes -database-url (env DATABASE_URL; empty: the SQLite file %s in the working directory).\n"+
		"Run `auditgraph <command> -h` for a command's flags.\n", defaultCommand, embeddedDatabase)
}
