package commands_test

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// queue keeps what the service queues; the delivery itself is tested in
// internal/jobs.
type queue struct {
	mu   sync.Mutex
	msgs []delivery.Message
}

func (q *queue) EnqueueTx(_ context.Context, _ *store.Tx, msgs ...delivery.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
	return nil
}

var checkinNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// newSuiviRouter is newRouter with a check-in service and one schedule, the
// first Tuesday of the month at 9:00 (created a month ago).
func newSuiviRouter(t *testing.T) (*commands.Router, *store.Store, *queue) {
	t.Helper()
	rt, st, q := suiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow.AddDate(0, -1, 0) }}
	if _, err := svc.CreateSchedule(ctx, "test", checkin.ScheduleSpec{Slug: "mensuel", Name: "Suivi <!channel> mensuel",
		Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		t.Fatal(err)
	}
	return rt, st, q
}

func suiviRouter(t *testing.T) (*commands.Router, *store.Store, *queue) {
	t.Helper()
	st := newRouterStore(t)
	q := &queue{}
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow }}
	rt := commands.New(st, commands.Options{
		Locales:  fakeLocales{partner: "en-US", guest: "fr-CA"},
		Now:      func() time.Time { return checkinNow },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Checkins: svc,
	})
	return rt, st, q
}

