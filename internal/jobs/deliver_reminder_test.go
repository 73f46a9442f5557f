package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// reminderRenderers is what relais serve registers for check-ins.
var reminderRenderers = map[string]Renderer{checkin.RenderPrompt: checkin.PromptRenderer,
	checkin.RenderPromptState: checkin.PromptStateRenderer,
	checkin.RenderReminder:    checkin.ReminderRenderer}

// reminderEnv is the fixture's January 2027 round, opened by the real
// service on a jobs client's Enqueuer, with the fake Slack.
type reminderEnv struct {
	*deliveryEnv
	svc   *checkin.Service
	at    time.Time // the service's clock
	round int64
}

func newReminderEnv(t *testing.T) *reminderEnv {
	now := epochClock()
	e := &reminderEnv{deliveryEnv: &deliveryEnv{t: t, st: testdb.WithFixture(t), fake: slackfake.New(t, slackfake.Options{Now: now}), now: now}}
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	e.at = time.Date(2027, time.January, 5, 9, 0, 0, 0, loc)
	queuer, err := New(e.st, testConfig(nil)) // queues only; the tests start the workers
	if err != nil {
		t.Fatal(err)
	}
	enq := NewEnqueuer(queuer)
	e.svc = &checkin.Service{Store: e.st, Enqueuer: enq, Alerter: delivery.NewAlerter(enq, ""), Now: func() time.Time { return e.at },
		Location: loc, Logger: quietLogger()}
	s, err := e.svc.CreateSchedule(context.Background(), "cli", checkin.ScheduleSpec{Slug: "mensuel", Name: "Suivi mensuel",
		Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.TickSchedule(context.Background(), s.ID)
	if err != nil || o == nil {
		t.Fatalf("open the round: %+v, %v", o, err)
	}
	e.round = o.RoundID
	return e
}

func (e *reminderEnv) remindAt(day, hour int) []checkin.Reminded {
	e.t.Helper()
	e.at = time.Date(2027, time.January, day, hour, 0, 0, 0, e.at.Location())
	res, err := e.svc.Remind(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *reminderEnv) recipientOf(user string) (recipient, prompt int64) {
	e.t.Helper()
	if err := e.st.DB().QueryRow(`SELECT r.id, r.prompt_id FROM checkin_recipients r JOIN people p ON p.id = r.person_id
		WHERE p.slack_user_id = $1`, user).Scan(&recipient, &prompt); err != nil {
		e.t.Fatal(err)
	}
	return recipient, prompt
}

// A reminder is a new top-level DM, recorded in checkin_reminders: the
// prompt's own DM stays the recipient's. When the Table answers, both DMs
// are rewritten.
func TestReminderIsANewDMRecordedApartAndUpdatedWithThePrompt(t *testing.T) {
	t.Parallel()
	e := newReminderEnv(t)
	j, _ := e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = reminderRenderers })
	e.settled()
	recipient, prompt := e.recipientOf("USM")
	before := e.recipient(recipient)
	if before.State != "sent" || before.MessageTS == "" {
		t.Fatalf("USM's prompt %+v, want sent", before)
	}

	if res := e.remindAt(7, 9); len(res) != 1 || res[0].Messages != 2 {
		t.Fatalf("reminded %+v, want USM and UCDN", res)
	}
	e.settled()
	if res := e.remindAt(7, 10); len(res) != 0 {
		t.Errorf("reminded again: %+v", res)
	}
	e.settled()
	dms := e.fake.Posted(e.fake.DM("USM"))
	if len(dms) != 2 {
		t.Fatalf("%d DMs to USM, want the prompt and one reminder", len(dms))
	}
	rem := dms[1]
	if rem.ThreadTS != "" || !strings.HasPrefix(rem.Text, "Reminder:") || !strings.Contains(string(rem.Blocks), checkin.ActionAnswer) {
		t.Errorf("reminder %+v: want a top-level DM, in English, with the buttons", rem)
	}
	if after := e.recipient(recipient); after != before {
		t.Errorf("USM's recipient row %+v changed to %+v: it keeps the prompt's DM", before, after)
	}
	reminders, err := e.st.RemindersOfRound(context.Background(), e.round)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(reminders, func(r store.Reminder) bool { return r.RecipientID == recipient })
	if i < 0 || reminders[i].MessageTS != rem.TS || reminders[i].ChannelID != e.fake.DM("USM") || reminders[i].SentAt == nil ||
		reminders[i].DeliveryKey != checkin.ReminderKey(prompt, "USM", 1) {
		t.Errorf("reminders %+v, want USM's with the DM %s/%s", reminders, e.fake.DM("USM"), rem.TS)
	}

	// Saint-Michel answers: its prompt and reminder DMs are both rewritten.
	ctx := context.Background()
	if err := e.st.InTx(ctx, "system:test", func(tx *store.Tx) error {
		if _, err := tx.SQL().Exec(`UPDATE checkin_prompts SET status = 'answered', answered_at = now() WHERE id = $1`, prompt); err != nil {
			return err
		}
		ds, err := tx.TouchPrompts(ctx, "system:test", []int64{prompt})
		if err != nil {
			return err
		}
		if len(ds) != 2 {
			t.Errorf("TouchPrompts gave %+v, want the prompt's and the reminder's DM", ds)
		}
		return NewEnqueuer(j).EnqueueTx(ctx, tx, checkin.PromptUpdates(ds)...)
	}); err != nil {
		t.Fatal(err)
	}
	e.settled()
	for _, m := range e.fake.Posted(e.fake.DM("USM")) {
		if m.Edits != 1 {
			t.Errorf("DM %s edited %d times, want once", m.TS, m.Edits)
		}
	}
	if keys := e.alertKeys(); slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "reminder") || strings.Contains(k, "prompt-state") }) {
		t.Errorf("alerts %q", keys)
	}
}

