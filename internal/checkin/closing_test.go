package checkin_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/store"
)

// Closing records what became of each Table's prompt and queues an update
// of every posted DM, reminders included; closing again changes nothing.
func TestCloseDueClosesOnceAndUpdatesEveryPostedDM(t *testing.T) {
	r := newRemindRound(t)
	// A third Table de quartier (Verdun) has nobody: its prompt has no DM.
	r.remindAt(t, local(2027, time.January, 7, 9, 0))
	// USM's and UCDN's reminders were posted, USM2's not yet.
	for _, u := range []string{"USM", "UCDN"} {
		if ok, err := r.st.MarkReminderPosted(ctx, checkin.ReminderKey(r.prompts[u], u, 1), "D"+u, "1767100000.00000"+u[1:2],
			local(2027, time.January, 7, 9, 1)); err != nil || !ok {
			t.Fatalf("mark %s's reminder posted: %v, %v", u, ok, err)
		}
	}
	exec(t, r.st, `UPDATE checkin_prompts SET status = 'nothing_to_report' WHERE id = $1`, r.prompts["USM"])

	r.clock.Set(local(2027, time.January, 19, 16, 59))
	if closed, err := r.svc.CloseDue(ctx); err != nil || len(closed) != 0 {
		t.Fatalf("a minute early: %+v, %v", closed, err)
	}
	r.rec.msgs = nil
	r.clock.Set(local(2027, time.January, 19, 17, 0))
	closed, err := r.svc.CloseDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.PromptCounts{NothingToReport: 1, Expired: 2}
	if len(closed) != 1 || closed[0].RoundID != r.round.ID || closed[0].Counts != want || closed[0].Updates != 5 {
		t.Fatalf("closed %+v, want round %d with %+v and 5 DM updates (3 prompts, 2 reminders)", closed, r.round.ID, want)
	}
	round, err := r.st.RoundByID(ctx, r.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if round.Status != "closed" || round.ClosedAt == nil || !round.ClosedAt.Equal(local(2027, time.January, 19, 17, 0)) {
		t.Errorf("round %+v, want closed at 17:00", round)
	}
	var statuses []string
	if err := r.st.DB().Select(&statuses, `SELECT o.slug || '=' || p.status FROM checkin_prompts p
		JOIN organisations o ON o.id = p.organisation_id WHERE p.round_id = $1 ORDER BY o.slug`, r.round.ID); err != nil {
		t.Fatal(err)
	}
	if want := []string{"table-cdn=expired", "table-saint-michel=nothing_to_report", "table-verdun=expired"}; !slices.Equal(statuses, want) {
		t.Errorf("prompts %v, want %v", statuses, want)
	}

	msgs := r.rec.messages()
	var targets []string
	for _, m := range msgs {
		if m.Kind != checkin.KindPromptUpdate || m.UpdateTS == "" || !strings.HasPrefix(m.Render, "checkin.") {
			t.Errorf("update %+v", m)
		}
		if err := m.Check(); err != nil {
			t.Error(err)
		}
		targets = append(targets, m.To+"/"+m.UpdateTS)
	}
	slices.Sort(targets)
	wantTargets := []string{
		"DUCDN/" + fmt.Sprintf("1767000000.%06d", r.recips["UCDN"]), "DUCDN/1767100000.00000C",
		"DUSM/" + fmt.Sprintf("1767000000.%06d", r.recips["USM"]), "DUSM/1767100000.00000S",
		"DUSM2/" + fmt.Sprintf("1767000000.%06d", r.recips["USM2"]),
	}
	slices.Sort(wantTargets)
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("updates of %v, want %v", targets, wantTargets)
	}
	// No reminder after closing.
	if got := r.remindAt(t, local(2027, time.January, 19, 17, 1)); len(got) != 0 {
		t.Errorf("reminders after closing: %v", keysOf(got))
	}

	// Again, later: nothing.
	r.rec.msgs = nil
	r.clock.Set(local(2027, time.January, 20, 9, 0))
	if closed, err := r.svc.CloseDue(ctx); err != nil || len(closed) != 0 || len(r.rec.messages()) != 0 {
		t.Errorf("closing again: %+v, %v, %d messages", closed, err, len(r.rec.messages()))
	}
	if !strings.Contains(r.logs.String(), "check-in round closed") || !strings.Contains(r.logs.String(), "not_answered=2") {
		t.Errorf("logs %s: want the closing's summary", r.logs)
	}
}

// Two replicas closing at once close the round once.
func TestCloseDueFromTwoReplicasAtOnce(t *testing.T) {
	r := newRemindRound(t)
	other := &checkin.Service{Store: r.st, Enqueuer: r.rec, Alerter: r.rec, Now: r.clock.Now, Location: montreal,
		Logger: r.svc.Logger}
	r.clock.Set(local(2027, time.January, 19, 17, 0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []checkin.Closed
	errs := make([]error, 6)
	for i := range errs {
		svc := r.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() {
			c, err := svc.CloseDue(ctx)
			errs[i] = err
			mu.Lock()
			all = append(all, c...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(r.rec.messages()) != 3 {
		t.Errorf("closed %+v with %d updates, want once with 3", all, len(r.rec.messages()))
	}
}

// FollowUp (what the periodic job runs after Tick) closes and reminds.
func TestFollowUpClosesThenReminds(t *testing.T) {
	r := newRemindRound(t)
	r.clock.Set(local(2027, time.January, 7, 9, 0))
	if err := r.svc.FollowUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(r.rec.messages()); n != 3 {
		t.Errorf("%d reminders, want 3", n)
	}
	r.clock.Set(local(2027, time.January, 19, 17, 0))
	if err := r.svc.FollowUp(ctx); err != nil {
		t.Fatal(err)
	}
	if round, err := r.st.RoundByID(ctx, r.round.ID); err != nil || round.Status != "closed" {
		t.Errorf("round %+v, %v: want closed", round, err)
	}
}
