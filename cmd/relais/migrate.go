package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/store"
)

var migrateCommand = &command{
	name:    "migrate",
	summary: "apply pending database migrations (migrate status: list them)",
	usage:   "[status]",
	help: "Apply every pending migration to DATABASE_URL and print how many were applied.\n" +
		"The database is created first if it does not exist. Several processes may run\n" +
		"this at once (replicas starting together): a PostgreSQL advisory lock makes\n" +
		"them take turns, and each migration is applied once.\n\n" +
		"With \"status\", list every migration: version, file, applied or pending, and\n" +
		"when it was applied (in RELAIS_TIMEZONE).",
	run: runMigrate,
}

// migrateTimeout bounds the whole migration: the advisory lock waits up to
// five minutes for another process, and then the migrations themselves run.
const migrateTimeout = 10 * time.Minute

func runMigrate(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	status := false
	if fs.NArg() > 0 {
		if fs.Arg(0) != "status" {
			return usageErrorf("unknown argument %q (want nothing or \"status\")", fs.Arg(0))
		}
		status = true
		// Flags may follow "status" too: `relais migrate status -h`.
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usageErrorf("unexpected argument %q after status", fs.Arg(0))
		}
	}

	cfg, _, err := setup(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	if status {
		return printMigrationStatus(ctx, e, cfg, st)
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", cfg.RedactedDatabaseURL(), dbError(cfg, err))
	}
	switch n {
	case 0:
		fmt.Fprintln(e.stdout, "applied 0 migrations: the database is up to date")
	case 1:
		fmt.Fprintln(e.stdout, "applied 1 migration")
	default:
		fmt.Fprintf(e.stdout, "applied %d migrations\n", n)
	}
	return nil
}

func printMigrationStatus(ctx context.Context, e *env, cfg config.Config, st *store.Store) error {
	states, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", dbError(cfg, err))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tFILE\tSTATE\tAPPLIED AT")
	for _, m := range states {
		state, at := "pending", "-"
		if m.Applied {
			state = "applied"
			at = m.AppliedAt.In(cfg.Timezone).Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Version, m.Source, state, at)
	}
	return tw.Flush()
}