func newRouterStore(t *testing.T) *store.Store {
	t.Helper()
	_, st := newRouter(t)
	// An English-speaking coordinator, for the English replies.
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO people (slack_user_id, display_name, organisation_id, role,
		answers_checkins, language) VALUES ('UCOORDEN', 'Coordination EN', 6, 'coordinator', false, 'en')`); err != nil {
		t.Fatal(err)
	}
	return st
}

const coordEN = "UCOORDEN"

func TestSuiviListInBothLanguages(t *testing.T) {
	rt, _, _ := newSuiviRouter(t)
	for _, text := range []string{"suivi", "suivi liste", "checkin list", "suivis", "SUIVI LISTE"} {
		r := run(t, rt, coordinator, text)
		mustContain(t, text, r, "Suivis des Tables (1)", "Suivi &lt;!channel&gt; mensuel", "`mensuel`", "actif",
			"le premier mardi du mois à 9 h (America/Montreal)",
			"3 novembre 2026 à 9 h", "il portera sur octobre 2026", // next occurrence, and its period
			"Clôture après 10 jours ouvrables à 17 h", "rappels après 2, 5 jours ouvrables", "toutes les Tables",
			"3 questions", "Dernier tour :* aucun encore", "Modifier", "Pause", "Lancer maintenant")
		mustNotContain(t, text, r, "<!channel>", commands.ActionShare)
	}
	en := run(t, rt, coordEN, "checkin")
	mustContain(t, "en", en, "Tables' check-ins (1)", "the first Tuesday of the month at 9:00 (America/Montreal)",
		"November 3, 2026 at 9 a.m.", "ask about October 2026", "Closes after 10 working days at 17:00", "Edit", "Run now")
	// Coordinators only, like membres: never offered for sharing.
	c, _ := rt.Lookup("checkin")
	if c.Name != "suivi" || c.Shareable() || c.Allows(domain.RolePartner) || c.Allows(domain.RoleTableMember) {
		t.Errorf("suivi must be for coordinators only: %+v", c)
	}
	mustContain(t, "partner", run(t, rt, partner, "suivi"), "The “suivi” command is for the coordination team.")
	mustContain(t, "guest", run(t, rt, guest, "suivi liste"), "inscrits dans Relais")
}

func TestSuiviPauseResumeRunInBothLanguages(t *testing.T) {
	rt, st, q := newSuiviRouter(t)
	mustContain(t, "pause", run(t, rt, coordinator, "suivi pause mensuel"), "est en pause")
	mustContain(t, "list paused", run(t, rt, coordinator, "suivi"), "en pause", "aucun tant que ce suivi est en pause", "Reprendre")
	mustContain(t, "resume", run(t, rt, coordEN, "checkin resume mensuel"), "resumes: its next round opens on time")
	mustContain(t, "pause en", run(t, rt, coordEN, "checkin pause MENSUEL"), "is paused")
	mustContain(t, "reprendre", run(t, rt, coordinator, "suivi reprendre mensuel"), "reprend")

	// Run now opens the next occurrence's round early; a second one is refused.
	first := run(t, rt, coordinator, "suivi lancer mensuel")
	mustContain(t, "run", first, "Tour ouvert pour *Suivi &lt;!channel&gt; mensuel*, sur octobre 2026", "3 Tables", "2 messages en file", "1 Table n'a personne")
	mustNotContain(t, "run", first, "relais serve") // not the console
	prompts := 0
	for _, m := range q.msgs {
		if m.Kind == checkin.KindPrompt {
			prompts++
		}
	}
	if prompts != 2 {
		t.Errorf("%d prompts queued, want one per respondent (2)", prompts)
	}
	mustContain(t, "run again", run(t, rt, coordinator, "suivi lancer mensuel"), "Le tour portant sur octobre 2026 est déjà ouvert")
	mustContain(t, "run again en", run(t, rt, coordEN, "checkin run mensuel"), "The round of October 2026 is already open")
	var rounds int
	if err := st.DB().Get(&rounds, `SELECT count(*) FROM checkin_rounds`); err != nil || rounds != 1 {
		t.Errorf("%d rounds (%v), want 1", rounds, err)
	}
	list := run(t, rt, coordinator, "suivi")
	mustContain(t, "list after run", list, "*Dernier tour :* octobre 2026, ouvert le 1er novembre 2026 à 7 h", "en cours", "0 répondu", "3 sans réponse",
		"1er décembre 2026 à 9 h", "il portera sur novembre 2026") // the occurrence after the one opened early

	// Unknown slugs and subcommands say what exists.
	mustContain(t, "unknown slug", run(t, rt, coordinator, "suivi pause annuel"), "Aucun suivi nommé « annuel » — voici les suivis : `mensuel`")
	mustContain(t, "unknown slug en", run(t, rt, coordEN, "checkin run nope"), "No check-in named “nope” — here are the check-ins: `mensuel`")
	mustContain(t, "no slug", run(t, rt, coordinator, "suivi lancer"), "Quel suivi ?", "`mensuel`")
	mustContain(t, "unknown sub", run(t, rt, coordinator, "suivi effacer"), "Je ne connais pas « effacer »", "/pic suivi liste", "pause-tout 2026-07-01")
	mustContain(t, "unknown sub en", run(t, rt, coordEN, "checkin zap"), "I don't know “zap”", "/pic checkin list")
}

// The console's service queues for relais serve: run now says so.
func TestSuiviRunInTheConsoleSaysWhenMessagesGo(t *testing.T) {
	st := newRouterStore(t)
	q := &queue{}
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow }}
	if _, err := svc.CreateSchedule(ctx, "test", checkin.ScheduleSpec{Slug: "mensuel", Name: "Mensuel", Cron: "0 9 1 * *"}); err != nil {
		t.Fatal(err)
	}
	rt := commands.New(st, commands.Options{Now: func() time.Time { return checkinNow }, Checkins: svc, CheckinsQueueOnly: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	r := run(t, rt, coordinator, "suivi lancer mensuel")
	mustContain(t, "console run", r, "Tour ouvert pour *Mensuel*, sur octobre 2026", "ils partent seulement depuis `relais serve`")
	// A cron spec is shown as typed, with its zone.
	mustContain(t, "cron list", run(t, rt, coordinator, "suivi"), "`0 9 1 * *` (America/Montreal)")
	// No trigger (the console): the form says it opens in Slack only.
	mustContain(t, "console create", run(t, rt, coordinator, "suivi créer"), "s'ouvre dans Slack seulement")
}

func TestSuiviPauseAll(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	mustContain(t, "fr", run(t, rt, coordinator, "suivi pause-tout 2026-12-20 04/01/2027 Fêtes & co <!here>"),
		"du 20 décembre 2026 au 4 janvier 2027", "Fêtes &amp; co @here")
	mustContain(t, "en", run(t, rt, coordEN, "checkin pause-all 2027-07-01 2027-08-31"), "from July 1, 2027 to August 31, 2027")
	mustContain(t, "spaced", run(t, rt, coordinator, "suivi pause tout 2027-03-01 2027-03-05"), "du 1er mars 2027 au 5 mars 2027")
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM checkin_pauses`); err != nil || n != 3 {
		t.Fatalf("%d pauses (%v)", n, err)
	}
	// The pauses to come are listed, and the next round skips the one of the holidays.
	list := run(t, rt, coordinator, "suivi")
	mustContain(t, "list", list, "Pauses de tous les suivis à venir", "du 20 décembre 2026 au 4 janvier 2027 — Fêtes &amp; co @here")
	mustNotContain(t, "list", list, "<!here>")

	mustContain(t, "reversed", run(t, rt, coordinator, "suivi pause-tout 2027-08-31 2027-07-01"), "finirait (2027-07-01) avant de commencer (2027-08-31)")
	mustContain(t, "reversed en", run(t, rt, coordEN, "checkin pause-all 31/08/2027 01/07/2027"), "would end (01/07/2027) before it starts (31/08/2027)")
	mustContain(t, "bad", run(t, rt, coordinator, "suivi pause-tout 2027-02-30 2027-03-01"), "« 2027-02-30 » n'est pas une date")
	mustContain(t, "bad en", run(t, rt, coordEN, "checkin pause-all soon later"), "“soon” is not a date")
	mustContain(t, "missing", run(t, rt, coordinator, "suivi pause-tout 2027-01-01"), "Donnez les deux dates")
	if err := st.DB().Get(&n, `SELECT count(*) FROM checkin_pauses`); err != nil || n != 3 {
		t.Errorf("a refused pause was written: %d pauses (%v)", n, err)
	}
}

