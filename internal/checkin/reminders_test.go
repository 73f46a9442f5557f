package checkin_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// remindRound is the fixture's first-Tuesday round of January 2027, opened
// on Tuesday January 5 at 9:00 with the default reminders (2 and 5 working
// days: Thursday the 7th and Tuesday the 12th at 9:00) and closing (10
// working days: the 19th at 17:00). Table 1 has a second respondent, USM2.
// Every prompt DM is marked posted, as the deliver worker would.
type remindRound struct {
	fixture
	schedule store.Schedule
	round    store.Round
	prompts  map[string]int64 // Slack user → prompt id
	recips   map[string]int64 // Slack user → checkin_recipients id
}

func newRemindRound(t *testing.T) remindRound {
	t.Helper()
	st := testdb.WithFixture(t)
	exec(t, st, `INSERT INTO people (slack_user_id, display_name, organisation_id, role, answers_checkins)
		VALUES ('USM2', 'Deuxième membre', 1, 'table_member', true)`)
	f := newService(st, local(2027, time.January, 5, 9, 0))
	r := remindRound{fixture: f, schedule: f.firstTuesday(t), prompts: map[string]int64{}, recips: map[string]int64{}}
	f.tick(t)
	var err error
	if r.round, err = st.LatestRound(ctx, r.schedule.ID); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		User      string `db:"slack_user_id"`
		Prompt    int64  `db:"prompt_id"`
		Recipient int64  `db:"id"`
	}
	if err := st.DB().Select(&rows, `SELECT p.slack_user_id, r.prompt_id, r.id FROM checkin_recipients r
		JOIN people p ON p.id = r.person_id`); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		r.prompts[row.User], r.recips[row.User] = row.Prompt, row.Recipient
		exec(t, st, `UPDATE checkin_recipients SET state = 'sent', channel_id = $2, message_ts = $3, sent_at = now()
			WHERE id = $1`, row.Recipient, "D"+row.User, fmt.Sprintf("1767000000.%06d", row.Recipient))
	}
	if len(rows) != 3 {
		t.Fatalf("%d recipients, want USM, USM2 and UCDN", len(rows))
	}
	r.rec.msgs = nil // the prompts
	return r
}

