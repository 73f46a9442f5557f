package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/httpserver"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
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
		"and running background jobs finish (up to RELAIS_SHUTDOWN_TIMEOUT), exit 0.\n" +
		"A database holding the fictional sample data (relais seed) is refused, unless\n" +
		"RELAIS_ALLOW_SAMPLE_DATA=1 (tests, benchmarks).",
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
	if err := checkSampleData(ctx, st, cfg, logger); err != nil {
		return stoppedEarly(ctx, logger, err)
	}

	registry := httpserver.NewRegistry()
	// Background work (the event pruner, and what Relais will send on its own
	// initiative) runs as River jobs; River's tables came with the migration.
	// The check-in service opens due rounds on the jobs' tick and answers
	// /pic suivi; its messages go to the jobs' delivery queue.
	checkins := newCheckins(st, cfg, logger)
	jc := jobsConfig(cfg, logger, registry)
	jc.Checkins = checkins
	bg, err := jobs.New(st, jc)
	if err != nil {
		return err
	}
	plugCheckins(checkins, bg, cfg)
	router := newRouter(st, cfg, logger, registry, checkins, false, bg)
	plugHomes(checkins, bg, router)
	handlers := map[string]http.Handler{}
	var receiver *slackbot.Receiver
	if cfg.HTTPMode() {
		receiver = slackbot.NewHTTPHandler(slackConfig(cfg), router, logger)
		handlers["/slack/"] = receiver
	}
	if !cfg.HTTPMode() && !cfg.SocketMode() {
		logger.Warn("no Slack credentials: serving probes and metrics only; " +
			"set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)")
	}

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
	if err := bg.Start(ctx); err != nil {
		return err
	}
	// Socket Mode runs beside the HTTP server and stops with it.
	socketDone := make(chan error, 1)
	if cfg.SocketMode() {
		go func() {
			socketDone <- slackbot.RunSocketMode(ctx, slackConfig(cfg), router, logger)
		}()
	} else {
		socketDone <- nil
	}
	err = srv.Run(ctx)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if receiver != nil {
		// Replies still on their way to response_url are delivered before exit.
		if werr := receiver.Shutdown(shutdownCtx); werr != nil {
			logger.Warn("slack replies still in flight at shutdown", "error", werr)
		}
	}
	if serr := <-socketDone; serr != nil && err == nil {
		err = serr
	}
	// Jobs stop after the transports, within the same deadline, and before
	// the pool closes (deferred above).
	if jerr := bg.Stop(shutdownCtx); jerr != nil {
		logger.Warn("background jobs at shutdown", "error", jerr)
	}
	if err != nil {
		return err
	}
	logger.Info("relais stopped")
	return nil
}

// checkSampleData refuses a database holding the fictional sample data unless
// RELAIS_ALLOW_SAMPLE_DATA=1: partners would take its invented Tables and
// amounts for real ones.
func checkSampleData(ctx context.Context, st *store.Store, cfg config.Config, logger *slog.Logger) error {
	sample, err := st.HoldsSampleData(ctx)
	if err != nil {
		return dbError(cfg, err)
	}
	switch {
	case !sample:
		return nil
	case cfg.AllowSampleData:
		logger.Warn("serving the fictional sample data", "reason", config.EnvAllowSampleData+"=1")
		return nil
	}
	return fmt.Errorf("database %s holds the fictional sample data (relais seed --demo or --synthetic); "+
		"Slack must never see it. Use another database, or set %s=1 to serve it anyway (tests, benchmarks)",
		databaseName(cfg.DatabaseURL), config.EnvAllowSampleData)
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
