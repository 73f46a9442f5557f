package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

// checkinRound is a demo database with an open round whose prompts have
// all been delivered by a running `relais serve`, and what a test needs to
// act in Slack as its respondents.
type checkinRound struct {
	t     *testing.T
	slack *slackfake.Server
	st    *store.Store
	base  string
	serve *served
}

func openDemoRound(t *testing.T, setup ...string) *checkinRound {
	t.Helper()
	slack := slackfake.New(t, slackfake.Options{})
	db := seededDatabase(t)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, q := range setup {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	env := []string{"DATABASE_URL=" + db, "RELAIS_ALLOW_SAMPLE_DATA=1", "SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(), "SLACK_API_URL=" + slack.APIURL(), "RELAIS_SLACK_POST_RATE=200"}
	if code, out, stderr := runRelaisEnv(t, env, "checkin", "run", "suivi-mensuel"); code != 0 {
		t.Fatalf("checkin run: %d %s %s", code, out, stderr)
	}
	p := startServe(t, env)
	r := &checkinRound{t: t, slack: slack, st: st, base: "http://" + p.addr, serve: p}
	var recipients int
	if err := st.DB().Get(&recipients, `SELECT count(*) FROM checkin_recipients`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "every prompt delivered", func() bool {
		var sent int
		err := st.DB().Get(&sent, `SELECT count(*) FROM checkin_recipients WHERE message_ts IS NOT NULL`)
		return err == nil && sent == recipients
	})
	return r
}

// runRelaisEnv runs the binary with env as its whole environment.
func runRelaisEnv(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return runRelais(t, vars, args...)
}

// promptDM is user's prompt: the message Relais posted in their DM under a
// "prompt:" delivery key.
func (r *checkinRound) promptDM(user string) slackfake.Message {
	r.t.Helper()
	var prompts []slackfake.Message
	for _, m := range r.slack.Posted(r.slack.DM(user)) {
		if strings.HasPrefix(m.Metadata.Value("key"), "prompt:") {
			prompts = append(prompts, m)
		}
	}
	if len(prompts) != 1 {
		r.t.Fatalf("%d prompts in %s's DM, want 1", len(prompts), user)
	}
	return prompts[0]
}

// interact posts a signed interaction payload and returns the ack's body.
func (r *checkinRound) interact(payload []byte) string {
	r.t.Helper()
	status, body := post(r.t, slackfake.SignedRequest(e2eSecret, time.Now(), r.base+"/slack/interactions",
		"application/x-www-form-urlencoded", slackfake.InteractionBody(payload)))
	if status != http.StatusOK {
		r.t.Fatalf("interaction: HTTP %d %s", status, body)
	}
	return body
}

// click clicks a button of the prompt DM user sees and returns the private
// answers the click received.
func (r *checkinRound) click(user, actionID string) {
	r.t.Helper()
	payload, _ := r.slack.Click(r.t, r.promptDM(user).ID, user, actionID)
	r.interact(payload)
}

// openModal clicks actionID on message id as user and waits for the modal
// Relais opens (after the click's ack, on its trigger_id).
func (r *checkinRound) openModal(id, user, actionID string) slackfake.View {
	r.t.Helper()
	payload, _ := r.slack.Click(r.t, id, user, actionID)
	r.slack.CloseModals(user)
	r.interact(payload)
	var v slackfake.View
	waitFor(r.t, 10*time.Second, user+"'s modal", func() bool {
		var ok bool
		v, ok = r.slack.ModalOf(user)
		return ok
	})
	return v
}

// submit presses Submit on the modal user sees and applies the ack as Slack
// does; it returns the errors shown, if any.
func (r *checkinRound) submit(user string, fill map[string][]string, forge func(map[string]any)) map[string]string {
	r.t.Helper()
	payload := r.slack.Submit(r.t, user, fill)
	if forge != nil {
		var p map[string]any
		_ = json.Unmarshal(payload, &p)
		forge(p)
		payload, _ = json.Marshal(p)
	}
	return r.slack.ApplySubmissionAck(r.t, user, []byte(r.interact(payload)))
}

// waitDM waits until user's prompt DM shows every one of want.
func (r *checkinRound) waitDM(user string, want ...string) slackfake.Message {
	r.t.Helper()
	var m slackfake.Message
	waitFor(r.t, 20*time.Second, user+"'s DM to show "+strings.Join(want, ", "), func() bool {
		m = r.promptDM(user)
		for _, w := range want {
			if !strings.Contains(m.Shows(), w) {
				return false
			}
		}
		return true
	})
	return m
}

func (r *checkinRound) count(query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.st.DB().Get(&n, query, args...); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (r *checkinRound) promptOf(user string) int64 {
	r.t.Helper()
	var id int64
	if err := r.st.DB().Get(&id, `SELECT rc.prompt_id FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id
		WHERE p.slack_user_id = $1`, user); err != nil {
		r.t.Fatal(err)
	}
	return id
}

func hasButton(m slackfake.Message, actionID string) bool {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return true
		}
	}
	return false
}

// Answering by modal, "nothing to report", a skip then a note, an edit,
// double clicks and double submits, and forged values, over signed HTTP
// against a running relais serve and the fake Slack.
func TestAnswerCheckinsInSlack(t *testing.T) {
	r := openDemoRound(t, `UPDATE people SET answers_checkins = true WHERE slack_user_id = 'UDEMOVERDUN2'`)
	const verdun, verdun2, stMichel, hochelaga, cdn = "UDEMOVERDUN", "UDEMOVERDUN2", "UDEMOSTMICHEL", "UDEMOT01", "UDEMOT02"

	// Répondre opens the modal: one field per question, the readers, the privacy line.
	modal := r.openModal(r.promptDM(verdun).ID, verdun, "checkin:answer")
	if modal.CallbackID != "checkin:answer" {
		t.Fatalf("not the answer modal: %+v", modal)
	}
	for _, want := range []string{"Qu'est-ce qui a avancé ce mois-ci ?", "Qu'est-ce qui est difficile ?",
		"Le partenariat du PIC", "La coordination seulement", "Ne nommez aucun·e résident·e", "Conditions du changement systémique"} {
		if !strings.Contains(modal.Shows(), want) {
			t.Errorf("answer modal lacks %q:\n%s", want, modal.Shows())
		}
	}
	// The first question is required.
	if errs := r.submit(verdun, map[string][]string{"q1": {"  "}}, nil); errs["q1"] == "" {
		t.Errorf("an empty first answer was accepted: %v", errs)
	}
	fill := map[string][]string{"q1": {"Nous avons ouvert la cuisine collective <@U999> & le jardin."},
		"q3": {"Un contact à la Ville."}, "conditions": {"relationships"}}
	if errs := r.submit(verdun, fill, nil); errs != nil {
		t.Fatalf("submission refused: %v", errs)
	}
	if _, open := r.slack.ModalOf(verdun); open {
		t.Error("the modal stayed open after a stored note")
	}
	// Submitted twice (a double click on Send): one note.
	r.openModal(r.promptDM(verdun).ID, verdun, "checkin:answer")
	if errs := r.submit(verdun, fill, nil); errs != nil {
		t.Fatalf("second submission refused: %v", errs)
	}
	if n := r.count(`SELECT count(*) FROM progress_notes WHERE prompt_id = $1`, r.promptOf(verdun)); n != 1 {
		t.Errorf("%d notes for Verdun's prompt, want 1", n)
	}
	// The answerer's DM thanks them and repeats the note; the other
	// respondent's says who answered. Both may edit.
	dm := r.waitDM(verdun, "Merci, reçu", "Nous avons ouvert la cuisine collective", "Un contact à la Ville")
	if !hasButton(dm, "checkin:edit") || hasButton(dm, "checkin:skip") {
		t.Errorf("Verdun's answered DM buttons: %+v", dm.Buttons())
	}
	if strings.Contains(dm.Shows(), "<@U999>") {
		t.Errorf("a mention in the note is rendered live: %s", dm.Shows())
	}
	other := r.waitDM(verdun2, "Sam Verdun (fictif)* a répondu")
	if hasButton(other, "checkin:answer") {
		t.Errorf("the other respondent can still answer anew: %+v", other.Buttons())
	}

	// Modifier opens the note again, prefilled; the edit replaces it.
	modal = r.openModal(dm.ID, verdun, "checkin:edit")
	if !strings.Contains(modal.Shows(), "Nous avons ouvert la cuisine collective") || !strings.Contains(modal.Shows(), "Modifier la note") {
		t.Errorf("edit modal not prefilled:\n%s", modal.Shows())
	}
	if errs := r.submit(verdun, map[string][]string{"q1": {"La cuisine collective a ouvert en novembre."}}, nil); errs != nil {
		t.Fatalf("edit refused: %v", errs)
	}
	r.waitDM(verdun, "La cuisine collective a ouvert en novembre.")
	var body string
	if err := r.st.DB().Get(&body, `SELECT body FROM progress_notes WHERE prompt_id = $1`, r.promptOf(verdun)); err != nil ||
		!strings.HasPrefix(body, "La cuisine collective a ouvert en novembre.") || !strings.Contains(body, "Un contact à la Ville.") {
		t.Errorf("edited note body = %q (%v)", body, err)
	}

	// Rien à signaler, clicked twice: one outcome, said in the DM.
	r.click(stMichel, "checkin:nothing")
	r.click(stMichel, "checkin:nothing")
	r.waitDM(stMichel, "n'a rien à signaler")
	if n := r.count(`SELECT count(*) FROM audit_log WHERE entity = 'checkin_prompts' AND entity_id = $1
		AND action = 'update' AND after->>'status' = 'nothing_to_report' AND before->>'status' <> 'nothing_to_report'`,
		strconv.FormatInt(r.promptOf(stMichel), 10)); n != 1 {
		t.Errorf("nothing to report recorded %d times, want 1", n)
	}

	// A skip, then a note after all.
	r.click(hochelaga, "checkin:skip")
	skipped := r.waitDM(hochelaga, "passe son tour", "Mathieu Hochelaga (fictif)")
	r.openModal(skipped.ID, hochelaga, "checkin:answer")
	if errs := r.submit(hochelaga, map[string][]string{"q1": {"Finalement, une bonne nouvelle."}}, nil); errs != nil {
		t.Fatalf("note after a skip refused: %v", errs)
	}
	r.waitDM(hochelaga, "Merci, reçu", "Finalement, une bonne nouvelle.")

	// Forged: Côte-des-Neiges' respondent submits a modal whose
	// private_metadata names Verdun's prompt, and clicks a button whose
	// value does. Both are refused, in their language, and audited; Verdun's
	// note is untouched.
	refusalsBefore := r.count(`SELECT count(*) FROM audit_log WHERE action = 'refused'`)
	r.openModal(r.promptDM(cdn).ID, cdn, "checkin:answer")
	errs := r.submit(cdn, map[string][]string{"q1": {"Pirate"}}, func(p map[string]any) {
		p["view"].(map[string]any)["private_metadata"] = strconv.FormatInt(r.promptOf(verdun), 10)
	})
	if !strings.Contains(errs["q1"], "not your Table's") {
		t.Errorf("forged private_metadata: errors %v", errs)
	}
	forged := slackfake.BlockAction{UserID: cdn, ChannelID: r.slack.DM(cdn), ActionID: "checkin:nothing",
		Value: strconv.FormatInt(r.promptOf(verdun), 10), MessageTS: r.promptDM(cdn).TS, InChannel: true,
		ResponseURL: r.slack.ClickResponseURL(t, r.promptDM(cdn).ID, cdn)}.JSON()
	r.interact(forged)
	waitFor(t, 10*time.Second, "both refusals audited", func() bool {
		return r.count(`SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'checkin_prompts'
			AND actor = 'slack:UDEMOT02'`) == refusalsBefore+2
	})
	if err := r.st.DB().Get(&body, `SELECT body FROM progress_notes WHERE prompt_id = $1`, r.promptOf(verdun)); err != nil ||
		strings.Contains(body, "Pirate") {
		t.Errorf("Verdun's note after forged attempts: %q (%v)", body, err)
	}
	if n := r.count(`SELECT count(*) FROM checkin_prompts WHERE id = $1 AND status = 'answered'`, r.promptOf(verdun)); n != 1 {
		t.Error("a forged click changed Verdun's prompt")
	}
	r.serve.stop(t)
}
