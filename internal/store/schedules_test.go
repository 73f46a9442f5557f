package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

func scheduleInput(slug string) store.ScheduleInput {
	nth, wd := 1, 2
	return store.ScheduleInput{
		Slug: slug, Name: "Suivi " + slug, CronSpec: "0 9 * * *", TimeZone: "America/Montreal",
		Questions:  store.Questions{{Key: "moved", FR: "Qu'est-ce qui a avancé ?", EN: "What moved forward?"}},
		NthWeekday: &nth, Weekday: &wd, AudienceAll: true, ReminderWorkingDays: []int{2, 5},
		CloseWorkingDays: 10, CloseHour: 17, Active: true,
	}
}

func TestScheduleCreateGetUpdateList(t *testing.T) {
	st := testdb.WithFixture(t)
	actor := store.Actor("cli")
	id, err := st.CreateSchedule(ctx, actor, scheduleInput("mensuel"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.ScheduleBySlug(ctx, "mensuel")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != id || s.CronSpec != "0 9 * * *" || *s.NthWeekday != 1 || *s.Weekday != 2 || !s.AudienceAll ||
		len(s.Questions) != 1 || s.Questions[0].FR != "Qu'est-ce qui a avancé ?" || s.LastOccurrence != nil ||
		len(s.ReminderWorkingDays) != 2 || s.ReminderWorkingDays[1] != 5 || s.CloseHour != 17 {
		t.Fatalf("read back %+v", s)
	}
	if _, err := st.CreateSchedule(ctx, actor, scheduleInput("mensuel")); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("same slug twice: %v, want ErrConflict", err)
	}

	in := scheduleInput("mensuel")
	in.Name, in.AudienceAll, in.Audience, in.NthWeekday, in.Weekday = "Renommé", false, []int64{1, 3}, nil, nil
	if err := st.UpdateSchedule(ctx, actor, id, in); err != nil {
		t.Fatal(err)
	}
	s, err = st.ScheduleByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Renommé" || s.AudienceAll || len(s.Audience) != 2 || s.Audience[0] != 1 || s.Audience[1] != 3 ||
		s.NthWeekday != nil {
		t.Fatalf("after update %+v", s)
	}
	// A funder is no Table: the audience refuses it, and the update leaves nothing half-written.
	in.Audience = []int64{1, 4}
	if err := st.UpdateSchedule(ctx, actor, id, in); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("funder in audience: %v, want ErrInvalid", err)
	}
	if s, _ := st.ScheduleByID(ctx, id); len(s.Audience) != 2 || s.Audience[1] != 3 {
		t.Errorf("refused update changed the audience: %v", s.Audience)
	}
	if err := st.UpdateSchedule(ctx, actor, 999, in); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("update of a missing schedule: %v", err)
	}

	if _, err := st.CreateSchedule(ctx, actor, scheduleInput("autre")); err != nil {
		t.Fatal(err)
	}
	if err := st.SetScheduleActive(ctx, actor, id, false); err != nil {
		t.Fatal(err)
	}
	all, err := st.ListSchedules(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "Renommé" || all[1].Name != "Suivi autre" {
		t.Fatalf("list %+v, %v", all, err)
	}
	active, err := st.ActiveScheduleIDs(ctx)
	if err != nil || len(active) != 1 || active[0] == id {
		t.Errorf("active ids %v, %v; the paused %d must not be there", active, err, id)
	}
	if err := st.SetLastOccurrence(ctx, store.Actor("system:checkin"), id, "2027-01-05T09:00 America/Montreal"); err != nil {
		t.Fatal(err)
	}
	var actors []string
	if err := st.DB().Select(&actors, `SELECT DISTINCT actor FROM audit_log
		WHERE entity IN ('checkin_schedules', 'checkin_schedule_audience') ORDER BY actor`); err != nil {
		t.Fatal(err)
	}
	if len(actors) != 2 || actors[0] != "cli" || actors[1] != "system:checkin" {
		t.Errorf("audited actors %v", actors)
	}
}

func TestEnsureScheduleLeavesAnExistingOne(t *testing.T) {
	st := testdb.New(t)
	created, err := st.EnsureSchedule(ctx, "seed", scheduleInput("demo"))
	if err != nil || !created {
		t.Fatalf("first: %v, %v", created, err)
	}
	in := scheduleInput("demo")
	in.Name = "autre nom"
	created, err = st.EnsureSchedule(ctx, "seed", in)
	if err != nil || created {
		t.Fatalf("second: %v, %v", created, err)
	}
	if s, _ := st.ScheduleBySlug(ctx, "demo"); s.Name != "Suivi demo" {
		t.Errorf("existing schedule rewritten: %q", s.Name)
	}
}

func TestPauses(t *testing.T) {
	st := testdb.New(t)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	id, err := st.CreatePause(ctx, "cli", day("2027-07-01"), day("2027-08-31"), "été")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePause(ctx, "cli", day("2027-08-31"), day("2027-07-01"), ""); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("end before start: %v", err)
	}
	ps, err := st.ListPauses(ctx)
	if err != nil || len(ps) != 1 || !ps[0].From.Equal(day("2027-07-01")) || !ps[0].To.Equal(day("2027-08-31")) ||
		ps[0].Reason != "été" {
		t.Fatalf("pauses %+v, %v", ps, err)
	}
	if err := st.DeletePause(ctx, "cli", id); err != nil {
		t.Fatal(err)
	}
	if err := st.DeletePause(ctx, "cli", id); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestLockScheduleNeedsATransaction(t *testing.T) {
	st := testdb.New(t)
	id, err := st.CreateSchedule(ctx, "cli", scheduleInput("s"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LockSchedule(ctx, id); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("lock on the pool: %v", err)
	}
	err = st.InTx(ctx, "system:checkin", func(tx *store.Tx) error {
		s, err := tx.LockSchedule(ctx, id)
		if err != nil || s.Slug != "s" {
			t.Errorf("lock: %+v, %v", s, err)
		}
		// Another session cannot take the row while it is held.
		_, err = st.DB().Exec(`SELECT 1 FROM checkin_schedules WHERE id = $1 FOR UPDATE NOWAIT`, id)
		if err == nil {
			t.Error("row not locked")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
