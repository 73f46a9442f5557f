package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
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
// checkins writes the check-in schedules (`/pic suivi`); queueOnly says its
// messages go out only from relais serve (the console).
func newRouter(st *store.Store, cfg config.Config, logger *slog.Logger, registry *prometheus.Registry,
	checkins *checkin.Service, queueOnly bool, digests commands.DigestPublisher) *commands.Router {
	opts := commands.Options{Logger: logger, Location: cfg.Timezone, Checkins: checkins, CheckinsQueueOnly: queueOnly,
		Digests: digests}
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

// newCheckins is the check-in service on bg's delivery queue: a round's DMs
// and alerts are queued in the transaction that opens it, and the deliver
// jobs of a started bg (relais serve) post them. bg may be built after the
// service (jobs.Config.Checkins ticks it): plugCheckins completes it.
func newCheckins(st *store.Store, cfg config.Config, logger *slog.Logger) *checkin.Service {
	return &checkin.Service{Store: st, Location: cfg.Timezone, Logger: logger}
}

// plugCheckins gives svc bg's Enqueuer and an Alerter on it.
func plugCheckins(svc *checkin.Service, bg *jobs.Jobs, cfg config.Config) {
	enq := jobs.NewEnqueuer(bg)
	svc.Enqueuer, svc.Alerter = enq, delivery.NewAlerter(enq, cfg.CoordinationChannel)
}

// plugHomes keeps the App Homes that show a Table's check-in up to date:
// storing its note queues, in the note's transaction, the refresh of the
// Homes of its people and of the coordinators, which bg's jobs render with
// router and publish.
func plugHomes(svc *checkin.Service, bg *jobs.Jobs, router *commands.Router) {
	svc.OnNote = func(ctx context.Context, tx *store.Tx, orgID int64) error {
		users, err := tx.HomeAudience(ctx, orgID)
		if err != nil {
			return err
		}
		return bg.RefreshHomesTx(ctx, tx, users)
	}
	bg.RenderHomesWith(func(ctx context.Context, user string) (json.RawMessage, error) {
		view, err := router.HomeView(ctx, user)
		if err != nil {
			return nil, err
		}
		return json.Marshal(view)
	})
}

// renderers write, when they are sent, the messages queued without their
// content (delivery.Message.Render): a round's prompt DMs, and their
// updates once answered, skipped or closed.
func renderers() map[string]jobs.Renderer {
	return map[string]jobs.Renderer{
		checkin.RenderPrompt:      checkin.PromptRenderer,
		checkin.RenderPromptState: checkin.PromptStateRenderer,
		checkin.RenderReminder:    checkin.ReminderRenderer,
	}
}

// jobsConfig is the background work's configuration. With a bot token, the
// Sender delivers what Relais sends on its own initiative; without one,
// deliveries wait in their queue (they do not fail) and this says so once.
// The check-in service queues through jobs.NewEnqueuer(bg) and alerts through
// delivery.NewAlerter(jobs.NewEnqueuer(bg), cfg.CoordinationChannel).
func jobsConfig(cfg config.Config, logger *slog.Logger, registry prometheus.Registerer) jobs.Config {
	jc := jobs.Config{Logger: logger, Registerer: registry, CoordinationChannel: cfg.CoordinationChannel,
		RescueStuckAfter: cfg.JobRescueAfter, Renderers: renderers(), Timezone: cfg.Timezone,
		DigestChannels: digestChannels(cfg)}
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

// digestChannels are RELAIS_DIGEST_CHANNELS for the jobs (validated by
// config.Load).
func digestChannels(cfg config.Config) []jobs.DigestChannel {
	out := make([]jobs.DigestChannel, len(cfg.DigestChannels))
	for i, c := range cfg.DigestChannels {
		out[i] = jobs.DigestChannel{Channel: c.Channel, Language: domain.Language(c.Language), Audience: digest.Audience(c.Audience)}
	}
	return out
}