// The list's buttons act for the clicker, whose rights are checked again,
// and answer them alone.
func TestSuiviButtons(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	list := run(t, rt, coordinator, "suivi")
	pause := button(t, list, commands.ActionSuiviPause)
	r := click(t, rt, coordinator, commands.SurfaceShared, pause.ActionID, pause.Value)
	if r.InChannel || r.ReplaceOriginal {
		t.Errorf("a button's answer is for the clicker alone: %+v", r)
	}
	mustContain(t, "pause click", r, "est en pause")
	resume := button(t, run(t, rt, coordinator, "suivi"), commands.ActionSuiviResume)
	// A partner clicking a coordinator's button (a forwarded copy) changes nothing.
	mustContain(t, "partner click", click(t, rt, partner, commands.SurfacePrivate, resume.ActionID, resume.Value), "for the coordination team.")
	var active bool
	if err := st.DB().Get(&active, `SELECT active FROM checkin_schedules WHERE slug = 'mensuel'`); err != nil || active {
		t.Errorf("active %v (%v) after a partner's click", active, err)
	}
	mustContain(t, "resume click", click(t, rt, coordEN, commands.SurfacePrivate, resume.ActionID, resume.Value), "resumes")
	run1 := button(t, list, commands.ActionSuiviRun)
	mustContain(t, "run click", click(t, rt, coordinator, commands.SurfacePrivate, run1.ActionID, run1.Value), "Tour ouvert pour")
	mustContain(t, "run click again", click(t, rt, coordinator, commands.SurfacePrivate, run1.ActionID, run1.Value), "déjà ouvert")
	mustContain(t, "stale", click(t, rt, coordinator, commands.SurfacePrivate, run1.ActionID, "gone"), "Aucun suivi nommé « gone »")

	// Edit opens the modal on the click's trigger.
	edit := button(t, list, commands.ActionSuiviEdit)
	m := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: coordinator}, ActionID: edit.ActionID,
		Value: edit.Value, Surface: commands.SurfacePrivate, TriggerID: "T-EDIT"})
	if m.OpenModal == nil || m.OpenModal.PrivateMetadata != "edit:mensuel" || m.Text != "" {
		t.Fatalf("edit click: %+v", m)
	}
}

// openModal runs a command with a trigger and returns the modal it opens.
func openModal(t *testing.T, rt *commands.Router, user, text string) *slack.ModalViewRequest {
	t.Helper()
	r := rt.Command(ctx, commands.Invocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"}, Text: text, TriggerID: "TRIG"})
	if r.OpenModal == nil {
		t.Fatalf("%q opens no modal: %s", text, allText(r))
	}
	if r.Text != "" || len(r.Blocks) != 0 {
		t.Errorf("%q: a modal needs no message besides: %+v", text, r)
	}
	checkModal(t, text, r.OpenModal)
	return r.OpenModal
}

func checkModal(t *testing.T, what string, v *slack.ModalViewRequest) {
	t.Helper()
	if v.CallbackID != commands.ViewSchedule || len([]rune(v.Title.Text)) > 24 || len([]rune(v.Submit.Text)) > 24 {
		t.Errorf("%s: modal %q %q %q", what, v.CallbackID, v.Title.Text, v.Submit.Text)
	}
	if err := blockkit.ValidateView(v.Blocks.BlockSet); err != nil {
		t.Errorf("%s: %v", what, err)
	}
	if len(v.PrivateMetadata) > 3000 {
		t.Errorf("%s: private_metadata too long", what)
	}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		if len([]rune(in.Label.Text)) > 2000 || (in.Hint != nil && len([]rune(in.Hint.Text)) > 2000) {
			t.Errorf("%s: %s: label or hint too long", what, in.BlockID)
		}
		var opts []*slack.OptionBlockObject
		switch e := in.Element.(type) {
		case *slack.SelectBlockElement:
			opts = e.Options
		case *slack.MultiSelectBlockElement:
			opts = e.Options
		case *slack.PlainTextInputBlockElement:
			if e.MaxLength > 0 && len([]rune(e.InitialValue)) > e.MaxLength {
				t.Errorf("%s: %s: initial value over its max length", what, in.BlockID)
			}
		}
		if len(opts) > commands.MaxAudienceOptions {
			t.Errorf("%s: %s: %d options", what, in.BlockID, len(opts))
		}
		for _, o := range opts {
			if len([]rune(o.Text.Text)) > 75 || len(o.Value) > 150 {
				t.Errorf("%s: %s: option %q", what, in.BlockID, o.Text.Text)
			}
		}
	}
}

