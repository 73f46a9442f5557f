package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The periodic tick runs on start and opens the due round through the real
// Enqueuer and Alerter: its DMs and the alert are delivery jobs, queued with
// the round.
func TestCheckinTickOpensDueRoundsOnStart(t *testing.T) {
	st := testdb.WithFixture(t)
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, time.January, 5, 9, 0, 0, 0, loc)
	svc := &checkin.Service{Store: st, Now: func() time.Time { return at }, Location: loc, Logger: quietLogger()}
	if _, err := svc.CreateSchedule(context.Background(), "cli", checkin.ScheduleSpec{Slug: "mensuel",
		Name: "Suivi mensuel", Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(nil)
	cfg.noPeriodic = false
	cfg.Checkins = svc
	j, err := New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The service sends through the client it is ticked by: set before Start.
	enq := NewEnqueuer(j)
	svc.Enqueuer, svc.Alerter = enq, delivery.NewAlerter(enq, "")
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	count := func(q string) int {
		var n int
		if err := st.DB().Get(&n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "the tick opened the round", func() bool {
		return count(`SELECT count(*) FROM checkin_rounds`) == 1
	})
	// Two respondents' DMs and one alert (Table 3 has nobody) to the one coordinator.
	if n := count(`SELECT count(*) FROM river_job WHERE kind = 'deliver'`); n != 3 {
		t.Errorf("%d deliver jobs, want 3", n)
	}
	if n := count(`SELECT count(*) FROM deliveries WHERE kind = 'prompt'`); n != 2 {
		t.Errorf("%d prompt deliveries, want 2", n)
	}
	eventually(t, "the tick job completed", func() bool {
		return count(`SELECT count(*) FROM river_job WHERE kind = 'checkin_tick' AND state = 'completed'`) >= 1
	})
}