func exec(t *testing.T, st *store.Store, query string, args ...any) {
	t.Helper()
	if _, err := st.DB().Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// remindAt runs Remind at a Montreal time and returns the messages it queued.
func (r remindRound) remindAt(t *testing.T, at time.Time) []delivery.Message {
	t.Helper()
	before := len(r.rec.messages())
	r.clock.Set(at)
	if _, err := r.svc.Remind(ctx); err != nil {
		t.Fatal(err)
	}
	return r.rec.messages()[before:]
}

// keysOf lists the messages' keys, sorted.
func keysOf(msgs []delivery.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	slices.Sort(out)
	return out
}

func (r remindRound) keys(n int, users ...string) []string {
	var out []string
	for _, u := range users {
		out = append(out, checkin.ReminderKey(r.prompts[u], u, n))
	}
	slices.Sort(out)
	return out
}

func TestRemindersAtTheirWorkingDaysOnlyToTheSilent(t *testing.T) {
	r := newRemindRound(t)
	if got := r.remindAt(t, local(2027, time.January, 7, 8, 59)); len(got) != 0 {
		t.Fatalf("a minute early: %v", keysOf(got))
	}
	first := r.remindAt(t, local(2027, time.January, 7, 9, 0))
	if want := r.keys(1, "USM", "USM2", "UCDN"); !slices.Equal(keysOf(first), want) {
		t.Fatalf("first reminders %v, want %v", keysOf(first), want)
	}
	for _, m := range first {
		// No Fallback, though Saint-Michel has a channel: a refused reminder
		// is given up, not posted there once per respondent.
		want := delivery.Message{Key: m.Key, Kind: checkin.KindReminder, To: m.To, Render: checkin.RenderReminder,
			RecipientID: r.recips[m.To]}
		if !reflect.DeepEqual(m, want) {
			t.Errorf("reminder %+v, want %+v", m, want)
		}
		if err := m.Check(); err != nil {
			t.Error(err)
		}
	}
	// The same minute again, an hour later, the next day: the first reminder is sent.
	for _, at := range []time.Time{local(2027, time.January, 7, 9, 0), local(2027, time.January, 7, 10, 0),
		local(2027, time.January, 8, 9, 0)} {
		if got := r.remindAt(t, at); len(got) != 0 {
			t.Errorf("at %s: %v again", at, keysOf(got))
		}
	}
	// Saint-Michel answers; UCDN goes away until the 12th (included).
	exec(t, r.st, `UPDATE checkin_prompts SET status = 'answered', answered_at = now() WHERE id = $1`, r.prompts["USM"])
	exec(t, r.st, `UPDATE people SET away_until = '2027-01-12' WHERE slack_user_id = 'UCDN'`)
	if got := r.remindAt(t, local(2027, time.January, 12, 9, 0)); len(got) != 0 {
		t.Errorf("second reminders %v: Saint-Michel answered and UCDN is away", keysOf(got))
	}
	// Back on the 13th: the second reminder, which is still the latest due.
	if got, want := keysOf(r.remindAt(t, local(2027, time.January, 13, 9, 0))), r.keys(2, "UCDN"); !slices.Equal(got, want) {
		t.Errorf("on the 13th: %v, want %v", got, want)
	}
	// At most the configured number: nothing more until the round closes.
	if got := r.remindAt(t, local(2027, time.January, 19, 16, 59)); len(got) != 0 {
		t.Errorf("a third reminder: %v", keysOf(got))
	}
	var reminders []store.Reminder
	reminders, err := r.st.RemindersOfRound(ctx, r.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reminders) != 4 {
		t.Fatalf("%d reminders recorded, want 4: %+v", len(reminders), reminders)
	}
	for _, rm := range reminders {
		wantDue := local(2027, time.January, 7, 9, 0)
		if rm.N == 2 {
			wantDue = local(2027, time.January, 12, 9, 0)
		}
		if !rm.DueAt.Equal(wantDue) || rm.ChannelID != "" || rm.SentAt != nil {
			t.Errorf("reminder %+v: want due %s, not posted yet", rm, wantDue)
		}
	}
	if n := count(t, r.st, `SELECT count(*) FROM audit_log WHERE entity = 'checkin_reminders' AND action = 'bulk'`); n != 2 {
		t.Errorf("%d bulk audit rows for the reminders, want one per batch (2)", n)
	}
}

func TestRemindersSkipWhoCannotOrNeedNotAnswer(t *testing.T) {
	for _, c := range []struct {
		name, spoil string
		want        []string // who gets the first reminder
	}{
		{"skipped", `UPDATE checkin_prompts SET status = 'skipped' FROM people p
			WHERE p.slack_user_id = 'UCDN' AND checkin_prompts.organisation_id = p.organisation_id`, []string{"USM", "USM2"}},
		{"nothing to report", `UPDATE checkin_prompts SET status = 'nothing_to_report' FROM people p
			WHERE p.slack_user_id = 'UCDN' AND checkin_prompts.organisation_id = p.organisation_id`, []string{"USM", "USM2"}},
		{"inactive", `UPDATE people SET active = false WHERE slack_user_id = 'USM2'`, []string{"USM", "UCDN"}},
		{"moved to another Table", `UPDATE people SET organisation_id = 3 WHERE slack_user_id = 'USM2'`, []string{"USM", "UCDN"}},
		{"no longer answers", `UPDATE people SET answers_checkins = false WHERE slack_user_id = 'USM'`, []string{"USM2", "UCDN"}},
		{"away today", `UPDATE people SET away_until = '2027-01-07' WHERE slack_user_id = 'USM'`, []string{"USM2", "UCDN"}},
		{"back yesterday", `UPDATE people SET away_until = '2027-01-06' WHERE slack_user_id = 'USM'`, []string{"USM", "USM2", "UCDN"}},
		{"prompt never reached them", `UPDATE checkin_recipients SET state = 'unreachable' FROM people p
			WHERE p.id = person_id AND p.slack_user_id = 'UCDN'`, []string{"USM", "USM2"}},
		// Their DMs refused, both prompts went to Saint-Michel's channel:
		// reminding would post the same reminder there twice.
		{"prompt posted in the Table's channel", `UPDATE checkin_recipients SET state = 'fallback', channel_id = 'C0SM'
			FROM people p WHERE p.id = person_id AND p.slack_user_id IN ('USM', 'USM2')`, []string{"UCDN"}},
		{"paused schedule", `UPDATE checkin_schedules SET active = false`, nil},
		{"no reminders configured", `UPDATE checkin_schedules SET reminder_working_days = '{}'`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRemindRound(t)
			exec(t, r.st, c.spoil)
			if got, want := keysOf(r.remindAt(t, local(2027, time.January, 7, 9, 0))), r.keys(1, c.want...); !slices.Equal(got, want) {
				t.Errorf("reminders %v, want %v", got, want)
			}
		})
	}
}

