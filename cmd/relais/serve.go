package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/pic-montreal/relais/internal/httpserver"
)

var serveCommand = &command{
	name:    "serve",
	summary: "run the HTTP server (probes, metrics, Slack) until SIGINT or SIGTERM",
	help: "Load the configuration, connect to DATABASE_URL (creating the database if\n" +
		"missing), apply pending migrations, then serve on RELAIS_HTTP_ADDR:\n" +
		"  GET /healthz   200 while the process is alive\n" +
		"  GET /readyz    200 when the database answers and is migrated, else 503\n" +
		"  GET /metrics   Prometheus metrics\n" +
		"On SIGINT or SIGTERM, stop accepting requests, let in-flight ones finish\n" +
		"(up to RELAIS_SHUTDOWN_TIMEOUT) and exit 0.",
	run: runServe,
}

func runServe(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, logger, err := setup(e)
	if err != nil {
		return err
	}
	logger.Info("relais starting", "config", cfg)

	st, err := openStore(ctx, cfg)
	if err != nil {
		return stoppedEarly(ctx, logger, err)
	}
	defer st.Close()
	// Migrating at start keeps schema and code in step; replicas starting
	// together take turns on goose's advisory lock.
	n, err := st.Migrate(ctx)
	if err != nil {
		return stoppedEarly(ctx, logger, fmt.Errorf("migrate %s: %w", cfg.RedactedDatabaseURL(), dbError(cfg, err)))
	}
	logger.Info("database migrated", "applied", n)

	registry := httpserver.NewRegistry()
	handlers := map[string]http.Handler{}
	// Hook: the Slack receivers mount here once the slackbot package exists,
	// e.g. handlers["/slack/"] = bot.HTTPHandler(), and packages register
	// their metrics on registry (e.g. a commands counter) before the server
	// starts. Socket Mode, the outbox sender and the scheduler will run
	// beside srv.Run under the same ctx (an errgroup), stopping on SIGTERM.

	srv, err := httpserver.New(httpserver.Options{
		Addr:            cfg.HTTPAddr,
		Ready:           st.Ready,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          logger,
		Registry:        registry,
		Handlers:        handlers,
	})
	if err != nil {
		return err
	}
	if err := srv.Run(ctx); err != nil {
		return err
	}
	logger.Info("relais stopped")
	return nil
}

// stoppedEarly reports err, unless it comes from a SIGINT or SIGTERM during
// start-up: being asked to stop is not a failure, whenever it happens.
func stoppedEarly(ctx context.Context, logger *slog.Logger, err error) error {
	if ctx.Err() != nil {
		logger.Info("relais stopped before serving", "reason", context.Cause(ctx))
		return nil
	}
	return err
}
