package jobs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/pic-montreal/relais/internal/testdb"
)

func TestInsertTxRunsOnlyWhenCommitted(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ran := make(chan string, 10)
	j := started(t, st, testConfig(func(w *river.Workers) { river.AddWorker(w, &recordWorker{ran: ran}) }))
	ctx := context.Background()

	// Rolled back first, on a *sqlx.Tx: had it been inserted, it would run
	// before the committed one.
	tx := st.DB().MustBeginTx(ctx, nil)
	if _, err := j.InsertTx(ctx, tx, recordArgs{Name: "rolled back"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	sqlTx, err := st.DB().DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.InsertTx(ctx, sqlTx, recordArgs{Name: "committed"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sqlTx.Commit(); err != nil {
		t.Fatal(err)
	}

	select {
	case name := <-ran:
		if name != "committed" {
			t.Fatalf("ran %q first, want the committed job", name)
		}
	case <-time.After(waitFor):
		t.Fatal("the committed job did not run")
	}
	var rows int
	if err := st.DB().Get(&rows, `SELECT count(*) FROM river_job WHERE args->>'name' = 'rolled back'`); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("the rolled-back job left %d rows: it could still run", rows)
	}
}

// uniqueArgsJob is unique by its Key only.
type uniqueArgsJob struct {
	Key  string `json:"key" river:"unique"`
	Note string `json:"note"`
}

func (uniqueArgsJob) Kind() string { return "test_unique" }
func (uniqueArgsJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func TestInsertManyTxDedupesUniqueJobs(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	cfg := testConfig(func(w *river.Workers) {
		river.AddWorker(w, river.WorkFunc(func(context.Context, *river.Job[uniqueArgsJob]) error { return nil }))
		river.AddWorker(w, &recordWorker{ran: make(chan string, 10)})
	})
	j, err := New(st, cfg) // not started: the rows stay as inserted
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	batch := []river.InsertManyParams{
		{Args: uniqueArgsJob{Key: "a", Note: "first"}},
		{Args: uniqueArgsJob{Key: "a", Note: "same key"}}, // a duplicate: only Key is unique
		{Args: uniqueArgsJob{Key: "b"}},
		{Args: recordArgs{Name: "x"}}, // not unique: both kept
		{Args: recordArgs{Name: "x"}},
	}

	// River alone refuses the batch: that is why the helper dedupes.
	tx := st.DB().MustBeginTx(ctx, nil)
	if _, err := j.Client().InsertManyTx(ctx, tx.Tx, batch); err == nil {
		t.Log("River accepted duplicate unique jobs in one batch: the dedupe may no longer be needed")
	}
	tx.Rollback() //nolint:errcheck

	tx = st.DB().MustBeginTx(ctx, nil)
	res, err := j.InsertManyTx(ctx, tx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(batch) {
		t.Fatalf("%d results for %d jobs", len(res), len(batch))
	}
	if !res[1].UniqueSkippedAsDuplicate || res[1].Job.ID != res[0].Job.ID || res[0].UniqueSkippedAsDuplicate {
		t.Errorf("the duplicate is not reported as the first job skipped: %+v %+v", res[0], res[1])
	}
	var kinds []string
	if err := st.DB().Select(&kinds, `SELECT kind || ':' || args::text FROM river_job ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 4 || !strings.Contains(kinds[0], `"first"`) {
		t.Errorf("rows: %q, want unique a (first), b and two x", kinds)
	}

	// A job already in the table is skipped by River itself, as usual.
	tx = st.DB().MustBeginTx(ctx, nil)
	res, err = j.InsertManyTx(ctx, tx, batch[:1])
	if err != nil || !res[0].UniqueSkippedAsDuplicate {
		t.Errorf("re-inserting a stored unique job: %v %+v", err, res)
	}
	tx.Rollback() //nolint:errcheck
}

func TestPruneEventsJobForgetsOldIDsOnly(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for id, at := range map[string]time.Time{"Ev-old": now.Add(-25 * time.Hour), "Ev-new": now.Add(-23 * time.Hour)} {
		if _, err := st.MarkEventProcessed(ctx, id, "T1", "message"); err != nil {
			t.Fatal(err)
		}
		st.DB().MustExec(`UPDATE slack_events SET received_at = $2 WHERE event_id = $1`, id, at)
	}
	w := &pruneEventsWorker{events: st, now: func() time.Time { return now }, logger: quietLogger()}
	// Twice: a job run again after a crash changes nothing more.
	for range 2 {
		if err := w.Work(ctx, &river.Job[PruneEventsArgs]{}); err != nil {
			t.Fatal(err)
		}
	}
	var left []string
	if err := st.DB().Select(&left, `SELECT event_id FROM slack_events`); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "Ev-new" {
		t.Errorf("event ids left: %q, want only Ev-new", left)
	}
}

// TestPeriodicPruneRunsOnStart: the pruner is declared as a periodic job and
// the leader runs it at start, without waiting for an interval.
func TestPeriodicPruneRunsOnStart(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	ctx := context.Background()
	if _, err := st.MarkEventProcessed(ctx, "Ev-old", "T1", "message"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(nil)
	cfg.noPeriodic = false
	cfg.Now = func() time.Time { return time.Now().Add(48 * time.Hour) } // the event is two days old
	started(t, st, cfg)
	eventually(t, "the periodic pruner ran and completed", func() bool {
		var done bool
		err := st.DB().Get(&done, `SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = $1 AND state = 'completed')`, PruneEventsArgs{}.Kind())
		return err == nil && done
	})
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM slack_events`); err != nil || n != 0 {
		t.Errorf("slack_events still holds %d ids (%v)", n, err)
	}
}

type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

// blockWorker runs until released or cancelled.
type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started  chan struct{}
	release  chan struct{}
	finished atomic.Bool
}

func (w *blockWorker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	close(w.started)
	select {
	case <-w.release:
		w.finished.Store(true)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestStopWaitsForRunningJob(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T) (*Jobs, *blockWorker, int64) {
		st := testdb.New(t)
		w := &blockWorker{started: make(chan struct{}), release: make(chan struct{})}
		cfg := testConfig(func(ws *river.Workers) { river.AddWorker(ws, w) })
		j, err := New(st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		res, err := j.Client().Insert(context.Background(), blockArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-w.started:
		case <-time.After(waitFor):
			t.Fatal("the job did not start")
		}
		return j, w, res.Job.ID
	}

	t.Run("waits while its context lasts", func(t *testing.T) {
		t.Parallel()
		j, w, id := run(t)
		stopped := make(chan error, 1)
		go func() { stopped <- j.Stop(context.Background()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while the job was running", err)
		case <-time.After(100 * time.Millisecond): // a negative check: Stop must still be waiting
		}
		close(w.release)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if !w.finished.Load() {
			t.Error("Stop returned before the job finished")
		}
		if s := jobState(t, j.store, id); s != "completed" {
			t.Errorf("job state %s after Stop, want completed", s)
		}
	})

	t.Run("cancels what outlives its context", func(t *testing.T) {
		t.Parallel()
		j, w, id := run(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := j.Stop(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Stop past its deadline: %v, want context.Canceled", err)
		}
		if w.finished.Load() {
			t.Error("the job finished though it was never released")
		}
		// Handed back to be run again, not left running for the rescuer.
		if s := jobState(t, j.store, id); s == "running" {
			t.Errorf("job state %s after a cancelled Stop", s)
		}
	})
}

// TestRiverOnLibPQ keeps the combination upstream does not recommend under
// test: River v0.51.2 over riverdatabasesql on the lib/pq pool, end to end
// (insert, fetch, work, complete, snooze, retry). An upgrade of either that
// breaks it fails here.
func TestRiverOnLibPQ(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	var attempts atomic.Int32
	ran := make(chan string, 10)
	j := started(t, st, testConfig(func(w *river.Workers) {
		river.AddWorker(w, &recordWorker{ran: ran})
		river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[snoozeArgs]) error {
			if attempts.Add(1) == 1 {
				return river.JobSnooze(time.Hour)
			}
			return nil
		}))
	}))
	ctx := context.Background()
	res, err := j.Client().Insert(ctx, recordArgs{Name: "plain"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(waitFor):
		t.Fatal("the job did not run")
	}
	eventually(t, "the job is completed", func() bool { return jobState(t, st, res.Job.ID) == "completed" })

	snoozed, err := j.Client().Insert(ctx, snoozeArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snoozed job is scheduled", func() bool { return jobState(t, st, snoozed.Job.ID) == "scheduled" })
	var attempt int
	if err := st.DB().Get(&attempt, `SELECT attempt FROM river_job WHERE id = $1`, snoozed.Job.ID); err != nil {
		t.Fatal(err)
	}
	if attempt != 0 {
		t.Errorf("a snooze counted as attempt %d, want 0", attempt)
	}
}

type snoozeArgs struct{}

func (snoozeArgs) Kind() string { return "test_snooze" }

type failArgs struct{}

func (failArgs) Kind() string { return "test_fail" }

func TestMetrics(t *testing.T) {
	t.Parallel()
	st := testdb.New(t)
	reg := prometheus.NewRegistry()
	ran := make(chan string, 10)
	cfg := testConfig(func(w *river.Workers) {
		river.AddWorker(w, &recordWorker{ran: ran})
		river.AddWorker(w, river.WorkFunc(func(context.Context, *river.Job[failArgs]) error { return errors.New("no") }))
	})
	cfg.Registerer = reg
	j := started(t, st, cfg)
	ctx := context.Background()
	if _, err := j.Client().Insert(ctx, recordArgs{Name: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Client().Insert(ctx, recordArgs{Name: "now"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Client().Insert(ctx, failArgs{}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	m := newMetricsOf(t, reg)
	eventually(t, "both jobs counted", func() bool {
		return m.value("relais_jobs_finished_total", "kind=test_record,outcome=completed") == 1 &&
			m.value("relais_jobs_finished_total", "kind=test_fail,outcome=failed") == 1
	})
	if v := m.value("relais_jobs_waiting", "kind=test_record,state=scheduled"); v != 1 {
		t.Errorf("relais_jobs_waiting{kind=test_record,state=scheduled} = %v, want 1", v)
	}
	if n := m.count("relais_jobs_waiting"); n != 1 {
		t.Errorf("%d waiting series, want only the scheduled job's", n)
	}
}
