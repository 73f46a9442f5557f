package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// countingQueue stands in for the Enqueuer and Alerter: it counts, and writes nothing.
type countingQueue struct{ msgs, alerts int }

func (q *countingQueue) EnqueueTx(_ context.Context, _ *store.Tx, msgs ...delivery.Message) error {
	q.msgs += len(msgs)
	return nil
}

func (q *countingQueue) RaiseTx(context.Context, *store.Tx, delivery.Alert) error {
	q.alerts++
	return nil
}

func TestDemoSchedule(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, st); err != nil {
		t.Fatal(err)
	}
	s, err := st.ScheduleBySlug(ctx, "suivi-mensuel")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Suivi mensuel — premier mardi du mois, 9 h" || s.CronSpec != "0 9 * * *" ||
		s.TimeZone != "America/Montreal" || s.NthWeekday == nil || *s.NthWeekday != 1 || *s.Weekday != 2 ||
		!s.AudienceAll || len(s.Questions) != 3 || !s.Active {
		t.Fatalf("demo schedule %+v", s)
	}
	// Its first Tuesday asks every demo Table; those without a respondent are alerted.
	loc, _ := time.LoadLocation("America/Montreal")
	q := &countingQueue{}
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: q, Location: loc,
		Now: func() time.Time { return time.Date(2027, time.January, 5, 9, 0, 0, 0, loc) }}
	// The schedule counts from its creation, now: move that back to before the occurrence.
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_schedules SET created_at = '2026-01-01' WHERE id = $1`, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := st.LatestRound(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, tables, err := st.RoundStatus(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	respondents := get[int](t, st, `SELECT count(*) FROM people p JOIN organisations o ON o.id = p.organisation_id
		WHERE o.kind = 'table_de_quartier' AND p.answers_checkins AND p.active`)
	alone := get[int](t, st, `SELECT count(*) FROM organisations o WHERE o.kind = 'table_de_quartier'
		AND NOT EXISTS (SELECT 1 FROM people p WHERE p.organisation_id = o.id AND p.answers_checkins AND p.active)`)
	if c.Pending != 17 || len(tables) != 17 || q.msgs != respondents || q.alerts != alone {
		t.Errorf("round: %+v over %d Tables, %d messages, %d alerts; %d respondents, %d Tables without",
			c, len(tables), q.msgs, q.alerts, respondents, alone)
	}
}
