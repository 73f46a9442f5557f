package commands_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// Opening the App Home publishes, for whoever opened it, who Relais knows
// them as, in their language, and the commands they may run.
func TestAppHomeForEachRole(t *testing.T) {
	rt, _ := newRouter(t)
	for _, tc := range []struct {
		user      string
		wants     []string
		forbidden []string
	}{
		{coordinator, []string{"Bonjour, Coordination", "coordination", "/pic membres", "/pic langue en"}, nil},
		{smMember, []string{"Hello, Membre Saint-Michel", "roundtable member", "/pic language fr"}, []string{"members"}},
		{guest, []string{"pas encore inscrit", "/pic quartier"}, []string{"membres"}},
	} {
		reply, err := rt.Event(ctx, commands.Event{ID: "Ev1", Type: "app_home_opened", User: tc.user, Tab: "home"})
		if err != nil || reply.Home == nil {
			t.Fatalf("%s: %+v %v", tc.user, reply, err)
		}
		if err := blockkit.Validate(reply.Home.Blocks.BlockSet); err != nil {
			t.Errorf("%s: %v", tc.user, err)
		}
		b, _ := json.Marshal(reply.Home)
		shows := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		if !strings.Contains(shows, `"type":"home"`) {
			t.Errorf("%s: not a home view: %s", tc.user, shows)
		}
		for _, w := range tc.wants {
			if !strings.Contains(shows, w) {
				t.Errorf("%s: home lacks %q: %s", tc.user, w, shows)
			}
		}
		for _, f := range tc.forbidden {
			if strings.Contains(shows, "/pic "+f) {
				t.Errorf("%s: home offers %q", tc.user, f)
			}
		}
	}
	// The Messages tab opening publishes nothing.
	if reply, err := rt.Event(ctx, commands.Event{ID: "Ev2", Type: "app_home_opened", User: coordinator, Tab: "messages"}); err != nil || reply.Home != nil {
		t.Errorf("messages tab: %+v %v", reply, err)
	}
	// Events Relais does not handle do nothing.
	if reply, err := rt.Event(ctx, commands.Event{ID: "Ev3", Type: "reaction_added", User: coordinator}); err != nil || reply.Home != nil {
		t.Errorf("unknown event: %+v %v", reply, err)
	}
}

// homeOf opens user's App Home, checks it against Slack's limits, and
// returns what it shows (button values included) and its buttons.
func homeOf(t *testing.T, rt *commands.Router, user string) (string, []*slack.ButtonBlockElement) {
	t.Helper()
	reply, err := rt.Event(ctx, commands.Event{ID: "Ev-" + user, Type: "app_home_opened", User: user, Tab: "home"})
	if err != nil || reply.Home == nil {
		t.Fatalf("%s: %+v %v", user, reply, err)
	}
	if err := blockkit.Validate(reply.Home.Blocks.BlockSet); err != nil {
		t.Errorf("%s: %v", user, err)
	}
	if n := len(reply.Home.Blocks.BlockSet); n > 100 {
		t.Errorf("%s: %d blocks in the Home", user, n)
	}
	b, _ := json.Marshal(reply.Home)
	shows := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	if strings.Contains(shows, "%!") {
		t.Errorf("%s: formatting error: %s", user, shows)
	}
	return shows, buttons(commands.Reply{Blocks: reply.Home.Blocks.BlockSet})
}

func promptOfTable(t *testing.T, st *store.Store, roundID, orgID int64) int64 {
	t.Helper()
	var id int64
	if err := st.DB().Get(&id, `SELECT id FROM checkin_prompts WHERE round_id = $1 AND organisation_id = $2`, roundID, orgID); err != nil {
		t.Fatal(err)
	}
	return id
}

func hasAction(bs []*slack.ButtonBlockElement, actionID, value string) bool {
	for _, b := range bs {
		if b.ActionID == actionID && b.Value == value {
			return true
		}
	}
	return false
}

