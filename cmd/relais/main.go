// Command relais is the Relais Slack assistant: one binary whose subcommands
// migrate the database, serve Slack and the HTTP probes, and (later) seed
// sample data, run a demo, a local console and a load generator.
//
// main.go holds only the subcommand table and the dispatch; each subcommand
// lives in a file of its own. Configuration comes from environment variables
// (package config); flags are for what differs between one run and the next.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	_ "time/tzdata" // a static binary in a scratch image has no zoneinfo

	"github.com/pic-montreal/relais/internal/config"
)

// env is what a subcommand may use of the outside world. main passes the real
// ones; tests pass a map and buffers.
type env struct {
	getenv func(string) string
	stdin  io.Reader // nil reads as empty
	stdout io.Writer
	stderr io.Writer
	// demoDatabase replaces relais_demo as the database relais demo uses,
	// so that tests get a fresh one each.
	demoDatabase string
}

// command is one subcommand. To add one, add an entry to the table in init
// and write its run function in a file of its own (see migrate.go).
type command struct {
	name    string
	summary string // one line, for `relais help`
	usage   string // arguments after the name, e.g. "[status]"
	help    string // what -h prints under the usage line
	// run does the work. args are the arguments after the subcommand name;
	// parse them with e.flags(cmd) and parseFlags, before anything else (so
	// `relais help <name>` can call run with -h), and -h/--help and usage
	// errors behave the same everywhere. Return usageErrorf for bad usage
	// (exit 2), any other error for a failure (exit 1).
	run func(ctx context.Context, cmd *command, args []string, e *env) error
}

// subcommands is the subcommand table, in the order `relais help` lists it.
// It is filled in init because the help command reads it.
var subcommands []*command

func init() {
	subcommands = []*command{
		{name: "help", summary: "list subcommands, or show one's help", usage: "[subcommand]",
			help: "With no argument, list the subcommands and the environment variables.\n" +
				"With a subcommand's name, show its help (the same as `relais <subcommand> -h`).",
			run: runHelp},
		demoCommand,
		consoleCommand,
		migrateCommand,
		seedCommand,
		checkinCommand,
		peopleCommand,
		digestCommand,
		serveCommand,
		loadgenCommand,
	}
}

func lookup(name string) *command {
	for _, c := range subcommands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling, so that a second
	// Ctrl-C stops a shutdown that takes too long.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], &env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run dispatches args to a subcommand and turns its outcome into an exit
// code and at most one line on stderr.
func run(ctx context.Context, args []string, e *env) (code int) {
	defer func() {
		// A bug must still end in one line, not a goroutine dump; the stack
		// is there for whoever asks with RELAIS_LOG_LEVEL=debug.
		if p := recover(); p != nil {
			fmt.Fprintf(e.stderr, "relais: internal error: %v\n", p)
			if strings.EqualFold(strings.TrimSpace(e.getenv(config.EnvLogLevel)), "debug") {
				e.stderr.Write(debug.Stack())
			}
			code = exitError
		}
	}()
	if len(args) == 0 {
		printOverview(e.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(e.stderr, "relais: unknown subcommand %q; run \"relais help\" for the list\n", name)
		return exitUsage
	}
	err := cmd.run(ctx, cmd, args[1:], e)
	var uerr *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(e.stderr, "relais %s: %s; run \"relais %s -h\" for help\n", cmd.name, oneLine(uerr.msg), cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "relais: %s\n", oneLine(err.Error()))
		return exitError
	}
}

// usageError is a mistake in how the command was called: exit code 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelpShown means -h was asked for and answered: exit 0.
var errHelpShown = errors.New("help shown")

// flags returns a FlagSet for cmd whose -h prints cmd's help to stdout.
func (e *env) flags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet("relais "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, in one line
	fs.Usage = func() { printCommandHelp(e.stdout, cmd, fs) }
	return fs
}

// parseFlags parses args into fs, printing cmd's help for -h/--help (and
// returning errHelpShown) and mapping flag errors to usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// The flag package calls Usage on every error as well as on -h; only -h
	// should print the help, so silence it while parsing.
	help := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = help
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		help()
		return errHelpShown
	default:
		return &usageError{msg: err.Error()}
	}
}

func printCommandHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: relais %s", cmd.name)
	if cmd.usage != "" {
		fmt.Fprintf(w, " %s", cmd.usage)
	}
	fmt.Fprintf(w, "\n\n%s\n", cmd.summary)
	if cmd.help != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.help)
	}
	fmt.Fprintln(w, "\nFlags:")
	if fs != nil {
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fmt.Fprintln(w, "  -h, --help\n    \tshow this help")
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, "relais: the Relais Slack assistant.\n\nUsage: relais <subcommand> [flags] [arguments]\n\nSubcommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range subcommands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun \"relais <subcommand> -h\" for a subcommand's help.\n\nEnvironment variables (unset or empty means the default):\n")
	tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, v := range config.Vars() {
		def := v.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, def, v.Meaning)
	}
	tw.Flush()
}

func runHelp(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		printOverview(e.stdout)
		return nil
	case 1:
		c := lookup(fs.Arg(0))
		if c == nil {
			return usageErrorf("unknown subcommand %q", fs.Arg(0))
		}
		// The subcommand's own -h prints its help, flags included.
		return c.run(ctx, c, []string{"-h"}, e)
	default:
		return usageErrorf("too many arguments")
	}
}

// setup loads the configuration and installs the process logger: the one
// place where slog is configured. Subcommands that need neither skip it.
func setup(e *env) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	logger := cfg.NewLogger(e.stderr)
	slog.SetDefault(logger)
	return cfg, logger, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
