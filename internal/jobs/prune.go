package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// EventIDsKept is how long processed Slack event ids are remembered. Slack's
// last retry comes about five minutes after the first delivery, so a day is
// ample.
const EventIDsKept = 24 * time.Hour

// PruneEventsArgs asks to forget processed event ids older than EventIDsKept.
// It carries no time: what is old is computed when the job runs, so a lost or
// late tick changes nothing.
type PruneEventsArgs struct{}

// Kind names the job in river_job.
func (PruneEventsArgs) Kind() string { return "prune_slack_events" }

// InsertOpts: a failed prune is retried a few times; the next tick does the
// rest.
func (PruneEventsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// EventPruner forgets processed event ids older than a time (*store.Store).
type EventPruner interface {
	ForgetEventsBefore(ctx context.Context, t time.Time) (int64, error)
}

type pruneEventsWorker struct {
	river.WorkerDefaults[PruneEventsArgs]
	events EventPruner
	now    func() time.Time
	logger *slog.Logger
}

func (w *pruneEventsWorker) Work(ctx context.Context, job *river.Job[PruneEventsArgs]) error {
	n, err := w.events.ForgetEventsBefore(ctx, w.now().Add(-EventIDsKept))
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.Debug("jobs: pruned processed slack event ids", "count", n)
	}
	return nil
}
