package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// declare registers every job kind Relais runs, with its worker and, for a
// periodic one, its schedule: the one place to look for background work.
func (j *Jobs) declare(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &pruneEventsWorker{events: j.store, now: j.now, logger: j.logger})
	// Deliveries run in their own queue, worked only with a Sender (New).
	river.AddWorker(workers, j.deliver)

	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(PruneEventsEvery),
			func() (river.JobArgs, *river.InsertOpts) { return PruneEventsArgs{}, nil },
			// Run on start: a restart or a new leader would otherwise wait a
			// full interval.
			&river.PeriodicJobOpts{ID: PruneEventsArgs{}.Kind(), RunOnStart: true}),
	}
}

// PruneEventsEvery is how often processed Slack event ids are pruned.
const PruneEventsEvery = time.Hour
