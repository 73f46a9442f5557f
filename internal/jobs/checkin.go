package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
)

// CheckinTickEvery is how often the check-in schedules are looked at: rounds
// open within a minute of their time.
const CheckinTickEvery = time.Minute

// CheckinTicker opens the check-in rounds now due (*checkin.Service). It must
// be idempotent and safe to run on two replicas at once: it reads what is
// due from the database, under a row lock, never from the tick.
type CheckinTicker interface {
	Tick(ctx context.Context) error
}

// CheckinFollowUp is what a CheckinTicker may also do on each tick: close
// the rounds whose time has come and queue the reminders now due
// (*checkin.Service). Same rules as Tick: idempotent, safe on two replicas.
type CheckinFollowUp interface {
	FollowUp(ctx context.Context) error
}

// CheckinTickArgs asks to open the check-in rounds now due. It carries no
// time, so a late or repeated tick does the same thing as a timely one.
type CheckinTickArgs struct{}

// Kind names the job in river_job.
func (CheckinTickArgs) Kind() string { return "checkin_tick" }

// InsertOpts: a failed tick is not retried, the next minute's tick is the
// retry; uniqueness keeps slow ticks from piling up behind each other.
func (CheckinTickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: CheckinTickEvery}}
}

type checkinTickWorker struct {
	river.WorkerDefaults[CheckinTickArgs]
	ticker CheckinTicker // nil: no check-ins in this process
}

func (w *checkinTickWorker) Work(ctx context.Context, job *river.Job[CheckinTickArgs]) error {
	if w.ticker == nil {
		return nil
	}
	// One failing does not hold the other back: each is retried next minute.
	err := w.ticker.Tick(ctx)
	if f, ok := w.ticker.(CheckinFollowUp); ok {
		err = errors.Join(err, f.FollowUp(ctx))
	}
	return err
}
