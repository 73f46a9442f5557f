package checkin_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/store"
)

var ctx = context.Background()

var montreal = func() *time.Location {
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		panic(err)
	}
	return loc
}()

// local is a Montreal wall-clock time.
func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, montreal)
}

// recorder stands in for the real Enqueuer and Alerter (internal/jobs,
// delivery.NewAlerter): it writes nothing and remembers what it was given.
// fail makes the next calls fail, as a broken queue would.
type recorder struct {
	mu     sync.Mutex
	msgs   []delivery.Message
	alerts []delivery.Alert
	fail   error
}

func (r *recorder) EnqueueTx(ctx context.Context, tx *store.Tx, msgs ...delivery.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	if tx == nil {
		return errors.New("no transaction")
	}
	r.msgs = append(r.msgs, msgs...)
	return nil
}

func (r *recorder) RaiseTx(ctx context.Context, tx *store.Tx, a delivery.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *recorder) messages() []delivery.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery.Message(nil), r.msgs...)
}

// clock is the injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// logBuffer collects the service's logs, to check what it says it skipped.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

type fixture struct {
	st    *store.Store
	svc   *checkin.Service
	rec   *recorder
	clock *clock
	logs  *logBuffer
}

func newService(st *store.Store, at time.Time) fixture {
	f := fixture{st: st, rec: &recorder{}, clock: &clock{t: at}, logs: &logBuffer{}}
	f.svc = &checkin.Service{Store: st, Enqueuer: f.rec, Alerter: f.rec, Now: f.clock.Now, Location: montreal,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	return f
}

// firstTuesday creates the partnership's usual schedule.
func (f fixture) firstTuesday(t *testing.T) store.Schedule {
	t.Helper()
	s, err := f.svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "mensuel", Name: "Suivi mensuel",
		Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f fixture) create(t *testing.T, slug, cron string) store.Schedule {
	t.Helper()
	s, err := f.svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: slug, Name: "Suivi " + slug, Cron: cron})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f fixture) tick(t *testing.T) {
	t.Helper()
	if err := f.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
}

// keys lists a schedule's rounds' occurrence keys, oldest first.
func (f fixture) keys(t *testing.T, scheduleID int64) []string {
	t.Helper()
	var out []string
	if err := f.st.DB().Select(&out, `SELECT occurrence_key FROM checkin_rounds WHERE schedule_id = $1
		ORDER BY occurrence_key`, scheduleID); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