// After days down, the tick sends the latest reminder due, once, and never
// on a quiet day.
func TestRemindersAfterDowntimeSendOnlyTheLatest(t *testing.T) {
	r := newRemindRound(t)
	// Saturday the 9th: the first reminder is due since Thursday, but not today.
	if got := r.remindAt(t, local(2027, time.January, 9, 10, 0)); len(got) != 0 {
		t.Errorf("on a Saturday: %v", keysOf(got))
	}
	// Back on Wednesday the 13th: the second, not the first, and not both.
	if got, want := keysOf(r.remindAt(t, local(2027, time.January, 13, 11, 0))), r.keys(2, "USM", "USM2", "UCDN"); !slices.Equal(got, want) {
		t.Errorf("after the downtime: %v, want %v", got, want)
	}
	if got := r.remindAt(t, local(2027, time.January, 14, 9, 0)); len(got) != 0 {
		t.Errorf("the day after: %v", keysOf(got))
	}
	// The schedule now reminds once, after 7 working days (the 14th): who had
	// the second reminder had a later one than that, and gets nothing.
	exec(t, r.st, `UPDATE checkin_schedules SET reminder_working_days = '{7}'`)
	if got := r.remindAt(t, local(2027, time.January, 14, 9, 0)); len(got) != 0 {
		t.Errorf("after the schedule changed: %v", keysOf(got))
	}
}

// Reminders count working days: opened on Thursday March 25, 2027, two
// working days later skips Good Friday, the weekend and Easter Monday, and
// is Wednesday March 31.
func TestRemindersCountWorkingDays(t *testing.T) {
	st := testdb.WithFixture(t)
	f := newService(st, local(2027, time.March, 25, 9, 0))
	if _, err := f.svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "jeudi", Name: "Jeudi", Cron: "0 9 25 3 *"}); err != nil {
		t.Fatal(err)
	}
	f.tick(t)
	exec(t, st, `UPDATE checkin_recipients SET state = 'sent', channel_id = 'D' || id, message_ts = '1.' || id`)
	f.rec.msgs = nil
	for _, at := range []time.Time{local(2027, time.March, 26, 9, 0), local(2027, time.March, 29, 9, 0),
		local(2027, time.March, 30, 9, 0), local(2027, time.March, 31, 8, 59)} {
		f.clock.Set(at)
		if _, err := f.svc.Remind(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.rec.messages(); len(got) != 0 {
			t.Fatalf("at %s: %v", at, keysOf(got))
		}
	}
	f.clock.Set(local(2027, time.March, 31, 9, 0))
	res, err := f.svc.Remind(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].N != 1 || res[0].Messages != 2 || !res[0].DueAt.Equal(local(2027, time.March, 31, 9, 0)) {
		t.Errorf("reminded %+v, want the first reminder to both respondents on Wednesday March 31 at 9:00", res)
	}
}

