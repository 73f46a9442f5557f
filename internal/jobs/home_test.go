package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
)

// homeRenders renders each user's Home with how many times it was
// rendered, so a test sees which render was published.
type homeRenders struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *homeRenders) render(_ context.Context, user string) (json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[user]++
	return json.RawMessage(fmt.Sprintf(`{"type":"home","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Home of %s, render %d"}}]}`,
		user, h.n[user])), nil
}

func (e *deliveryEnv) refreshHomes(j *Jobs, users ...string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.InTx(ctx, "system:test", func(tx *store.Tx) error { return j.RefreshHomesTx(ctx, tx, users) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *deliveryEnv) homesSettled() {
	e.t.Helper()
	eventually(e.t, "every home refresh finished", func() bool {
		var n int
		err := e.st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'refresh_home'
			AND state NOT IN ('completed', 'cancelled', 'discarded')`)
		return err == nil && n == 0
	})
}

func (e *deliveryEnv) publishes(user string, status int) int {
	n := 0
	for _, c := range e.fake.Calls("views.publish") {
		if c.Param("user_id") == user && c.Status == status {
			n++
		}
	}
	return n
}

// homeClock is a settable clock for the refresh windows: a test moves it
// rather than wait for real time.
type homeClock struct{ now atomic.Pointer[time.Time] }

func (c *homeClock) Now() time.Time  { return *c.now.Load() }
func (c *homeClock) Set(t time.Time) { c.now.Store(&t) }

// rateLimitedAt wraps a Sender and records, on the real clock River snoozes
// by, when a publish came back rate limited.
type rateLimitedAt struct {
	*slackbot.Sender
	mu sync.Mutex
	at []time.Time
}

func (s *rateLimitedAt) PublishHome(ctx context.Context, user string, view json.RawMessage) error {
	err := s.Sender.PublishHome(ctx, user, view)
	var limited *slackbot.RateLimitedError
	if errors.As(err, &limited) {
		s.mu.Lock()
		s.at = append(s.at, time.Now())
		s.mu.Unlock()
	}
	return err
}

func (s *rateLimitedAt) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.at)
}

// refreshJob is a refresh_home row as River keeps it.
type refreshJob struct {
	ID          int64     `db:"id"`
	User        string    `db:"user"`
	ScheduledAt time.Time `db:"scheduled_at"`
	Snoozes     int       `db:"snoozes"`
}

func (e *deliveryEnv) refreshJobs() []refreshJob {
	e.t.Helper()
	var out []refreshJob
	if err := e.st.DB().Select(&out, `SELECT id, args->>'user' AS user, scheduled_at,
			coalesce((metadata->>'snoozes')::int, 0) AS snoozes
		FROM river_job WHERE kind = 'refresh_home' ORDER BY id`); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// A refresh answered 429 is snoozed for Retry-After (Slack's fake says 1 s),
// then publishes the Home. The test reads the snoozed job's scheduled_at,
// then makes it due at once instead of waiting for the real second.
func TestRefreshHomeWaitsOutARateLimit(t *testing.T) {
	e := newDeliveryEnv(t)
	sender := &rateLimitedAt{Sender: e.unpaced()}
	j, _ := e.process(e.st, sender, nil)
	h := &homeRenders{n: map[string]int{}}
	j.RenderHomesWith(h.render)
	e.fake.FailNext("views.publish", 1, http.StatusTooManyRequests)
	e.refreshHomes(j, "U0001")
	var snoozed refreshJob
	eventually(t, "the refresh snoozed", func() bool {
		jobs := e.refreshJobs()
		if len(jobs) == 1 && jobs[0].Snoozes == 1 {
			snoozed = jobs[0]
			return true
		}
		return false
	})
	limited := sender.times()
	if len(limited) != 1 {
		t.Fatalf("%d publishes came back rate limited, want 1", len(limited))
	}
	// River snoozes from its own clock, just after the 429 came back.
	if wait := snoozed.ScheduledAt.Sub(limited[0]); wait < time.Second || wait > time.Second+30*time.Second {
		t.Errorf("snoozed until %s after the 429, want its Retry-After (1s)", wait)
	}
	if _, err := e.st.DB().Exec(`UPDATE river_job SET scheduled_at = now()
		WHERE id = $1 AND state IN ('available', 'scheduled')`, snoozed.ID); err != nil {
		t.Fatal(err)
	}
	e.homesSettled()
	if got := e.publishes("U0001", http.StatusTooManyRequests); got != 1 {
		t.Errorf("%d publishes answered 429, want 1", got)
	}
	if got := e.publishes("U0001", http.StatusOK); got != 1 {
		t.Errorf("%d publishes went through, want 1", got)
	}
	home, ok := e.fake.HomeOf("U0001")
	if !ok || !strings.Contains(home.Shows(), "Home of U0001, render 2") {
		t.Errorf("published home: %v %s", ok, home.Shows())
	}
}

// A burst of notes within a window queues one refresh per user, due at the
// window's end, and so publishes each Home once, showing what is true when
// it runs; a note in the next window queues and publishes again. The
// window is driven by the injected clock: the notes are queued by a
// process that does not work the delivery queue, and a second process
// publishes them.
func TestRefreshHomeOncePerUserAndWindow(t *testing.T) {
	e := newDeliveryEnv(t)
	const window = 3 * time.Second
	clock := &homeClock{}
	// Just after a window starts; every time set below is in the past of
	// the real clock, so a queued refresh is due as soon as it is worked.
	start := fakeEpoch.Truncate(window).Add(10 * time.Millisecond)
	end := start.Truncate(window).Add(window)
	clock.Set(start)
	queuer, err := New(e.st, Config{Logger: quietLogger(), Now: clock.Now}) // no Sender: queues only
	if err != nil {
		t.Fatal(err)
	}
	queuer.homes.window = window
	for i := range 5 {
		e.refreshHomes(queuer, "U0001", "U0002")
		clock.Set(start.Add(time.Duration(i) * window / 5)) // on through the window
	}
	clock.Set(end.Add(-time.Nanosecond)) // the window's last instant
	e.refreshHomes(queuer, "U0001")
	jobs := e.refreshJobs()
	if len(jobs) != 2 {
		t.Fatalf("%d refresh jobs queued for a burst, want one per user: %+v", len(jobs), jobs)
	}
	for _, job := range jobs {
		if !job.ScheduledAt.Equal(end) {
			t.Errorf("%s's refresh due at %s, want the window's end %s", job.User, job.ScheduledAt, end)
		}
	}

	j, _ := e.process(e.st, e.unpaced(), func(c *Config) { c.Now = clock.Now })
	h := &homeRenders{n: map[string]int{}}
	j.RenderHomesWith(h.render)
	j.homes.window = window
	e.homesSettled()
	for _, u := range []string{"U0001", "U0002"} {
		if got := e.publishes(u, http.StatusOK); got != 1 {
			t.Errorf("%s's Home published %d times for a burst, want once", u, got)
		}
	}
	// The window's end starts the next one: a note then publishes again.
	clock.Set(end)
	e.refreshHomes(j, "U0001")
	if jobs := e.refreshJobs(); len(jobs) != 3 || !jobs[2].ScheduledAt.Equal(end.Add(window)) {
		t.Errorf("refresh jobs %+v, want a third, due at %s", jobs, end.Add(window))
	}
	e.homesSettled()
	if got := e.publishes("U0001", http.StatusOK); got != 2 {
		t.Errorf("U0001's Home published %d times after a second note, want 2", got)
	}
	if home, _ := e.fake.HomeOf("U0001"); !strings.Contains(home.Shows(), "render 2") {
		t.Errorf("the Home is not the latest render: %s", home.Shows())
	}
}
