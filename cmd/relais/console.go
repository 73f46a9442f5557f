package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/console"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
)

var consoleCommand = &command{
	name:    "console",
	summary: "type /pic commands in a terminal, against DATABASE_URL",
	usage:   "[--as SLACK_USER_ID]",
	help: "Run the same commands as Slack's /pic and show the replies as text: headers,\n" +
		"sections, fields, and buttons as numbered choices (type the number to click).\n" +
		"When standard input is not a terminal, read one command per line and print\n" +
		"only the replies, so it can be scripted:\n" +
		"  printf 'quartier Verdun\\nfinancement 2026\\n' | relais console --as UDEMOCOORD",
	run: func(ctx context.Context, cmd *command, args []string, e *env) error {
		return runConsole(ctx, cmd, args, e, false)
	},
}

var demoCommand = &command{
	name:    "demo",
	summary: "migrate, load the fictional demo data, and open the console (no Slack needed)",
	usage:   "[--as SLACK_USER_ID]",
	help: "The quickest look at Relais: apply migrations to DATABASE_URL (the local\n" +
		"server by default), load the demo partnership (fictional), then open the\n" +
		"console as a coordinator. Demo users for --as:\n" + demoUsers,
	run: func(ctx context.Context, cmd *command, args []string, e *env) error {
		return runConsole(ctx, cmd, args, e, true)
	},
}

var slackUserIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// consoleIO is where the console reads and writes.
func consoleIO(e *env) (io.Reader, io.Writer) {
	if e.stdin == nil {
		return strings.NewReader(""), e.stdout
	}
	return e.stdin, e.stdout
}

// demoUsers are the demo data's people, one per role and language.
const demoUsers = "" +
	"  UDEMOCOORD     coordinator (French)      UDEMOCOORD2    coordinator (English)\n" +
	"  UDEMOPARTNER   partner (Slack's language) UDEMOPARTEN    partner (English)\n" +
	"  UDEMOVERDUN    Verdun's Table            UDEMOSTMICHEL  Saint-Michel's Table\n" +
	"  any other id   a guest Relais does not know"

func runConsole(ctx context.Context, cmd *command, args []string, e *env, demo bool) error {
	fs := e.flags(cmd)
	as := fs.String("as", "UDEMOCOORD", "act as this Slack user (their role and language)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if !slackUserIDPattern.MatchString(*as) {
		return usageErrorf("--as %q is not a Slack user id (like U0123ABCD)", *as)
	}
	cfg, logger, err := setup(e)
	if err != nil {
		return err
	}
	if strings.TrimSpace(e.getenv(config.EnvLogLevel)) == "" {
		// A log line per command would drown the replies on the screen.
		cfg.LogLevel = slog.LevelWarn
		logger = cfg.NewLogger(e.stderr)
		slog.SetDefault(logger)
	}
	var st *store.Store
	if demo {
		st, err = openMigratedStore(ctx, cfg)
	} else {
		st, err = openStore(ctx, cfg)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if demo {
		if _, err := seed.Demo(ctx, st); err != nil {
			return dbError(cfg, err)
		}
		fmt.Fprintf(e.stdout, "%s\n\n", seed.Notice)
	} else if err := st.Ready(ctx); err != nil {
		return fmt.Errorf("database not ready (%v); run \"relais migrate\" first", err)
	}
	in, out := consoleIO(e)
	interactive := in == os.Stdin && console.IsTerminal(os.Stdin)
	err = console.Run(ctx, in, out, newRouter(st, cfg, logger, nil), console.Options{
		Caller:      commands.Caller{SlackUserID: *as, TeamID: "TCONSOLE"},
		Interactive: interactive,
		Color:       interactive && out == os.Stdout && console.IsTerminal(os.Stdout),
	})
	if ctx.Err() != nil {
		return nil // Ctrl-C ends a console session normally
	}
	return err
}
