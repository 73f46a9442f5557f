package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/slackfake"
)

// followUpAt runs, at the given time, what the check-in tick does after
// opening rounds (close the due ones, then remind), through the same
// database and delivery queue relais serve works from: its jobs are posted
// by the running server.
func (r *checkinRound) followUpAt(at time.Time) {
	r.t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	j, err := jobs.New(r.st, jobs.Config{Logger: quiet})
	if err != nil {
		r.t.Fatal(err)
	}
	enq := jobs.NewEnqueuer(j)
	svc := &checkin.Service{Store: r.st, Enqueuer: enq, Alerter: delivery.NewAlerter(enq, ""), Logger: quiet,
		Now: func() time.Time { return at }}
	if err := svc.FollowUp(context.Background()); err != nil {
		r.t.Fatalf("follow-up at %s: %v", at, err)
	}
}

// command runs a slash command over signed HTTP and returns the ack.
func (r *checkinRound) command(user, text string) string {
	r.t.Helper()
	body := slackfake.SlashCommand{UserID: user, Text: text, ResponseURL: r.slack.NewResponseURL()}.Body()
	status, reply := post(r.t, slackfake.SignedRequest(e2eSecret, time.Now(), r.base+"/slack/commands",
		"application/x-www-form-urlencoded", body))
	if status != http.StatusOK {
		r.t.Fatalf("%q: HTTP %d %s", text, status, reply)
	}
	return reply
}

// reminded counts, by user, the reminder DMs Slack shows.
func (r *checkinRound) reminded() map[string]int {
	out := map[string]int{}
	for key, n := range r.slack.CountByMetadataKey("", "key") {
		if rest, ok := strings.CutPrefix(key, "reminder:"); ok {
			parts := strings.Split(rest, ":") // prompt:user:n
			out[parts[1]] += n
		}
	}
	return out
}

