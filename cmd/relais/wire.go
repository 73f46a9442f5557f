package main

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
)

// slackConfig is what the Slack transports take from the configuration.
func slackConfig(cfg config.Config) slackbot.Config {
	return slackbot.Config{
		SigningSecret: cfg.SlackSigningSecret,
		BotToken:      cfg.SlackBotToken,
		AppToken:      cfg.SlackAppToken,
		APIURL:        cfg.SlackAPIURL,
	}
}

// newRouter builds the command router every transport runs. With a bot token,
// the Slack locale of users who chose no language comes from users.info.
func newRouter(st *store.Store, cfg config.Config, logger *slog.Logger, registry *prometheus.Registry) *commands.Router {
	opts := commands.Options{Logger: logger, Location: cfg.Timezone}
	if cfg.SlackBotToken != "" {
		opts.Locales = slackbot.NewLocales(slackbot.NewClient(slackConfig(cfg), logger), logger)
	}
	if registry != nil {
		runs := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relais_commands_total", Help: "Slash commands run, by command and outcome.",
		}, []string{"command", "outcome"})
		seconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "relais_command_duration_seconds", Help: "Time to answer a slash command.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command"})
		registry.MustRegister(runs, seconds)
		opts.Observe = func(command string, ok bool, d time.Duration) {
			outcome := "ok"
			if !ok {
				outcome = "error"
			}
			runs.WithLabelValues(command, outcome).Inc()
			seconds.WithLabelValues(command).Observe(d.Seconds())
		}
	}
	return commands.New(st, opts)
}

// jobsConfig is the background work's configuration. With a bot token, the
// Sender delivers what Relais sends on its own initiative; without one,
// deliveries wait in their queue (they do not fail) and this says so once.
// The check-in service queues through jobs.NewEnqueuer(bg) and alerts through
// delivery.NewAlerter(jobs.NewEnqueuer(bg), cfg.CoordinationChannel).
func jobsConfig(cfg config.Config, logger *slog.Logger, registry prometheus.Registerer) jobs.Config {
	jc := jobs.Config{Logger: logger, Registerer: registry, CoordinationChannel: cfg.CoordinationChannel,
		RescueStuckAfter: cfg.JobRescueAfter}
	if cfg.SlackBotToken == "" {
		logger.Warn("no " + config.EnvSlackBotToken + ": messages Relais sends on its own initiative wait in the queue until it is set")
		return jc
	}
	jc.Sender = slackbot.NewSender(slackbot.SenderConfig{
		BotToken: cfg.SlackBotToken,
		APIURL:   cfg.SlackAPIURL,
		PostRate: cfg.SlackPostRate,
		Logger:   logger,
	})
	return jc
}