// Two replicas ticking at once queue each reminder once.
func TestRemindersFromTwoReplicasAtOnce(t *testing.T) {
	r := newRemindRound(t)
	other := &checkin.Service{Store: r.st, Enqueuer: r.rec, Alerter: r.rec, Now: r.clock.Now, Location: montreal,
		Logger: r.svc.Logger}
	r.clock.Set(local(2027, time.January, 7, 9, 0))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		svc := r.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Go(func() { _, errs[i] = svc.Remind(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(r.rec.messages()), r.keys(1, "USM", "USM2", "UCDN"); !slices.Equal(got, want) {
		t.Errorf("reminders %v, want each once: %v", got, want)
	}
}

func TestReminderRendererWritesTheReminderInTheLanguageOfNow(t *testing.T) {
	r := newRemindRound(t)
	r.remindAt(t, local(2027, time.January, 7, 9, 0))
	for _, c := range []struct {
		user, header, deadline string
	}{
		{"USM", "Reminder — check-in for December 2026", "January 19, 2027 at 5 p.m."},
		{"UCDN", "Rappel — point d'étape de décembre 2026", "19 janvier 2027 à 17 h"},
	} {
		text, raw, err := checkin.ReminderRenderer(ctx, r.st, r.recips[c.user])
		if err != nil {
			t.Fatal(err)
		}
		blocks := blocksOf(t, raw)
		if err := blockkit.ValidateMessage(text, blocks); err != nil {
			t.Errorf("%s: %v", c.user, err)
		}
		h, ok := blocks[0].(*slack.HeaderBlock)
		if !ok || h.Text.Text != c.header {
			t.Errorf("%s: first block %#v, want the header %q", c.user, blocks[0], c.header)
		}
		if !strings.Contains(text, c.deadline) || !strings.Contains(string(raw), c.deadline) {
			t.Errorf("%s: text %q, blocks %s: want the deadline %q", c.user, text, raw, c.deadline)
		}
		var buttons []string
		for _, b := range blocks {
			if a, ok := b.(*slack.ActionBlock); ok {
				for _, e := range a.Elements.ElementSet {
					btn := e.(*slack.ButtonBlockElement)
					if btn.Value != fmt.Sprint(r.prompts[c.user]) {
						t.Errorf("%s: button %s carries %q, want the prompt id", c.user, btn.ActionID, btn.Value)
					}
					buttons = append(buttons, btn.ActionID)
				}
			}
		}
		if want := []string{checkin.ActionAnswer, checkin.ActionNothing, checkin.ActionSkip}; !slices.Equal(buttons, want) {
			t.Errorf("%s: buttons %v, want %v", c.user, buttons, want)
		}
	}
	// UCDN switches to English before the reminder leaves: it is written in English.
	exec(t, r.st, `UPDATE people SET language = 'en' WHERE slack_user_id = 'UCDN'`)
	if text, _, err := checkin.ReminderRenderer(ctx, r.st, r.recips["UCDN"]); err != nil || !strings.HasPrefix(text, "Reminder:") {
		t.Errorf("after switching to English: %q, %v", text, err)
	}
}

// A reminder whose Table answered meanwhile, whose person went away, or
// whose round closed, is not written: the worker drops it.
func TestReminderRendererOfAPromptNoLongerPending(t *testing.T) {
	r := newRemindRound(t)
	exec(t, r.st, `UPDATE checkin_prompts SET status = 'answered' WHERE id = $1`, r.prompts["USM"])
	if _, _, err := checkin.ReminderRenderer(ctx, r.st, r.recips["USM2"]); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("answered: %v, want domain.ErrNotFound", err)
	}
	if _, _, err := checkin.ReminderRenderer(ctx, r.st, r.recips["UCDN"]); err != nil {
		t.Errorf("still pending: %v", err)
	}
	// UCDN goes away (/pic absent) until the 7th, the day the reminder leaves.
	exec(t, r.st, `UPDATE people SET away_until = '2027-01-07' WHERE slack_user_id = 'UCDN'`)
	for _, c := range []struct {
		at   time.Time
		away bool
	}{
		{local(2027, time.January, 7, 0, 30), true},  // the 7th in Montreal (the 7th in UTC too)
		{local(2027, time.January, 7, 23, 30), true}, // still the 7th in Montreal, the 8th in UTC
		{local(2027, time.January, 8, 0, 30), false}, // back
	} {
		_, _, err := checkin.ReminderRendererAt(func() time.Time { return c.at })(ctx, r.st, r.recips["UCDN"])
		if c.away && !errors.Is(err, domain.ErrNotFound) || !c.away && err != nil {
			t.Errorf("away until the 7th, at %s: %v", c.at, err)
		}
	}
	exec(t, r.st, `UPDATE people SET away_until = NULL WHERE slack_user_id = 'UCDN'`)
	r.clock.Set(local(2027, time.January, 19, 17, 0))
	if _, err := r.svc.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := checkin.ReminderRenderer(ctx, r.st, r.recips["UCDN"]); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("closed: %v, want domain.ErrNotFound", err)
	}
}