// A reminder whose Table answered between its queuing and its sending is
// not posted, and coordinators are not alerted: nothing is wrong.
func TestReminderNoLongerWantedIsDroppedQuietly(t *testing.T) {
	t.Parallel()
	e := newReminderEnv(t)
	// The prompts go out, then the workers stop.
	func() {
		cfg := testConfig(nil)
		cfg.Sender, cfg.Now, cfg.Renderers, cfg.retryBase = e.unpaced(), e.now, reminderRenderers, time.Millisecond
		j, err := New(e.st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.settled()
		if err := j.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}()
	alertsBefore := e.alertKeys()
	if res := e.remindAt(7, 9); len(res) != 1 || res[0].Messages != 2 {
		t.Fatalf("reminded %+v", res)
	}
	recipient, prompt := e.recipientOf("UCDN")
	before := e.recipient(recipient)
	if _, err := e.st.DB().Exec(`UPDATE checkin_prompts SET status = 'skipped' WHERE id = $1`, prompt); err != nil {
		t.Fatal(err)
	}
	_, reg := e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = reminderRenderers })
	e.settled()

	key := checkin.ReminderKey(prompt, "UCDN", 1)
	if d := e.delivery(key); d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "recipient_not_found") || d.Attempts != 0 {
		t.Errorf("delivery %+v, want dropped (failed, recipient_not_found) before any post", d)
	}
	if n := len(e.fake.Posted(e.fake.DM("UCDN"))); n != 1 {
		t.Errorf("%d DMs to UCDN, want the prompt only", n)
	}
	if n := len(e.fake.Posted(e.fake.DM("USM"))); n != 2 {
		t.Errorf("%d DMs to USM, want the prompt and the reminder", n)
	}
	if after := e.recipient(recipient); after != before {
		t.Errorf("UCDN's recipient row %+v changed to %+v", before, after)
	}
	if after := e.alertKeys(); !slices.Equal(after, alertsBefore) {
		t.Errorf("alerts %q, want no new one after %q", after, alertsBefore)
	}
	if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=reminder,outcome=dropped", 1); v != 1 {
		t.Errorf("dropped reminders counted %v, want 1", v)
	}
}

// A reminder Slack refuses (the account deactivated since the prompt) is
// given up without an alert and without marking the prompt undelivered.
func TestReminderToAnUnreachablePersonIsGivenUpQuietly(t *testing.T) {
	t.Parallel()
	e := newReminderEnv(t)
	e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = reminderRenderers })
	e.settled()
	alertsBefore := e.alertKeys()
	recipient, prompt := e.recipientOf("UCDN") // Côte-des-Neiges has no channel to fall back to
	before := e.recipient(recipient)
	e.fake.RefuseDM("UCDN", "account_inactive")
	e.remindAt(7, 9)
	e.settled()
	if d := e.delivery(checkin.ReminderKey(prompt, "UCDN", 1)); d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "account_inactive") {
		t.Errorf("delivery %+v, want failed with account_inactive", d)
	}
	if after := e.recipient(recipient); after != before {
		t.Errorf("UCDN's recipient row %+v changed to %+v", before, after)
	}
	if after := e.alertKeys(); !slices.Equal(after, alertsBefore) {
		t.Errorf("alerts %q, want no new one after %q", after, alertsBefore)
	}
}

// The periodic check-in job closes the rounds due, as it opens them: on
// start, then every minute.
func TestCheckinTickClosesDueRounds(t *testing.T) {
	t.Parallel()
	e := newReminderEnv(t)
	e.at = e.at.AddDate(0, 0, 14).Add(8 * time.Hour) // Tuesday the 19th, 17:00
	cfg := testConfig(nil)
	cfg.noPeriodic = false
	cfg.Checkins = e.svc
	started(t, e.st, cfg)
	eventually(t, "the tick closed the round", func() bool {
		var status string
		err := e.st.DB().Get(&status, `SELECT status::text FROM checkin_rounds WHERE id = $1`, e.round)
		return err == nil && status == "closed"
	})
	var expired int
	if err := e.st.DB().Get(&expired, `SELECT count(*) FROM checkin_prompts WHERE status = 'expired'`); err != nil || expired != 3 {
		t.Errorf("%d prompts expired (%v), want the 3 unanswered", expired, err)
	}
}