// inputs reads a modal's initial values as a submission would carry them.
func inputs(v *slack.ModalViewRequest) map[string]map[string]commands.InputValue {
	out := map[string]map[string]commands.InputValue{}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		var val commands.InputValue
		switch e := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			val.Text = e.InitialValue
		case *slack.TimePickerBlockElement:
			val.Text = e.InitialTime
		case *slack.SelectBlockElement:
			if e.InitialOption != nil {
				val.Selected = []string{e.InitialOption.Value}
			}
		case *slack.MultiSelectBlockElement:
			for _, o := range e.InitialOptions {
				val.Selected = append(val.Selected, o.Value)
			}
		}
		out[in.BlockID] = map[string]commands.InputValue{"v": val}
	}
	return out
}

func submit(rt *commands.Router, user string, v *slack.ModalViewRequest, values map[string]map[string]commands.InputValue) commands.SubmissionReply {
	return rt.Submit(ctx, commands.ViewSubmission{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
		CallbackID: v.CallbackID, ViewID: "V1", PrivateMetadata: v.PrivateMetadata, Values: values})
}

func set(values map[string]map[string]commands.InputValue, block, text string, selected ...string) {
	values[block] = map[string]commands.InputValue{"v": {Text: text, Selected: selected}}
}

func TestSuiviCreateModal(t *testing.T) {
	rt, st, _ := suiviRouter(t)
	v := openModal(t, rt, coordinator, "suivi créer")
	shown, _ := json.Marshal(v)
	for _, want := range []string{"Nouveau suivi", "Qu'est-ce qui a avancé ce mois-ci ?", "What moved forward this month?",
		`"initial_time":"09:00"`, "Table de Saint-Michel", "Table de Verdun", "dernier", "mardi"} {
		if !strings.Contains(string(shown), want) {
			t.Errorf("create modal lacks %q: %s", want, shown)
		}
	}
	en := openModal(t, rt, coordEN, "checkin create")
	if en.Title.Text != "New check-in" {
		t.Errorf("English modal: %q", en.Title.Text)
	}

	// Empty name, then the fixed form: saved with the defaults.
	values := inputs(v)
	errs := submit(rt, coordinator, v, values).Errors
	if errs["name"] != i18n.T(domain.French, "checkin.invalid.name_empty", "") {
		t.Errorf("empty name: %v", errs)
	}
	set(values, "name", "Bilan du 3e jeudi")
	set(values, "nth", "", "3")
	set(values, "weekday", "", "4")
	set(values, "time", "13:30")
	set(values, "q2_en", "") // English falls back to French
	set(values, "q3_fr", "")
	set(values, "q3_en", "") // an empty slot is dropped
	set(values, "audience", "", "1", "3")
	if r := submit(rt, coordinator, v, values); r.Errors != nil {
		t.Fatalf("valid submission refused: %v", r.Errors)
	}
	sc, err := st.ScheduleBySlug(ctx, "bilan-du-3e-jeudi")
	if err != nil {
		t.Fatal(err)
	}
	if sc.CronSpec != "30 13 * * *" || *sc.NthWeekday != 3 || *sc.Weekday != 4 || len(sc.Questions) != 2 ||
		sc.Questions[1].EN != sc.Questions[1].FR || sc.AudienceAll || len(sc.Audience) != 2 || sc.CloseWorkingDays != 10 {
		t.Errorf("saved %+v", sc)
	}
	mustContain(t, "list", run(t, rt, coordinator, "suivi"), "le troisième jeudi du mois à 13 h 30", "2 Tables", "2 questions")
	// The same name again: the slug is taken.
	if errs := submit(rt, coordinator, v, values).Errors; !strings.Contains(errs["name"], "bilan-du-3e-jeudi") {
		t.Errorf("taken slug: %v", errs)
	}
}

