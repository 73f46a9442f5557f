package commands_test

import (
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
)

// Schedules are found by slug, a slug's distinctive word or their name;
// several are asked about, never picked.
func TestSuiviSchedulesByWordOrName(t *testing.T) {
	rt, st, q := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow.AddDate(0, -1, 0) }}
	if _, err := svc.CreateSchedule(ctx, "test", checkin.ScheduleSpec{Slug: "suivi-trimestriel", Name: "Suivi Trimestriel",
		Cron: "0 10 * * *", NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "run by word", run(t, rt, coordinator, "suivi lancer trimestriel"), "Tour ouvert")
	for _, text := range []string{"suivi statut trimestriel", "suivi statut suivi trimestriel", "suivi statut SUIVI TRIMESTRIEL oct",
		"suivi statut trimestriel octobre 2026", "suivi statut suivi-trimestriel", "suivi statut trim"} {
		mustContain(t, text, run(t, rt, coordinator, text), "Réponses : Suivi Trimestriel, octobre 2026")
	}
	mustContain(t, "en synonym", run(t, rt, coordEN, "checkin status quarterly"), "Answers: Suivi Trimestriel, October 2026")
	// "suivi" alone is in both names: asked, with a button each.
	r := run(t, rt, coordinator, "suivi statut suivi")
	mustContain(t, "ask", r, "Plusieurs suivis correspondent à « suivi ». Lequel ?", "Suivi &lt;!channel&gt; mensuel", "Suivi Trimestriel")
	mustNotContain(t, "ask", r, "Taux de réponse")
	mustContain(t, "picked", clickLabel(t, rt, coordinator, r, "Suivi Trimestriel"), "Réponses : Suivi Trimestriel, octobre 2026")
	r = run(t, rt, coordinator, "suivi pause suivi")
	mustContain(t, "ask pause", r, "Plusieurs suivis correspondent à « suivi ». Lequel ?")
	if sc, _ := st.ScheduleBySlug(ctx, "suivi-trimestriel"); !sc.Active {
		t.Fatal("paused before any click")
	}
	// Paused with its round open: the reply and the status say what that means.
	r = clickLabel(t, rt, coordinator, r, "Suivi Trimestriel")
	mustContain(t, "paused", r, "Le suivi *Suivi Trimestriel* (`suivi-trimestriel`) est en pause",
		"Un tour déjà ouvert garde sa date de clôture mais n'envoie plus de rappel.")
	if sc, _ := st.ScheduleBySlug(ctx, "suivi-trimestriel"); sc.Active {
		t.Fatal("not paused after the click")
	}
	mustContain(t, "status paused", run(t, rt, coordinator, "suivi statut trimestriel"),
		"*En pause* : ce tour garde sa date de clôture mais n'envoie plus de rappel ; aucun nouveau tour ne s'ouvrira avant `/pic suivi reprendre suivi-trimestriel`.")
	mustContain(t, "status paused en", run(t, rt, coordEN, "checkin status quarterly"), "*Paused*: this round keeps its closing date but sends no more reminders")
	mustNotContain(t, "active", run(t, rt, coordinator, "suivi statut mensuel"), "En pause")
	mustContain(t, "resume", run(t, rt, coordEN, "checkin resume quarterly"), "resumes")
	// Nothing by that name: a clear message with what exists.
	mustContain(t, "unknown", run(t, rt, coordinator, "suivi statut hebdo"), "Aucun suivi ne correspond à « hebdo ».",
		"`mensuel` (Suivi &lt;!channel&gt; mensuel)", "`suivi-trimestriel` (Suivi Trimestriel)")
	mustContain(t, "unknown pause", run(t, rt, coordinator, "suivi pause hebdo"), "Aucun suivi nommé « hebdo »")
}

func TestSuiviHelpAndWords(t *testing.T) {
	rt, _, _ := newSuiviRouter(t)
	mustContain(t, "aide", run(t, rt, coordinator, "suivi aide"), "`/pic suivi statut`", "`/pic suivi pause mensuel`",
		"`/pic suivi pause-tout 2026-07-01 2026-08-31 vacances`")
	mustContain(t, "help", run(t, rt, coordEN, "checkin help"), "`/pic checkin status`", "`/pic checkin resume mensuel`")
	mustContain(t, "unknown sub", run(t, rt, coordinator, "suivi bof"), "`statut mensuel`", "`aide`")
	mustContain(t, "unknown sub en", run(t, rt, coordEN, "checkin meh"), "`status mensuel`")
	// One pair of words for a Table that has not answered.
	run(t, rt, coordinator, "suivi lancer mensuel")
	r := run(t, rt, coordinator, "suivi")
	mustContain(t, "list", r, "sans réponse")
	mustNotContain(t, "list", r, "en attente")
	r = run(t, rt, coordEN, "checkin")
	mustContain(t, "list en", r, "no answer")
	mustNotContain(t, "list en", r, "pending")
}
