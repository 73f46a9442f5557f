package commands_test

import (
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/store"
)

// awayUntil is a person's away_until as stored, "" when unset.
func awayUntil(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	var day *time.Time
	if err := st.DB().Get(&day, `SELECT away_until FROM people WHERE slack_user_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if day == nil {
		return ""
	}
	return day.Format(time.DateOnly)
}

// The routers' clock: 2026-11-01 12:00 UTC, 7:00 in Montreal.
func TestAwayDatesAndDurations(t *testing.T) {
	rt, st := newRouter(t)
	cases := []struct {
		user, text, stored string
		want               string
	}{
		{smMember, "away 2 weeks", "2026-11-14", "you are away until November 14, 2026 included"},
		{smMember, "away 10 days", "2026-11-10", "until November 10, 2026 included"},
		{smMember, "away a week", "2026-11-07", "until November 7, 2026"},
		{smMember, "away January 15", "2027-01-15", "until January 15, 2027"},
		{smMember, "away the 15th of January 2027", "2027-01-15", "until January 15, 2027"},
		{cdnMember, "absent 3 jours", "2026-11-03", "vous êtes absent·e jusqu'au 3 novembre 2026 inclus"},
		{cdnMember, "absent 2 semaines", "2026-11-14", "jusqu'au 14 novembre 2026"},
		{cdnMember, "absent un mois", "2026-11-30", "jusqu'au 30 novembre 2026"},
		{cdnMember, "absent 15 janvier", "2027-01-15", "jusqu'au 15 janvier 2027"},
		{cdnMember, "absent jusqu'au 1er décembre", "2026-12-01", "jusqu'au 1er décembre 2026"},
		{cdnMember, "absent 2027-01-15", "2027-01-15", "jusqu'au 15 janvier 2027"},
		{cdnMember, "absent 15/01/2027", "2027-01-15", "jusqu'au 15 janvier 2027"},
		{cdnMember, "absence 1er novembre", "2026-11-01", "jusqu'au 1er novembre 2026"}, // today: away today only
		{cdnMember, "absent 31 octobre", "2027-10-31", "jusqu'au 31 octobre 2027"},      // passed this year: next year's
	}
	for _, c := range cases {
		r := run(t, rt, c.user, c.text)
		mustContain(t, c.text, r, c.want)
		if got := awayUntil(t, st, c.user); got != c.stored {
			t.Errorf("%q: stored %q, want %q", c.text, got, c.stored)
		}
	}
	mustContain(t, "status", run(t, rt, cdnMember, "absent"), "Vous êtes absent·e jusqu'au 31 octobre 2027 inclus.", "`/pic absent fin`")
	mustContain(t, "end", run(t, rt, cdnMember, "absent fin"), "Bon retour")
	if got := awayUntil(t, st, cdnMember); got != "" {
		t.Errorf("after the end: %q", got)
	}
	mustContain(t, "end again", run(t, rt, cdnMember, "absent fin"), "Vous n'étiez pas absent·e")
	mustContain(t, "none", run(t, rt, cdnMember, "absent"), "Vous n'êtes pas absent·e", "`/pic absent 2 semaines`")
	mustContain(t, "end en", run(t, rt, smMember, "away end"), "Welcome back")

	// Bad input says what to type; nothing is stored.
	bad := []struct{ user, text, want string }{
		{cdnMember, "absent 2026-10-01", "Le 1er octobre 2026 est déjà passé"},
		{cdnMember, "absent bientôt", "Je ne comprends pas « bientôt »"},
		{cdnMember, "absent 31 février", "Je ne comprends pas"},
		{cdnMember, "absent 29 février", "Je ne comprends pas"}, // 2027 is no leap year
		{cdnMember, "absent 0 jours", "Je ne comprends pas"},
		{cdnMember, "absent 2028-06-01", "est à plus d'un an"},
		{smMember, "away soon", "I don't understand “soon”"},
		{smMember, "away 2020-01-01", "January 1, 2020 has already passed"},
	}
	for _, c := range bad {
		r := run(t, rt, c.user, c.text)
		mustContain(t, c.text, r, c.want)
		if got := awayUntil(t, st, c.user); got != "" {
			t.Errorf("%q stored %q", c.text, got)
		}
	}
	mustContain(t, "example", run(t, rt, cdnMember, "absent bientôt"), "`/pic absent 2 semaines`", "`/pic absent 15 janvier`")
	mustContain(t, "example en", run(t, rt, smMember, "away soon"), "`/pic away 2 weeks`", "`/pic away January 15`")

	// For people Relais knows, and personal: never shared.
	mustContain(t, "guest", run(t, rt, guest, "absent 2 semaines"), "réservée aux membres inscrits dans Relais")
	mustNotContain(t, "personal", run(t, rt, partner, "away 3 days"), "pic:share")
	mustContain(t, "partner", run(t, rt, partner, "away 3 days"), "You get no Table's check-ins at the moment")
}

// A respondent away gets no prompt; the other respondent of the same Table
// still does.
func TestAwayRespondentIsSkippedNotTheTable(t *testing.T) {
	rt, st, q := newSuiviRouter(t)
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO people (slack_user_id, display_name, organisation_id, role,
		answers_checkins) VALUES ('USM2', 'Deuxième Saint-Michel', 1, 'table_member', true)`); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "away", run(t, rt, smMember, "away 2 weeks"), "November 14, 2026")
	mustContain(t, "run", run(t, rt, coordinator, "suivi lancer mensuel"), "Tour ouvert")
	to := map[string]int{}
	for _, m := range q.msgs {
		if m.Kind == checkin.KindPrompt {
			to[m.To]++
		}
	}
	if to["USM"] != 0 || to["USM2"] != 1 || to["UCDN"] != 1 {
		t.Errorf("prompts to %v: want none to the absent USM, one each to USM2 and UCDN", to)
	}
	var recipients []string
	if err := st.DB().Select(&recipients, `SELECT p.slack_user_id FROM checkin_recipients r JOIN people p ON p.id = r.person_id
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(recipients) != 2 || recipients[0] != "UCDN" || recipients[1] != "USM2" {
		t.Errorf("recipients %v", recipients)
	}
	// Saint-Michel's Table is still asked, through USM2.
	mustContain(t, "status", run(t, rt, coordinator, "suivi statut"), "*Sans réponse (2)*\nTable de Côte-des-Neiges, Table de Saint-Michel")
}
