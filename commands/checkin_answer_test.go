package commands_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// answerRound opens the "mensuel" round and returns USM's prompt id.
func answerRound(t *testing.T) (*commands.Router, *store.Store, string) {
	t.Helper()
	rt, st, q := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow }}
	if _, err := svc.RunNow(ctx, "test", "mensuel"); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := st.DB().Get(&id, `SELECT rc.prompt_id::text FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id
		WHERE p.slack_user_id = 'USM'`); err != nil {
		t.Fatal(err)
	}
	return rt, st, id
}

func submission(user, promptID, firstAnswer string) commands.ViewSubmission {
	return commands.ViewSubmission{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"}, CallbackID: commands.ViewAnswer,
		ViewID: "V1", PrivateMetadata: promptID, Values: map[string]map[string]commands.InputValue{
			"q1":         {"v": {Text: firstAnswer}},
			"visibility": {"v": {Selected: []string{"partnership"}}},
		}}
}

// The modal a respondent opens fits Slack's limits, in their language, and
// what they submit is stored once.
func TestAnswerModalAndSubmission(t *testing.T) {
	rt, st, prompt := answerRound(t)
	r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: "USM"}, ActionID: checkin.ActionAnswer,
		Value: prompt, TriggerID: "T0", ChannelID: "D1"})
	if r.OpenModal == nil {
		t.Fatalf("no modal: %+v", r)
	}
	if err := blockkit.ValidateView(r.OpenModal.Blocks.BlockSet); err != nil {
		t.Errorf("answer modal breaks Slack's limits: %v", err)
	}
	if r.OpenModal.PrivateMetadata != prompt || r.OpenModal.CallbackID != commands.ViewAnswer ||
		r.OpenModal.Title.Text != "Table's note" {
		t.Errorf("modal %+v", r.OpenModal)
	}
	// Without a trigger (the console), the modal cannot open: said so.
	r = rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: "USM"}, ActionID: checkin.ActionAnswer,
		Value: prompt})
	if r.OpenModal != nil || r.Text == "" {
		t.Errorf("answer without a trigger: %+v", r)
	}

	for range 2 {
		if rep := rt.Submit(ctx, submission("USM", prompt, "Notre épicerie a ouvert.")); rep.Errors != nil {
			t.Fatalf("submission refused: %v", rep.Errors)
		}
	}
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM progress_notes WHERE prompt_id = $1::bigint AND body = 'Notre épicerie a ouvert.'`, prompt); err != nil || n != 1 {
		t.Errorf("%d notes (%v), want 1", n, err)
	}
	// Too long for the field: refused under it, in English for USM.
	rep := rt.Submit(ctx, submission("USM", prompt, strings.Repeat("é", commands.MaxAnswerLength+1)))
	if !strings.Contains(rep.Errors["q1"], "At most 3000 characters") {
		t.Errorf("too long: %v", rep.Errors)
	}
	// A guest, a partner or another Table's member: refused and audited.
	for _, user := range []string{"UNOBODY", "UPART", "UCDN"} {
		rep := rt.Submit(ctx, submission(user, prompt, "Pirate"))
		if rep.Errors["q1"] == "" {
			t.Errorf("%s's submission accepted", user)
		}
	}
	if err := st.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'refused'`); err != nil || n != 3 {
		t.Errorf("%d refusals audited (%v), want 3", n, err)
	}
}

// When the note cannot be stored, the modal stays open with the text, in
// the person's language; when Relais cannot even read who submits, in both.
func TestAnswerSubmissionWhenTheDatabaseIsDown(t *testing.T) {
	_, st, prompt := answerRound(t)
	down, err := store.Open(context.Background(), testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	down.Close()
	q := &queue{}
	// The directory answers but the write cannot happen.
	writeDown := commands.New(st, commands.Options{Now: func() time.Time { return checkinNow },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Checkins: &checkin.Service{Store: down, Enqueuer: q, Alerter: delivery.NewAlerter(q, "")}})
	rep := writeDown.Submit(ctx, submission("USM", prompt, "Ne perdez pas ceci."))
	if rep.Errors["q1"] != i18n.T(domain.English, "checkin.answer.unavailable") {
		t.Errorf("write down: %+v", rep)
	}
	// Nothing answers.
	allDown := commands.New(down, commands.Options{Now: func() time.Time { return checkinNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rep = allDown.Submit(ctx, submission("USM", prompt, "Ne perdez pas ceci."))
	if !strings.Contains(rep.Errors["q1"], i18n.T(domain.French, "checkin.answer.unavailable")) ||
		!strings.Contains(rep.Errors["q1"], i18n.T(domain.English, "checkin.answer.unavailable")) {
		t.Errorf("all down: %+v", rep)
	}
}