// Each invalid field is shown under its own block, in the submitter's
// language, with the value quoted.
func TestSuiviSubmissionErrorsUnderTheirBlock(t *testing.T) {
	rt, st, _ := suiviRouter(t)
	v := openModal(t, rt, coordinator, "suivi créer")
	cases := []struct {
		user          string
		block, text   string
		wantBlock     string
		wantContains  string
		wantLangIsEng bool
	}{
		{coordinator, "cron", "0 25 * * *", "cron", "« 25 »", false},
		{coordEN, "cron", "0 9 * *", "cron", "“0 9 * *” does not have five fields", true},
		{coordinator, "cron", "0 9 30 2 *", "cron", "ne tombe jamais", false},
		{coordinator, "name", "   ", "name", "Donnez un nom", false},
		{coordinator, "q2_fr", strings.Repeat("long ", 70), "q2_fr", "trop longue", false},
		{coordEN, "q1_en", strings.Repeat("x", 301), "q1_en", "is too long", true},
		{coordinator, "q2_fr", "", "q2_fr", "doit être écrite", false}, // English without French
		{coordinator, "reminders", "2, 12", "reminders", "Un rappel après 12 jours ouvrables tomberait après la clôture", false},
		{coordEN, "reminders", "2, soon", "reminders", "“soon” is not a number", true},
		{coordinator, "close_days", "25", "close_days", "« 25 » jours ouvrables", false},
		{coordinator, "close_days", "0", "close_days", "« 0 » jours ouvrables", false},
	}
	for _, c := range cases {
		values := inputs(v)
		set(values, "name", "Essai")
		set(values, c.block, c.text)
		if c.block == "q2_fr" && c.text == "" {
			set(values, "q2_en", "Only English")
		}
		errs := submit(rt, c.user, v, values).Errors
		if len(errs) != 1 || !strings.Contains(errs[c.wantBlock], c.wantContains) {
			t.Errorf("%s=%q: errors %v, want %q under %s", c.block, c.text, errs, c.wantContains, c.wantBlock)
		}
	}
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM checkin_schedules`); err != nil || n != 0 {
		t.Errorf("refused submissions wrote %d schedules (%v)", n, err)
	}
}

// Every reason the check-in and schedule packages can give has its message
// in both languages: the reasons are read from the code.
func TestEveryInvalidReasonIsTranslated(t *testing.T) {
	var reasons []string
	for _, dir := range []string{"../internal/checkin", "../internal/checkin/schedule"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok || len(vs.Values) != len(vs.Names) {
					return true
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if ok && strings.HasPrefix(name.Name, "Reason") && lit.Kind == token.STRING {
						reasons = append(reasons, strings.Trim(lit.Value, `"`))
					}
				}
				return true
			})
		}
	}
	if len(reasons) < 20 {
		t.Fatalf("found only %d reasons: %v", len(reasons), reasons)
	}
	for _, r := range reasons {
		e := &checkin.InvalidError{Reason: schedule.Reason(r)}
		for _, lang := range []domain.Language{domain.French, domain.English} {
			if !i18n.Has(lang, e.MessageKey()) {
				t.Errorf("%s: no %s message for reason %q", e.MessageKey(), lang, r)
			}
		}
	}
}

