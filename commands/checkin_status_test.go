package commands_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/store"
)

// setPrompt sets the status of a round's prompt for a Table, as answering does.
func setPrompt(t *testing.T, st *store.Store, roundID, orgID int64, status string) {
	t.Helper()
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_prompts SET status = $3 WHERE round_id = $1 AND organisation_id = $2`,
		roundID, orgID, status); err != nil {
		t.Fatal(err)
	}
}

// pastRound writes a closed round of the schedule about period, with the
// Tables' answers.
func pastRound(t *testing.T, st *store.Store, slug string, period time.Time, statuses map[int64]string) int64 {
	t.Helper()
	sc, err := st.ScheduleBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	opened := period.AddDate(0, 1, 5).Add(14 * time.Hour)
	id, _, err := st.InsertRound(ctx, "test", store.RoundInput{ScheduleID: sc.ID, OccurrenceKey: period.Format("2006-01") + " test",
		ScheduledFor: opened, Period: period, OpenedAt: opened, ClosesAt: opened.AddDate(0, 0, 14)})
	if err != nil {
		t.Fatal(err)
	}
	var orgs []int64
	for o := range statuses {
		orgs = append(orgs, o)
	}
	if _, err := st.InsertPrompts(ctx, "test", id, orgs); err != nil {
		t.Fatal(err)
	}
	for o, s := range statuses {
		setPrompt(t, st, id, o, s)
	}
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_rounds SET status = 'closed', closed_at = closes_at WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func latestRoundID(t *testing.T, st *store.Store, slug string) int64 {
	t.Helper()
	sc, err := st.ScheduleBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := st.LatestRound(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rd.ID
}

func TestSuiviStatusInBothLanguages(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	mustContain(t, "no round", run(t, rt, coordinator, "suivi statut"), "Aucun tour de suivi n'a encore été ouvert",
		"`/pic suivi lancer mensuel`")
	mustContain(t, "no round en", run(t, rt, coordEN, "checkin status"), "No check-in round has been opened yet",
		"`/pic checkin run mensuel`")

	sept := pastRound(t, st, "mensuel", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
		map[int64]string{1: "answered", 2: "skipped", 3: "expired"})
	mustContain(t, "run", run(t, rt, coordinator, "suivi lancer mensuel"), "Tour ouvert")
	oct := latestRoundID(t, st, "mensuel")
	setPrompt(t, st, oct, 1, "answered") // Saint-Michel answered; CDN was sent its DM; Verdun has nobody

	for _, text := range []string{"suivi statut", "suivi status", "SUIVI STATUT mensuel", "suivi statut 2026-10",
		"suivi statut octobre 2026", "suivi statut Octobre", "suivi statut mensuel oct.", "suivi statut 10/2026"} {
		r := run(t, rt, coordinator, text)
		mustContain(t, text, r, "Réponses : Suivi &lt;!channel&gt; mensuel, octobre 2026", "`mensuel`", "en cours jusqu'au",
			"*Taux de réponse : 33\u00a0%* (1 sur 3 Tables)",
			"1 répondu · 0 rien à signaler · 0 pas ce mois-ci · 2 sans réponse",
			"*Sans réponse (1)*\nTable de Côte-des-Neiges", "*Sans réponse, personne ne l'a reçu (aucun répondant inscrit, ou tous absents, à l'ouverture du tour) (1)*\nTable de Verdun",
			"*Ont répondu (1)*\nTable de Saint-Michel",
			"*Tours précédents*", "• septembre 2026 — *Taux de réponse : 67\u00a0%* (2 sur 3 Tables) · 1 répondu · 0 rien à signaler · 1 pas ce mois-ci · 1 sans réponse")
		mustNotContain(t, text, r, "<!channel>", commands.ActionShare, "Autres suivis")
	}
	en := run(t, rt, coordEN, "checkin status")
	mustContain(t, "en", en, "Answers: Suivi &lt;!channel&gt; mensuel, October 2026", "*Response rate: 33%* (1 of 3 Tables)",
		"1 answered · 0 nothing to report · 0 skipped · 2 no answer", "*No answer (1)*", "*No answer, nobody received it (no respondent registered, or all away, when the round opened) (1)*",
		"*Answered (1)*", "*Earlier rounds*", "• September 2026")

	// An earlier round, by month, number or slug and month: closed, and no later round in its history.
	for _, text := range []string{"suivi statut 2026-09", "suivi statut septembre 2026", "suivi statut mensuel sept",
		"suivi statut " + itoa(sept), "suivi statut #" + itoa(sept), "suivi statut tour " + itoa(sept)} {
		r := run(t, rt, coordinator, text)
		mustContain(t, text, r, "Réponses : Suivi &lt;!channel&gt; mensuel, septembre 2026", "clos le",
			"*Pas ce mois-ci (1)*\nTable de Côte-des-Neiges", "*Sans réponse, personne ne l'a reçu (aucun répondant inscrit, ou tous absents, à l'ouverture du tour) (1)*\nTable de Verdun")
		mustNotContain(t, text, r, "Tours précédents", "• octobre 2026")
	}
	mustContain(t, "en month", run(t, rt, coordEN, "checkin status September"), "Answers: Suivi &lt;!channel&gt; mensuel, September 2026",
		"*Skipped this month (1)*")

	// What matches nothing says what exists; what reads as no round says how to name one.
	mustContain(t, "unknown", run(t, rt, coordinator, "suivi statut 2025-01"), "Aucun tour ne correspond à « 2025-01 »",
		"`/pic suivi statut mensuel 2026-10`", "`/pic suivi statut mensuel 2026-09`")
	mustContain(t, "unknown en", run(t, rt, coordEN, "checkin status 999999"), "No round matches “999999”",
		"`/pic checkin status mensuel 2026-10`")
	mustContain(t, "unreadable", run(t, rt, coordinator, "suivi statut bof"), "Quel tour ?", "`/pic suivi statut`")
	mustContain(t, "bad month", run(t, rt, coordinator, "suivi statut 2026-13"), "Quel tour ?")
	// Coordinators only.
	mustContain(t, "partner", run(t, rt, partner, "suivi statut"), "for the coordination team")
	mustContain(t, "member", run(t, rt, smMember, "checkin status"), "for the coordination team")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSuiviStatusAsksWhenSeveralRoundsMatch(t *testing.T) {
	rt, st, q := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow.AddDate(0, -1, 0) }}
	if _, err := svc.CreateSchedule(ctx, "test", checkin.ScheduleSpec{Slug: "trimestriel", Name: "Suivi trimestriel",
		Cron: "0 10 * * *", NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		t.Fatal(err)
	}
	run(t, rt, coordinator, "suivi lancer mensuel")
	run(t, rt, coordinator, "suivi lancer trimestriel")
	trim := latestRoundID(t, st, "trimestriel")
	setPrompt(t, st, trim, 2, "nothing_to_report")

	r := run(t, rt, coordinator, "suivi statut octobre")
	mustContain(t, "ask", r, "2 tours correspondent à « octobre ». Lequel ?", "Suivi trimestriel — octobre 2026 (ouvert le 1er novembre 2026)",
		"Suivi &lt;!channel&gt; mensuel — octobre 2026")
	mustNotContain(t, "ask", r, "Taux de réponse")
	var picked commands.Reply
	for _, b := range buttons(r) {
		if strings.HasPrefix(b.Text.Text, "Suivi trimestriel") {
			picked = click(t, rt, coordinator, commands.SurfacePrivate, b.ActionID, b.Value)
		}
	}
	mustContain(t, "picked", picked, "Réponses : Suivi trimestriel, octobre 2026", "*Rien à signaler (1)*\nTable de Côte-des-Neiges")
	if !picked.ReplaceOriginal {
		t.Error("the answer should replace the question")
	}
	// With a slug, no question.
	mustContain(t, "slug", run(t, rt, coordinator, "suivi statut octobre mensuel"), "Réponses : Suivi &lt;!channel&gt; mensuel, octobre 2026")
	// No argument: the latest opened round, and a button for the other schedule.
	cur := run(t, rt, coordinator, "suivi statut")
	mustContain(t, "current", cur, "Réponses : Suivi trimestriel", "Autres suivis :")
	other := button(t, cur, commands.ActionChoose)
	mustContain(t, "other", click(t, rt, coordinator, commands.SurfacePrivate, other.ActionID, other.Value),
		"Réponses : Suivi &lt;!channel&gt; mensuel, octobre 2026")
}

func TestSuiviStatusFor1000TablesFitsOneMessage(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	if err := st.ExecAsForTest(ctx, "test", `
		WITH q AS (INSERT INTO quartiers (slug, name, match_key, borough)
			SELECT 'q-' || i, 'Quartier synthétique ' || i, 'quartier synthetique ' || i, 'B' FROM generate_series(1, 1000) i
			RETURNING id, name)
		INSERT INTO organisations (slug, name, kind, quartier_id)
		SELECT 'table-' || id, 'Table du ' || name, 'table_de_quartier', id FROM q`); err != nil {
		t.Fatal(err)
	}
	run(t, rt, coordinator, "suivi lancer mensuel")
	round := latestRoundID(t, st, "mensuel")
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_prompts SET status = (ARRAY['answered', 'skipped',
		'nothing_to_report', 'sent']::prompt_status[])[1 + id % 4] WHERE round_id = $1`, round); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{coordinator, coordEN} {
		r := run(t, rt, who, "suivi statut")
		if err := blockkit.ValidateMessage(r.Text, r.Blocks); err != nil {
			t.Errorf("%s: %v", who, err)
		}
		mustNotContain(t, who, r, "trop longue", "too long", "List cut")
	}
	r := run(t, rt, coordinator, "suivi statut")
	mustContain(t, "1000", r, "sur 1003 Tables)", "autres", "Sans réponse, personne ne l'a reçu (aucun répondant inscrit, ou tous absents, à l'ouverture du tour) (251)", "Ont répondu (250)")
	mustContain(t, "1000 en", run(t, rt, coordEN, "checkin status"), "more", "No answer, nobody received it (no respondent registered, or all away, when the round opened) (251)")
}
