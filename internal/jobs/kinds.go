package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// declare registers every job kind Relais runs, with its worker and, for a
// periodic one, its schedule: the one place to look for background work.
func (j *Jobs) declare(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &pruneEventsWorker{events: j.store, now: j.now, logger: j.logger})
	river.AddWorker(workers, &checkinTickWorker{ticker: j.checkins})
	// Deliveries run in their own queue, worked only with a Sender (New).
	river.AddWorker(workers, j.deliver)
	// App Home refreshes run in the delivery queue too: they need the Sender.
	j.homes = newHomeWorker(j.deliver.sender, j.now, j.logger)
	river.AddWorker(workers, j.homes)

	river.AddWorker(workers, j.digests)
	river.AddWorker(workers, &digestTickWorker{jobs: j})

	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(PruneEventsEvery),
			func() (river.JobArgs, *river.InsertOpts) { return PruneEventsArgs{}, nil },
			// Run on start: a restart or a new leader would otherwise wait a
			// full interval.
			&river.PeriodicJobOpts{ID: PruneEventsArgs{}.Kind(), RunOnStart: true}),
	}
	if j.checkins != nil {
		// What is due is read from the database on each run, so a tick
		// lost to a restart or a leader change costs at most a minute.
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(CheckinTickEvery),
			func() (river.JobArgs, *river.InsertOpts) { return CheckinTickArgs{}, nil },
			&river.PeriodicJobOpts{ID: CheckinTickArgs{}.Kind(), RunOnStart: true}))
	}
	if len(j.digestChannels) > 0 {
		// Like the check-in tick: what is due is read from the database.
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(DigestTickEvery),
			func() (river.JobArgs, *river.InsertOpts) { return DigestTickArgs{}, nil },
			&river.PeriodicJobOpts{ID: DigestTickArgs{}.Kind(), RunOnStart: true}))
	}
	return periodic
}

// PruneEventsEvery is how often processed Slack event ids are pruned.
const PruneEventsEvery = time.Hour