// Editing opens the modal prefilled; the submission re-reads the schedule by
// its slug and checks the submitter again.
func TestSuiviEditModal(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_schedules SET reminder_working_days = '{3}',
		close_working_days = 8, close_hour = 16, audience_all = false`); err != nil {
		t.Fatal(err)
	}
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO checkin_schedule_audience SELECT id, 2 FROM checkin_schedules`); err != nil {
		t.Fatal(err)
	}
	v := openModal(t, rt, coordinator, "suivi modifier mensuel")
	values := inputs(v)
	for block, want := range map[string]string{"name": "Suivi <!channel> mensuel", "time": "09:00", "reminders": "3",
		"close_days": "8", "q1_fr": "Qu'est-ce qui a avancé ce mois-ci ?", "q3_en": "What help or connection would be useful to you?", "cron": ""} {
		if got := values[block]["v"].Text; got != want {
			t.Errorf("edit modal %s = %q, want %q", block, got, want)
		}
	}
	for block, want := range map[string]string{"nth": "1", "weekday": "2", "close_hour": "16", "audience": "2"} {
		if got := strings.Join(values[block]["v"].Selected, ","); got != want {
			t.Errorf("edit modal %s = %q, want %q", block, got, want)
		}
	}
	if v.PrivateMetadata != "edit:mensuel" || v.Title.Text != "Modifier le suivi" {
		t.Errorf("edit modal %q %q", v.PrivateMetadata, v.Title.Text)
	}
	mustContain(t, "edit unknown", run(t, rt, coordinator, "suivi modifier nope"), "Aucun suivi nommé « nope »")

	// A partner replaying the coordinator's view is refused, whatever it says.
	set(values, "name", "Détourné")
	forged := submit(rt, partner, v, values)
	if !strings.Contains(forged.Errors["name"], "Only the coordination team") {
		t.Errorf("forged submission: %+v", forged)
	}
	if errs := submit(rt, guest, v, values).Errors; !strings.Contains(errs["name"], "Seule l'équipe de coordination") {
		t.Errorf("guest submission: %v", errs)
	}
	// The coordinator's edit is saved, the slug and the paused state stay.
	run(t, rt, coordinator, "suivi pause mensuel")
	set(values, "name", "Suivi renommé")
	set(values, "cron", "0 10 * * 1#L")
	if r := submit(rt, coordinator, v, values); r.Errors != nil {
		t.Fatalf("edit refused: %v", r.Errors)
	}
	sc, err := st.ScheduleBySlug(ctx, "mensuel")
	if err != nil || sc.Name != "Suivi renommé" || sc.Active || sc.CronSpec != "0 10 * * *" || *sc.NthWeekday != -1 || *sc.Weekday != 1 {
		t.Errorf("after edit: %+v %v", sc, err)
	}
	mustContain(t, "list after edit", run(t, rt, coordEN, "checkin"), "Suivi renommé", "the last Monday of the month at 10:00")
	// "0 10 * * 1#L" is the last Monday at 10:00: the selects say it.
	again := inputs(openModal(t, rt, coordinator, "suivi modifier mensuel"))
	if again["cron"]["v"].Text != "" || again["nth"]["v"].Selected[0] != "-1" || again["weekday"]["v"].Selected[0] != "1" ||
		again["time"]["v"].Text != "10:00" {
		t.Errorf("prefill after edit: %v", again)
	}
	// Any other rule opens in the cron field, as typed.
	set(values, "cron", "0 10 * 1-6 1#L")
	if r := submit(rt, coordinator, v, values); r.Errors != nil {
		t.Fatalf("edit refused: %v", r.Errors)
	}
	if got := inputs(openModal(t, rt, coordinator, "suivi modifier mensuel"))["cron"]["v"].Text; got != "0 10 * 1-6 1#L" {
		t.Errorf("cron prefill %q", got)
	}
	mustContain(t, "cron rule", run(t, rt, coordinator, "suivi"), "`0 10 * 1-6 1#L` (America/Montreal)")

	// A slug that no longer exists: an error in the modal.
	v.PrivateMetadata = "edit:disparu"
	if errs := submit(rt, coordinator, v, values).Errors; !strings.Contains(errs["name"], "« disparu » n'existe plus") {
		t.Errorf("gone: %v", errs)
	}
}

// The list of the demo data, and a list with many hostile schedules, fit
// Block Kit's limits.
func TestSuiviListFitsSlackLimits(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: &queue{}, Alerter: delivery.NewAlerter(&queue{}, "")}
	long := strings.Repeat("Très long nom <!channel> & co ", 3)[:90]
	for i := range 30 {
		if _, err := svc.CreateSchedule(ctx, "test", checkin.ScheduleSpec{Slug: "s" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26)),
			Name: long, Cron: "*/5 * * * *"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		from := schedule.Date{Year: 2027, Month: time.January, Day: 1}.AddDays(3 * i)
		if _, err := svc.PauseAll(ctx, "test", from, from.AddDays(1), strings.Repeat("raison <!here> ", 20)); err != nil {
			t.Fatal(err)
		}
	}
	for _, user := range []string{coordinator, coordEN} {
		r := run(t, rt, user, "suivi")
		mustNotContain(t, user, r, "<!channel>", "<!here>")
		if len(r.Blocks) > blockkit.MaxMessageBlocks {
			t.Errorf("%d blocks", len(r.Blocks))
		}
	}
}