// The App Home of each role while a round is open: a Table member sees
// their Table's check-in with the prompt's buttons (waiting, answered,
// skipped), and their Table's notes only; a coordinator, the round's
// status; partners and guests, no note at all.
func TestAppHomeWithAnOpenRound(t *testing.T) {
	rt, st, q := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow }}
	// Before any round: the member is told none is open, the coordinator that none was opened.
	shows, _ := homeOf(t, rt, smMember)
	for _, w := range []string{"No check-in round is open for *Table de Saint-Michel*", "Table de Saint-Michel's latest notes"} {
		if !strings.Contains(shows, w) {
			t.Errorf("member before a round: lacks %q: %s", w, shows)
		}
	}
	if shows, _ := homeOf(t, rt, coordinator); !strings.Contains(shows, "Aucun tour de suivi n'a encore été ouvert") {
		t.Errorf("coordinator before a round: %s", shows)
	}

	mustContain(t, "run", run(t, rt, coordinator, "suivi lancer mensuel"), "Tour ouvert")
	round := latestRoundID(t, st, "mensuel")
	sm, cdn := promptOfTable(t, st, round, 1), promptOfTable(t, st, round, 2)
	// A second person of Saint-Michel's Table who does not answer check-ins.
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO people (slack_user_id, display_name, organisation_id, role,
		answers_checkins, language) VALUES ('USM2', 'Lecteur SM', 1, 'table_member', false, 'fr')`); err != nil {
		t.Fatal(err)
	}

	// Waiting: the prompt's three buttons, on its prompt id; the Table's
	// notes, its coordinators-only one included and said so; no other
	// Table's note.
	shows, bs := homeOf(t, rt, smMember)
	for _, w := range []string{"Your Table's check-in", "Check-in — October 2026", "Table de Saint-Michel's latest notes",
		"L'épicerie solidaire a servi 300 familles", "Tension au comité", "read by the coordination team and your Table only",
		"*September 2026* — Membre Saint-Michel", "/pic language fr"} {
		if !strings.Contains(shows, w) {
			t.Errorf("waiting member: lacks %q: %s", w, shows)
		}
	}
	for _, a := range []string{checkin.ActionAnswer, checkin.ActionNothing, checkin.ActionSkip} {
		if !hasAction(bs, a, itoa(sm)) {
			t.Errorf("waiting member: no %s button on prompt %d: %+v", a, sm, bs)
		}
	}
	for _, f := range []string{"Tenants organised", "Les locataires préparent", "Côte-des-Neiges"} {
		if strings.Contains(shows, f) {
			t.Errorf("Saint-Michel's member sees %q: %s", f, shows)
		}
	}
	// The Table's reader who is no respondent sees the check-in, without
	// buttons that would be refused, and why.
	shows, bs = homeOf(t, rt, "USM2")
	if len(bs) != 0 || !strings.Contains(shows, "Seul·es les répondant·es") || !strings.Contains(shows, "Point d'étape — octobre 2026") {
		t.Errorf("non-respondent member: %+v %s", bs, shows)
	}

	// Answered, with a note that tries Slack markup: an excerpt, escaped, and Edit.
	if _, err := svc.Answer(ctx, "slack:UCDN", store.AnswerInput{PromptID: cdn, SlackUserID: cdnMember,
		Answers: map[string]string{"avancees": "Assemblée <!channel> & *logement* tenue."}, Body: "Assemblée <!channel> & *logement* tenue.",
		Visibility: domain.CoordinatorsOnly, Language: domain.French}); err != nil {
		t.Fatal(err)
	}
	shows, bs = homeOf(t, rt, cdnMember)
	for _, w := range []string{"Merci, reçu", "Assemblée &lt;!channel&gt; &amp; *logement* tenue.", "Les dernières notes de Table de Côte-des-Neiges",
		"Les locataires préparent une assemblée", "lue par la coordination et votre Table seulement", "Tenants organised three housing meetings",
		"lue par le partenariat", "/pic langue en"} {
		if !strings.Contains(shows, w) {
			t.Errorf("answered member: lacks %q: %s", w, shows)
		}
	}
	if strings.Contains(shows, "<!channel>") || !hasAction(bs, checkin.ActionEdit, itoa(cdn)) || hasAction(bs, checkin.ActionSkip, itoa(cdn)) {
		t.Errorf("answered member: buttons %+v, %s", bs, shows)
	}
	if strings.Contains(shows, "Tension au comité") || strings.Contains(shows, "épicerie") {
		t.Errorf("CDN's member sees Saint-Michel's notes: %s", shows)
	}

	// Skipped: who said so, and a note may still be written.
	if _, err := svc.SetOutcome(ctx, "slack:USM", sm, smMember, store.PromptSkipped); err != nil {
		t.Fatal(err)
	}
	shows, bs = homeOf(t, rt, smMember)
	if !strings.Contains(shows, "*Membre Saint-Michel* said *Table de Saint-Michel* skips October 2026") ||
		!hasAction(bs, checkin.ActionAnswer, itoa(sm)) || hasAction(bs, checkin.ActionSkip, itoa(sm)) {
		t.Errorf("skipped member: %+v %s", bs, shows)
	}

	// The coordinator: rate, counts, the silent Table, the pointer to the detail.
	shows, _ = homeOf(t, rt, coordinator)
	for _, w := range []string{"Les suivis en cours", "Suivi &lt;!channel&gt; mensuel — octobre 2026* · ouvert jusqu'au",
		"Taux de réponse : *67\u00a0%* (2 sur 3 Tables)", "1 répondu · 0 rien à signaler · 1 pas ce mois-ci · 1 sans réponse",
		"*Sans réponse (1)* : Table de Verdun", "`/pic suivi statut`"} {
		if !strings.Contains(shows, w) {
			t.Errorf("coordinator: lacks %q: %s", w, shows)
		}
	}
	shows, _ = homeOf(t, rt, coordEN)
	for _, w := range []string{"Check-ins under way", "Response rate: *67%* (2 of 3 Tables)", "*No answer (1)*: Table de Verdun",
		"`/pic checkin status`", "/pic language fr"} {
		if !strings.Contains(shows, w) {
			t.Errorf("English coordinator: lacks %q: %s", w, shows)
		}
	}

	// Partners and guests: who they are, their commands, their language; no note, no round.
	for _, user := range []string{partner, guest} {
		shows, bs := homeOf(t, rt, user)
		for _, f := range []string{"Assemblée", "Tension", "épicerie", "Tenants", "Les locataires", "Taux de réponse", "Response rate", "Check-in —"} {
			if strings.Contains(shows, f) {
				t.Errorf("%s's Home shows %q: %s", user, f, shows)
			}
		}
		if len(bs) != 0 || !strings.Contains(shows, "/pic lang") {
			t.Errorf("%s's Home: %+v %s", user, bs, shows)
		}
	}
}

// A round of 1,000 Tables fits the coordinator's Home: the silent Tables
// are named up to a limit, then counted.
func TestAppHomeOfCoordinatorFor1000Tables(t *testing.T) {
	rt, st, _ := newSuiviRouter(t)
	if err := st.ExecAsForTest(ctx, "test", `
		WITH q AS (INSERT INTO quartiers (slug, name, match_key, borough)
			SELECT 'q-' || i, 'Quartier <synthétique> ' || i, 'quartier synthetique ' || i, 'B' FROM generate_series(1, 1000) i
			RETURNING id, name)
		INSERT INTO organisations (slug, name, kind, quartier_id)
		SELECT 'table-' || id, 'Table du ' || name, 'table_de_quartier', id FROM q`); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "run", run(t, rt, coordinator, "suivi lancer mensuel"), "Tour ouvert")
	shows, _ := homeOf(t, rt, coordinator)
	for _, w := range []string{"(0 sur 1003 Tables)", "*Sans réponse (1003)* : ", "et 983 autres", "Table du Quartier &lt;synthétique&gt; 1"} {
		if !strings.Contains(shows, w) {
			t.Errorf("1,000 Tables: lacks %q: %s", w, shows)
		}
	}
}
