package jobs

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/store"
)

// renderersAt is reminderRenderers with reminders written on the service's
// clock (e.at), which says who is away today.
func (e *reminderEnv) renderersAt() map[string]Renderer {
	out := maps.Clone(reminderRenderers)
	out[checkin.RenderReminder] = checkin.ReminderRendererAt(func() time.Time { return e.at })
	return out
}

// sendPrompts delivers the round's prompts, then stops the workers: what is
// queued next waits for the test to start others.
func (e *reminderEnv) sendPrompts() {
	e.t.Helper()
	cfg := testConfig(nil)
	cfg.Sender, cfg.Now, cfg.Renderers, cfg.retryBase = e.unpaced(), e.now, reminderRenderers, time.Millisecond
	j, err := New(e.st, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.settled()
	if err := j.Stop(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// Someone who goes away (/pic absent) between a reminder's queuing and its
// sending does not get it, and coordinators are not alerted: as for a Table
// that answered meanwhile, it is dropped. Away is counted on the clock the
// reminder leaves by: back since yesterday, it is sent.
func TestReminderToSomeoneAwaySinceIsDroppedQuietly(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, awayUntil string
		dropped         bool
	}{
		{"away until today", "2027-01-07", true},
		{"back since yesterday", "2027-01-06", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newReminderEnv(t)
			e.sendPrompts()
			alertsBefore := e.alertKeys()
			if res := e.remindAt(7, 9); len(res) != 1 || res[0].Messages != 2 {
				t.Fatalf("reminded %+v, want USM and UCDN", res)
			}
			recipient, prompt := e.recipientOf("UCDN")
			before := e.recipient(recipient)
			if _, err := e.st.DB().Exec(`UPDATE people SET away_until = $1 WHERE slack_user_id = 'UCDN'`, c.awayUntil); err != nil {
				t.Fatal(err)
			}
			_, reg := e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = e.renderersAt() })
			e.settled()

			d := e.delivery(checkin.ReminderKey(prompt, "UCDN", 1))
			wantDMs, dropped := 2, 0.0 // the prompt and the reminder
			if c.dropped {
				wantDMs, dropped = 1, 1
				if d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "recipient_not_found") || d.Attempts != 0 {
					t.Errorf("delivery %s after %d attempts (%q), want dropped (failed, recipient_not_found) before any post",
						d.Status, d.Attempts, d.LastError)
				}
			} else if d.Status != store.DeliverySent {
				t.Errorf("delivery %s (%q), want sent", d.Status, d.LastError)
			}
			for user, want := range map[string]int{"UCDN": wantDMs, "USM": 2} {
				if n := len(e.fake.Posted(e.fake.DM(user))); n != want {
					t.Errorf("%d DMs to %s, want %d", n, user, want)
				}
			}
			if after := e.recipient(recipient); after != before {
				t.Errorf("UCDN's recipient row %+v changed to %+v: it keeps the prompt's DM", before, after)
			}
			if after := e.alertKeys(); !slices.Equal(after, alertsBefore) {
				t.Errorf("alerts %q, want no new one after %q", after, alertsBefore)
			}
			if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=reminder,outcome=dropped", dropped); v != dropped {
				t.Errorf("dropped reminders counted %v, want %v", v, dropped)
			}
		})
	}
}

// Reminders are DMs only. A respondent whose prompt was posted in the
// Table's channel (their DM refused) is not reminded there: one prompt in
// the channel is enough. A reminder whose DM Slack refuses since the prompt
// is given up quietly, not posted in the channel either.
func TestRemindersDoNotFallBackToTheTablesChannel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name         string
		refuseBefore bool // the prompt's DM refused too
	}{
		{"prompt posted in the channel", true},
		{"reminder refused", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newReminderEnv(t)
			const channel = "C0SM" // Saint-Michel's, USM's Table
			if c.refuseBefore {
				e.fake.RefuseDM("USM", "cannot_dm_bot")
			}
			e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = e.renderersAt() })
			e.settled()
			recipient, prompt := e.recipientOf("USM")
			before := e.recipient(recipient)
			wantState := "sent"
			if c.refuseBefore {
				wantState = "fallback"
			}
			if before.State != wantState {
				t.Fatalf("USM's prompt %+v, want %s", before, wantState)
			}
			inChannel := len(e.fake.Posted(channel))
			alertsBefore := e.alertKeys()
			e.fake.RefuseDM("USM", "account_inactive")
			res := e.remindAt(7, 9)
			e.settled()
			wantMessages := 2 // USM and UCDN
			if c.refuseBefore {
				wantMessages = 1 // UCDN only
			}
			if len(res) != 1 || res[0].Messages != wantMessages {
				t.Errorf("reminded %+v, want %d", res, wantMessages)
			}
			if n := len(e.fake.Posted(channel)); n != inChannel {
				t.Errorf("%d messages in the Table's channel after the reminders, want %d as before", n, inChannel)
			}
			key := checkin.ReminderKey(prompt, "USM", 1)
			d, err := e.st.Delivery(context.Background(), key)
			switch {
			case c.refuseBefore && err == nil:
				t.Errorf("a reminder to USM was queued: %s, %s", d.Status, d.ChannelID)
			case !c.refuseBefore && (err != nil || d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "account_inactive")):
				t.Errorf("delivery %s in %q (%q), %v: want given up with account_inactive", d.Status, d.ChannelID, d.LastError, err)
			}
			if after := e.recipient(recipient); after != before {
				t.Errorf("USM's recipient row %+v changed to %+v", before, after)
			}
			if after := e.alertKeys(); !slices.Equal(after, alertsBefore) {
				t.Errorf("alerts %q, want no new one after %q", after, alertsBefore)
			}
		})
	}
}
