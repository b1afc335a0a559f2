package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// flagSet is a flag.FlagSet whose flags may also be set from the environment.
// A flag given on the command line wins over its variable; a variable that
// does not parse is an error only if its flag did not override it.
type flagSet struct {
	*flag.FlagSet
	getenv  func(string) string
	stdout  io.Writer        // where asked-for help goes
	envErrs map[string]error // flag name -> why its variable did not parse
}

func newFlagSet(e *env, c *command) *flagSet {
	name, args, summary := c.name, c.args, c.summary
	if c.details != "" {
		summary += "\n\n" + c.details
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: auditgraph %s %s\n\n%s\n", name, args, summary)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return &flagSet{FlagSet: fs, getenv: e.getenv, stdout: e.stdout, envErrs: map[string]error{}}
}

// fromEnv reads variable envName into the flag's default, through parse.
func fromEnv[T any](f *flagSet, p *T, name, envName string, def T, want string, parse func(string) (T, error)) {
	*p = def
	if raw := f.getenv(envName); raw != "" {
		v, err := parse(raw)
		if err != nil {
			f.envErrs[name] = fmt.Errorf("invalid %s=%q: want %s", envName, raw, want)
			return
		}
		*p = v
	}
}

func withEnv(usage, envName string) string { return usage + " (env " + envName + ")" }

func (f *flagSet) stringVar(p *string, name, envName, def, usage string) {
	fromEnv(f, p, name, envName, def, "a string", func(s string) (string, error) { return s, nil })
	f.StringVar(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) boolVar(p *bool, name, envName string, def bool, usage string) {
	fromEnv(f, p, name, envName, def, "true or false", strconv.ParseBool)
	f.BoolVar(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) intVar(p *int, name, envName string, def int, usage string) {
	fromEnv(f, p, name, envName, def, "an integer", strconv.Atoi)
	f.IntVar(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) int64Var(p *int64, name, envName string, def int64, usage string) {
	fromEnv(f, p, name, envName, def, "an integer", func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
	f.Int64Var(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) float64Var(p *float64, name, envName string, def float64, usage string) {
	fromEnv(f, p, name, envName, def, "a number", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	f.Float64Var(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) durationVar(p *time.Duration, name, envName string, def time.Duration, usage string) {
	fromEnv(f, p, name, envName, def, "a duration such as 500ms, 10s or 2m", time.ParseDuration)
	f.DurationVar(p, name, *p, withEnv(usage, envName))
}

func (f *flagSet) listVar(p *[]string, name, envName string, def []string, usage string) {
	fromEnv(f, p, name, envName, def, "a comma-separated list", func(s string) ([]string, error) { return splitList(s), nil })
	f.Var((*listValue)(p), name, withEnv(usage, envName))
}

// listValue is a comma-separated list flag.
type listValue []string

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listValue) Set(s string) error {
	*l = splitList(s)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parse parses args, allowing flags after positional arguments
// (`apikey revoke 7 -database-url x`), and returns the positional arguments.
// Bad flags and bad environment values are usage errors.
func (f *flagSet) parse(args []string) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			f.SetOutput(f.stdout)
		}
	}
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// The flag package has already printed the error and the usage.
			return nil, &usageError{msg: err.Error()}
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var msgs []string
	f.VisitAll(func(fl *flag.Flag) {
		if err, bad := f.envErrs[fl.Name]; bad && !set[fl.Name] {
			msgs = append(msgs, err.Error())
		}
	})
	if len(msgs) > 0 {
		return nil, &usageError{msg: strings.Join(msgs, "; ")}
	}
	return positional, nil
}

// noArgs refuses positional arguments of a command that takes none.
func noArgs(f *flagSet, args []string) error {
	if len(args) > 0 {
		return usagef("%s: unexpected argument %q", f.Name(), args[0])
	}
	return nil
}
