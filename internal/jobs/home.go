package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
)

// Home refreshes.
const (
	// HomeRefreshWindow gathers the refreshes of one user's App Home: every
	// note stored within one window publishes it once, at the window's end.
	HomeRefreshWindow = 3 * time.Second
	// homeRefreshAttempts bounds the attempts of one refresh (429s, which
	// snooze, do not count): an App Home a few minutes stale is no loss.
	homeRefreshAttempts = 5
)

// HomeRenderer writes a Slack user's App Home as it must read now: the
// view's JSON (views.publish's view). relais serve registers the command
// router's; any error is retried.
type HomeRenderer func(ctx context.Context, slackUserID string) (json.RawMessage, error)

// HomePublisher publishes an App Home (*slackbot.Sender). Its errors are
// slackbot's: RateLimited, Refused, Uncertain, NotSent, Permanent.
type HomePublisher interface {
	PublishHome(ctx context.Context, user string, view json.RawMessage) error
}

// RefreshHomeArgs republishes one user's App Home. What it shows is read
// when the job runs, so one job per user and window (River's unique jobs,
// on User and the window the job is scheduled at) shows every note of the
// window.
type RefreshHomeArgs struct {
	User string `json:"user" river:"unique"`
}

// Kind names the job in river_job.
func (RefreshHomeArgs) Kind() string { return "refresh_home" }

// InsertOpts: in the delivery queue, worked only with a bot token.
func (RefreshHomeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeliveryQueue, MaxAttempts: homeRefreshAttempts}
}

// homeWorker publishes App Homes with the renderer registered at wiring.
type homeWorker struct {
	river.WorkerDefaults[RefreshHomeArgs]
	publisher HomePublisher // nil: the Sender cannot publish
	render    atomic.Pointer[HomeRenderer]
	window    time.Duration
	now       func() time.Time
	logger    *slog.Logger
}

// RenderHomesWith registers how App Homes are written. Until it is called,
// and without a Sender, refreshes wait in their queue.
func (j *Jobs) RenderHomesWith(render HomeRenderer) { j.homes.render.Store(&render) }

// RefreshHomesTx queues, in the caller's transaction, the republishing of
// users' App Homes at the end of the current window: a refresh already
// queued for the window stands for this one.
func (j *Jobs) RefreshHomesTx(ctx context.Context, tx *store.Tx, users []string) error {
	if len(users) == 0 {
		return nil
	}
	at := j.now().Truncate(j.homes.window).Add(j.homes.window)
	params := make([]river.InsertManyParams, len(users))
	for i, u := range users {
		params[i] = river.InsertManyParams{Args: RefreshHomeArgs{User: u}, InsertOpts: &river.InsertOpts{
			Queue: DeliveryQueue, MaxAttempts: homeRefreshAttempts, ScheduledAt: at,
			UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: j.homes.window}}}
	}
	if _, err := j.InsertManyTx(ctx, tx.SQL(), params); err != nil {
		return fmt.Errorf("queue home refreshes: %w", err)
	}
	return nil
}

// Work renders the Home and publishes it. A 429 snoozes for Retry-After;
// a refusal (the user is gone, the app not installed for them) ends it,
// since a later note queues another.
func (w *homeWorker) Work(ctx context.Context, job *river.Job[RefreshHomeArgs]) error {
	render := w.render.Load()
	if render == nil || w.publisher == nil {
		return errors.New("refresh home: no renderer or publisher registered")
	}
	view, err := (*render)(ctx, job.Args.User)
	if err != nil {
		return fmt.Errorf("render home of %s: %w", job.Args.User, err)
	}
	err = w.publisher.PublishHome(ctx, job.Args.User, view)
	var limited *slackbot.RateLimitedError
	var refused *slackbot.RefusedError
	var permanent *slackbot.PermanentError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &limited):
		return river.JobSnooze(limited.RetryAfter)
	case errors.As(err, &refused), errors.As(err, &permanent):
		w.logger.Warn("home refresh: Slack will not publish the Home", "user", job.Args.User, "error", err)
		return nil
	}
	return fmt.Errorf("publish home of %s: %w", job.Args.User, err)
}

// NextRetry: a few seconds, then a minute.
func (w *homeWorker) NextRetry(job *river.Job[RefreshHomeArgs]) time.Time {
	return w.now().Add(min(time.Duration(job.Attempt*job.Attempt)*2*time.Second, time.Minute))
}

func newHomeWorker(sender Sender, now func() time.Time, logger *slog.Logger) *homeWorker {
	pub, _ := sender.(HomePublisher)
	return &homeWorker{publisher: pub, window: HomeRefreshWindow, now: now, logger: logger}
}
