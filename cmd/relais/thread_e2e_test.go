package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// parentDM is the message Relais posted in user's DM outside any thread:
// their prompt (what Relais says in its thread is not counted).
func (r *checkinRound) parentDM(user string) slackfake.Message {
	r.t.Helper()
	var parents []slackfake.Message
	for _, m := range r.slack.Posted(r.slack.DM(user)) {
		if !m.InThread() {
			parents = append(parents, m)
		}
	}
	if len(parents) != 1 {
		r.t.Fatalf("%d messages in %s's DM outside threads, want their prompt", len(parents), user)
	}
	return parents[0]
}

// event sends an Events API event over signed HTTP as Slack does; retry
// marks a redelivery.
func (r *checkinRound) event(eventID string, inner map[string]any, retry bool) {
	r.t.Helper()
	req := slackfake.SignedRequest(e2eSecret, time.Now(), r.base+"/slack/events", "application/json",
		slackfake.EventCallback(eventID, inner))
	if retry {
		req.Header.Set("X-Slack-Retry-Num", "1")
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	if status, body := post(r.t, req); status != http.StatusOK {
		r.t.Fatalf("event %s: HTTP %d %s", eventID, status, body)
	}
}

// threadReply is user's message.im in the thread of their prompt DM.
func (r *checkinRound) threadReply(user, ts, text string) map[string]any {
	return map[string]any{"type": "message", "channel": r.slack.DM(user), "channel_type": "im", "user": user,
		"text": text, "ts": ts, "thread_ts": r.parentDM(user).TS, "event_ts": ts}
}

// relaisInThread is what Relais posted in the thread of user's prompt DM.
func (r *checkinRound) relaisInThread(user string) []slackfake.Message {
	thread := r.slack.Thread(r.slack.DM(user), r.parentDM(user).TS)
	if len(thread) == 0 {
		return nil
	}
	return thread[1:]
}

func (r *checkinRound) waitThread(user string, n int, want string) []slackfake.Message {
	r.t.Helper()
	var msgs []slackfake.Message
	waitFor(r.t, 20*time.Second, user+"'s thread to hold "+want, func() bool {
		msgs = r.relaisInThread(user)
		return len(msgs) == n && strings.Contains(msgs[n-1].Shows(), want)
	})
	return msgs
}

func (r *checkinRound) noteBody(user string) string {
	r.t.Helper()
	var body string
	_ = r.st.DB().Get(&body, `SELECT coalesce((SELECT body FROM progress_notes WHERE prompt_id = $1), '')`, r.promptOf(user))
	return body
}

// A Table answers in its prompt's DM thread, over signed HTTP events
// against a running relais serve and the fake Slack: two replies form one
// note, an edit rewrites it, a retried event adds nothing, a short reply is
// asked about first, a bot's message is ignored, "coordination only" is
// one click, and deleting a note's only reply deletes the note.
func TestAnswerInTheDMThread(t *testing.T) {
	r := openDemoRound(t)
	const verdun, stMichel = "UDEMOVERDUN", "UDEMOSTMICHEL"

	first := r.threadReply(verdun, "1800000001.000100", "La cuisine collective a ouvert &amp; <https://exemple.org/cuisine|le compte rendu> est en ligne.")
	r.event("EvThread0001", first, false)
	r.event("EvThread0002", r.threadReply(verdun, "1800000002.000100", "Deuxième nouvelle : le comité logement\nse réunit en janvier."), false)
	want := "La cuisine collective a ouvert & le compte rendu (https://exemple.org/cuisine) est en ligne.\n\n" +
		"Deuxième nouvelle : le comité logement\nse réunit en janvier."
	if body := r.noteBody(verdun); body != want {
		t.Fatalf("note after two replies: %q", body)
	}
	confirm := r.waitThread(verdun, 2, "Merci, reçu")
	if !strings.Contains(confirm[1].Shows(), "Lue par le partenariat du PIC") || !hasButton(confirm[1], "checkin:thread:coordinators") {
		t.Errorf("confirmation: %s %+v", confirm[1].Shows(), confirm[1].Buttons())
	}
	dm := r.parentDM(verdun)
	waitFor(t, 20*time.Second, "the prompt DM to show the note", func() bool {
		dm = r.parentDM(verdun)
		return strings.Contains(dm.Shows(), "Merci, reçu") && strings.Contains(dm.Shows(), "se réunit en janvier")
	})

	// Slack delivers the first event again: one reply, one confirmation.
	deliveries := r.count(`SELECT count(*) FROM deliveries WHERE kind = 'checkin_thread'`)
	r.event("EvThread0001", first, true)
	if n := r.count(`SELECT count(*) FROM checkin_thread_replies`); n != 2 {
		t.Errorf("%d replies stored after a retry, want 2", n)
	}
	if n := r.count(`SELECT count(*) FROM deliveries WHERE kind = 'checkin_thread'`); n != deliveries {
		t.Errorf("a retried event queued %d more answers", n-deliveries)
	}

	// The first reply edited in Slack.
	r.event("EvThread0003", map[string]any{"type": "message", "subtype": "message_changed", "channel": r.slack.DM(verdun),
		"channel_type": "im", "ts": "1800000003.000100", "event_ts": "1800000003.000100",
		"message": map[string]any{"type": "message", "user": verdun, "text": "La cuisine collective a ouvert en novembre.",
			"ts": "1800000001.000100", "thread_ts": dm.TS, "edited": map[string]any{"user": verdun, "ts": "1800000003.000000"}},
		"previous_message": map[string]any{"type": "message", "user": verdun, "text": "La cuisine…", "ts": "1800000001.000100"}}, false)
	if body := r.noteBody(verdun); !strings.HasPrefix(body, "La cuisine collective a ouvert en novembre.\n\nDeuxième nouvelle") {
		t.Fatalf("note after an edit: %q", body)
	}
	r.waitThread(verdun, 3, "mise à jour")
	if n := r.count(`SELECT count(*) FROM progress_notes WHERE prompt_id = $1`, r.promptOf(verdun)); n != 1 {
		t.Errorf("%d notes for Verdun's prompt, want 1", n)
	}

	// A bot's message in the thread (Relais' own post, echoed): nothing.
	r.event("EvThread0004", map[string]any{"type": "message", "channel": r.slack.DM(verdun), "channel_type": "im",
		"user": slackfake.BotUserID, "bot_id": "B0BOT", "text": "Un message de robot assez long pour une note.",
		"ts": "1800000004.000100", "thread_ts": dm.TS}, false)
	if n := r.count(`SELECT count(*) FROM checkin_thread_replies`); n != 2 {
		t.Errorf("a bot's message was stored: %d replies", n)
	}

	// One click: coordination only; the prompt DM says who reads it now.
	payload, _ := r.slack.Click(t, confirm[1].ID, verdun, "checkin:thread:coordinators")
	r.interact(payload)
	waitFor(t, 20*time.Second, "the note restricted and the DM saying so", func() bool {
		return r.count(`SELECT count(*) FROM progress_notes WHERE prompt_id = $1 AND visibility = 'coordinators'`,
			r.promptOf(verdun)) == 1 && strings.Contains(r.parentDM(verdun).Shows(), "Lue par l'équipe de coordination du PIC et votre Table")
	})

	// A short reply asks first; "Enregistrer comme note" saves it.
	r.event("EvThread0005", r.threadReply(stMichel, "1800000005.000100", "merci !"), false)
	ask := r.waitThread(stMichel, 1, "Enregistrer « merci ! »")
	if r.noteBody(stMichel) != "" {
		t.Fatal("a short reply became a note without asking")
	}
	payload, _ = r.slack.Click(t, ask[0].ID, stMichel, "checkin:pending:save")
	r.interact(payload)
	waitFor(t, 20*time.Second, "the short reply saved", func() bool { return r.noteBody(stMichel) == "merci !" })
	waitFor(t, 20*time.Second, "St-Michel's prompt DM to show its note", func() bool {
		return strings.Contains(r.parentDM(stMichel).Shows(), "merci !")
	})

	// That reply deleted in Slack: it was the whole note, so the note goes,
	// and the prompt DM asks for an answer again.
	r.event("EvThread0006", map[string]any{"type": "message", "subtype": "message_deleted", "hidden": true,
		"channel": r.slack.DM(stMichel), "channel_type": "im", "ts": "1800000006.000100", "event_ts": "1800000006.000100",
		"deleted_ts": "1800000005.000100", "previous_message": map[string]any{"type": "message", "user": stMichel,
			"text": "merci !", "ts": "1800000005.000100", "thread_ts": r.parentDM(stMichel).TS}}, false)
	if n := r.count(`SELECT count(*) FROM progress_notes WHERE prompt_id = $1`, r.promptOf(stMichel)); n != 0 {
		t.Fatalf("%d notes left for St-Michel after its only reply was deleted", n)
	}
	r.waitThread(stMichel, 2, "la note est supprimée")
	waitFor(t, 20*time.Second, "St-Michel's prompt DM to ask for an answer again", func() bool {
		dm := r.parentDM(stMichel)
		return !strings.Contains(dm.Shows(), "merci !") && hasButton(dm, "checkin:answer")
	})
	r.serve.stop(t)
}