// A whole round for the demo Tables, over signed HTTP against a running
// relais serve and the fake Slack: the prompts go out; one Table answers by
// modal, one by two replies in its DM thread and an edit, one has nothing
// to report, one skips and then writes after all; reminders go to the
// silent Tables only; the round closes and every DM says so; the
// coordinators' status tells who answered.
func TestAFullCheckinRound(t *testing.T) {
	r := openDemoRound(t, `UPDATE people SET answers_checkins = true WHERE slack_user_id = 'UDEMOVERDUN2'`)
	const verdun, verdun2, stMichel, hochelaga, cdn = "UDEMOVERDUN", "UDEMOVERDUN2", "UDEMOSTMICHEL", "UDEMOT01", "UDEMOT02"

	// By modal.
	r.openModal(r.promptDM(verdun).ID, verdun, "checkin:answer")
	if errs := r.submit(verdun, map[string][]string{"q1": {"La cuisine collective a ouvert."}}, nil); errs != nil {
		t.Fatalf("modal: %v", errs)
	}
	// By two replies in the DM thread, the first then edited in Slack.
	thread := r.promptDM(stMichel).TS
	reply := func(id, ts, text string) {
		r.event(id, map[string]any{"type": "message", "channel": r.slack.DM(stMichel), "channel_type": "im",
			"user": stMichel, "text": text, "ts": ts, "thread_ts": thread, "event_ts": ts}, false)
	}
	reply("EvRound01", "1800000001.000100", "Le comité logement s'est réuni deux fois.")
	reply("EvRound02", "1800000002.000100", "Nous cherchons une salle pour <https://example.org/assemblee|l'assemblée>.")
	r.event("EvRound03", map[string]any{"type": "message", "subtype": "message_changed", "channel": r.slack.DM(stMichel),
		"channel_type": "im", "ts": "1800000003.000100", "event_ts": "1800000003.000100",
		"message": map[string]any{"type": "message", "user": stMichel, "text": "Le comité logement s'est réuni trois fois.",
			"ts": "1800000001.000100", "thread_ts": thread, "edited": map[string]any{"user": stMichel, "ts": "1800000003.000000"}},
		"previous_message": map[string]any{"type": "message", "user": stMichel, "text": "Le comité logement s'est réuni deux fois.",
			"ts": "1800000001.000100"}}, false)
	if body := r.noteBody(stMichel); body != "Le comité logement s'est réuni trois fois.\n\n"+
		"Nous cherchons une salle pour l'assemblée (https://example.org/assemblee)." {
		t.Errorf("thread note: %q", body)
	}
	// Nothing to report; a skip, then a note after all.
	r.click(hochelaga, "checkin:nothing")
	r.click(cdn, "checkin:skip")
	skipped := r.waitDM(cdn, "skips")
	r.openModal(skipped.ID, cdn, "checkin:answer")
	if errs := r.submit(cdn, map[string][]string{"q1": {"We found a room after all."}}, nil); errs != nil {
		t.Fatalf("note after a skip: %v", errs)
	}
	r.waitDM(hochelaga, "n'a rien à signaler")
	r.waitDM(cdn, "Thank you, received", "We found a room after all.")
	r.waitDM(verdun2, "a répondu")

	// Reminders, an hour before closing: the latest one due, to the silent
	// Tables' respondents only, once, even if the tick runs twice.
	var opened, closes time.Time
	if err := r.st.DB().QueryRow(`SELECT opened_at, closes_at FROM checkin_rounds`).Scan(&opened, &closes); err != nil {
		t.Fatal(err)
	}
	var silent []string
	if err := r.st.DB().Select(&silent, `SELECT p.slack_user_id FROM checkin_recipients rc
		JOIN people p ON p.id = rc.person_id JOIN checkin_prompts pr ON pr.id = rc.prompt_id
		WHERE pr.status IN ('pending', 'sent') ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(silent) < 5 {
		t.Fatalf("only %d silent respondents: %v", len(silent), silent)
	}
	r.followUpAt(closes.Add(-time.Hour))
	r.followUpAt(closes.Add(-time.Hour))
	waitFor(t, 30*time.Second, "a reminder to each silent respondent", func() bool { return len(r.reminded()) == len(silent) })
	got := r.reminded()
	for _, u := range silent {
		if got[u] != 1 {
			t.Errorf("%s got %d reminders, want 1", u, got[u])
		}
	}
	for _, u := range []string{verdun, verdun2, stMichel, hochelaga, cdn} {
		if got[u] != 0 {
			t.Errorf("%s, whose Table answered, got a reminder", u)
		}
	}
	if opened.After(closes) {
		t.Fatal("round closes before it opened")
	}

	// Closing: who did not answer is recorded; every DM says so.
	r.followUpAt(closes.Add(time.Minute))
	var status string
	if err := r.st.DB().Get(&status, `SELECT status::text FROM checkin_rounds`); err != nil || status != "closed" {
		t.Fatalf("round status %q (%v)", status, err)
	}
	if n := r.count(`SELECT count(*) FROM checkin_prompts WHERE status = 'expired'`); n == 0 {
		t.Error("no prompt recorded as unanswered")
	}
	closed := r.waitDM(silent[0], "Ce tour est fermé")
	if len(closed.Buttons()) != 0 {
		t.Errorf("a closed round's DM keeps buttons: %+v", closed.Buttons())
	}
	if dm := r.waitDM(verdun, "Tour fermé"); hasButton(dm, "checkin:edit") {
		t.Error("an answered DM still offers to edit after closing")
	}

	// The coordinators' status.
	st := r.command("UDEMOCOORD", "suivi statut")
	// The silent Tables have one respondent each.
	counts := fmt.Sprintf("3 répondu · 1 rien à signaler · 0 pas ce mois-ci · %d sans réponse", len(silent))
	for _, want := range []string{counts, fmt.Sprintf("(4 sur %d Tables)", len(silent)+4), "*Sans réponse (" + fmt.Sprint(len(silent)) + ")*",
		`*Rien à signaler (1)*\nTable de quartier Hochelaga-Maisonneuve (fictive)`} { // as the JSON ack escapes it
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	r.serve.stop(t)
}
