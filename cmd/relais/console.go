package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/console"
	"github.com/pic-montreal/relais/internal/jobs"
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
		"  printf 'quartier Verdun\\nfinancement 2026\\n' | relais console --as UDEMOCOORD\n" +
		"It shows DATABASE_URL's data as Slack would; for the fictional demo data, run\n" +
		"relais demo, which keeps it in a database of its own.",
	run: func(ctx context.Context, cmd *command, args []string, e *env) error {
		return runConsole(ctx, cmd, args, e, false)
	},
}

var demoCommand = &command{
	name:    "demo",
	summary: "load the fictional demo data into its own database, relais_demo, and open the console",
	usage:   "[--as SLACK_USER_ID]",
	help: "The quickest look at Relais: on DATABASE_URL's server (the local one by\n" +
		"default), create the database " + demoDatabase + " if missing, apply the migrations,\n" +
		"load the demo partnership (fictional) and open the console as a coordinator.\n" +
		"The demo never writes to DATABASE_URL's own database, so the fictional rows\n" +
		"never reach the one relais serve shows Slack. Like the console, it reads one\n" +
		"command per line when standard input is not a terminal:\n" +
		"  printf 'quartier Verdun\\nmembres\\n' | relais demo --as UGUEST\n" +
		"Demo users for --as:\n" + demoUsers,
	run: func(ctx context.Context, cmd *command, args []string, e *env) error {
		return runConsole(ctx, cmd, args, e, true)
	},
}

// demoDatabase is the database relais demo uses on DATABASE_URL's server.
const demoDatabase = "relais_demo"

// demoDatabaseURL is databaseURL naming the database name instead: same
// server, user and parameters.
func demoDatabaseURL(databaseURL, name string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL // config.Load has parsed it already
	}
	u.Path = "/" + name
	u.RawPath = ""
	if q := u.Query(); q.Has("dbname") {
		// lib/pq lets a dbname parameter override the path.
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String()
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
		name := e.demoDatabase
		if name == "" {
			name = demoDatabase
		}
		cfg.DatabaseURL = demoDatabaseURL(cfg.DatabaseURL, name)
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
		return fmt.Errorf("database not ready (%v); run \"relais migrate\" first, or \"relais demo\" for the demo data", err)
	}
	// A check-in service on a jobs client that is never started: what it
	// queues goes out once relais serve runs on this database.
	bg, err := jobs.New(st, jobs.Config{Logger: logger, CoordinationChannel: cfg.CoordinationChannel,
		DigestChannels: digestChannels(cfg), Timezone: cfg.Timezone})
	if err != nil {
		return err
	}
	checkins := newCheckins(st, cfg, logger)
	plugCheckins(checkins, bg, cfg)
	in, out := consoleIO(e)
	interactive := in == os.Stdin && console.IsTerminal(os.Stdin)
	err = console.Run(ctx, in, out, newRouter(st, cfg, logger, nil, checkins, true, bg), console.Options{
		Caller:      commands.Caller{SlackUserID: *as, TeamID: "TCONSOLE"},
		Interactive: interactive,
		Color:       interactive && out == os.Stdout && console.IsTerminal(os.Stdout),
	})
	if ctx.Err() != nil {
		return nil // Ctrl-C ends a console session normally
	}
	return err
}
