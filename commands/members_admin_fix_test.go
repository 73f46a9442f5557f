package commands_test

import (
	"strings"
	"testing"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
)

// clickLabel clicks the button of r labelled label, failing when there is none.
func clickLabel(t *testing.T, rt *commands.Router, user string, r commands.Reply, label string) commands.Reply {
	t.Helper()
	for _, b := range buttons(r) {
		if b.Text.Text == label {
			return click(t, rt, user, commands.SurfacePrivate, b.ActionID, b.Value)
		}
	}
	t.Fatalf("no button %q in %s", label, allText(r))
	return commands.Reply{}
}

func buttonLabels(r commands.Reply) []string {
	var out []string
	for _, b := range buttons(r) {
		out = append(out, b.Text.Text)
	}
	return out
}

// Every combination of the same or another organisation, the same or
// another role, answering or not, says what changed.
func TestMembersAddSaysWhatChanged(t *testing.T) {
	rt, st, _ := suiviRouter(t)
	cases := []struct {
		user, text   string
		want         []string
		org          int64
		role         domain.Role
		answers      bool
		notAnyOfThis []string
	}{
		{coordinator, "membres ajouter <@USM> table-saint-michel", []string{"*Membre Saint-Michel* (`USM`) est déjà inscrit·e : *Table de Saint-Michel*, rôle membre d'une Table. Rien n'a changé.",
			"Reçoit les suivis de la Table et peut y répondre : oui"}, 1, domain.RoleTableMember, true, nil},
		{coordinator, "membres ajouter <@USM> table-saint-michel coordinateur", []string{"C'est fait : *Membre Saint-Michel* (`USM`), *Table de Saint-Michel* : rôle membre d'une Table → coordination.",
			"peut y répondre : oui"}, 1, domain.RoleCoordinator, true, []string{"Rien n'a changé"}},
		{coordinator, "membres ajouter <@USM> table-verdun", []string{"C'est fait : *Membre Saint-Michel* (`USM`) change d'organisation : *Table de Saint-Michel* → *Table de Verdun*, rôle coordination.",
			"peut y répondre : oui"}, 3, domain.RoleCoordinator, true, []string{"Rien n'a changé", "→ coordination"}},
		{coordinator, "membres ajouter <@USM> table-cdn membre", []string{"*Table de Verdun* → *Table de Côte-des-Neiges*, rôle coordination → membre d'une Table."},
			2, domain.RoleTableMember, true, nil},
		{coordEN, "members respondent <@USM> no", []string{"no longer gets"}, 2, domain.RoleTableMember, false, nil},
		{coordEN, "members add <@USM> table-cdn", []string{"*Membre Saint-Michel* (`USM`) is already at *Table de Côte-des-Neiges*, role roundtable member: nothing changed.",
			"Gets the Table's check-ins: no"}, 2, domain.RoleTableMember, false, nil},
		{coordEN, "members add <@USM> table-cdn coordinator", []string{"Done: *Membre Saint-Michel* (`USM`), *Table de Côte-des-Neiges*: role roundtable member → coordination.",
			"Gets the Table's check-ins: no"}, 2, domain.RoleCoordinator, false, []string{"nothing changed"}},
		{coordEN, "members add <@USM> fondation-exemple partner", []string{"moves from *Table de Côte-des-Neiges* to *Fondation Exemple*, role coordination → partner."},
			4, domain.RolePartner, false, []string{"check-ins"}},
		{coordinator, "membres ajouter <@USM|Sam> fondation-exemple", []string{"C'est fait : *Sam* (`USM`, avant « Membre Saint-Michel ») ; toujours inscrit·e : *Fondation Exemple*, rôle partenaire."},
			4, domain.RolePartner, false, []string{"Rien n'a changé"}},
	}
	for _, c := range cases {
		r := run(t, rt, c.user, c.text)
		mustContain(t, c.text, r, c.want...)
		mustNotContain(t, c.text, r, c.notAnyOfThis...)
		p, _ := person(t, st, "USM")
		if p.OrganisationID != c.org || p.Role != c.role || p.AnswersCheckins != c.answers {
			t.Errorf("%q: stored %+v, want org %d role %s answers %v", c.text, p, c.org, c.role, c.answers)
		}
	}
}

func TestMembersOrganisationNeverPickedSilently(t *testing.T) {
	rt, st, _ := suiviRouter(t)
	// Exact slug, name or quartier name: written at once.
	for _, text := range []string{"membres ajouter <@UAAA|A> table-verdun", "membres ajouter <@UBBB|B> table de verdun",
		"membres ajouter <@UCCC|C> st-michel", "membres ajouter <@UDDD|D> Fondation Exemple partenaire"} {
		mustContain(t, text, run(t, rt, coordinator, text), "C'est fait")
	}
	// A typo: one candidate, asked, with a way out; nothing written before the click.
	r := run(t, rt, coordinator, "membres ajouter <@UZZZ|Zed> verdum")
	mustContain(t, "typo", r, "Rien ne s'appelle exactement « verdum ». Vouliez-vous dire *Table de Verdun* ?")
	if got := strings.Join(buttonLabels(r), ","); got != "Table de Verdun,Annuler" {
		t.Errorf("typo buttons %q", got)
	}
	if _, ok := person(t, st, "UZZZ"); ok {
		t.Fatal("a typo was written before any click")
	}
	mustContain(t, "cancel", clickLabel(t, rt, coordinator, r, "Annuler"), "D'accord : rien n'a été fait.")
	if _, ok := person(t, st, "UZZZ"); ok {
		t.Fatal("cancel wrote")
	}
	mustContain(t, "picked", clickLabel(t, rt, coordinator, r, "Table de Verdun"), "*Zed* (`UZZZ`) est inscrit·e : *Table de Verdun*")
	// Words held by one organisation's name: asked too.
	r = run(t, rt, coordinator, "membres ajouter <@UYYY|Yan> Coalition des")
	mustContain(t, "words", r, "Vouliez-vous dire *Coalition des Tables* ?")
	mustNotContain(t, "words", r, "Plusieurs")
	// Words of two quartiers, one of them with a Table: one candidate, said as one.
	r = run(t, rt, coordinator, "membres ajouter <@UYYY|Yan> Saint partenaire")
	mustContain(t, "saint", r, "Vouliez-vous dire *Table de Saint-Michel* ?")
	// Several: listed, with a way out.
	r = run(t, rt, coordEN, "members add <@UYYY|Yan> exemple partner")
	mustContain(t, "several en", r, "Several organisations match “exemple”. Which one?", "Ville Exemple", "Fondation Exemple", "Cancel")
	// A quartier named exactly that has no Table: said so, no unrelated Table offered.
	r = run(t, rt, coordinator, "membres ajouter <@UYYY|Yan> Saint-Henri")
	mustContain(t, "bare quartier", r, "Le quartier Saint-Henri n'a pas de Table de quartier dans Relais.", "`/pic quartier Saint-Henri`")
	if len(buttons(r)) != 0 {
		t.Errorf("bare quartier offered %v", buttonLabels(r))
	}
	if _, ok := person(t, st, "UYYY"); ok {
		t.Fatal("UY was written without a click")
	}
}

func TestMembersArgumentsParsedStrictly(t *testing.T) {
	rt, st := newRouter(t)
	mustContain(t, "unknown role", run(t, rt, coordinator, "membres ajouter <@UZZZ|z> Verdun chef"),
		"Je ne connais pas le rôle « chef ». Les rôles : `coordinateur`, `partenaire`, `membre`.")
	mustContain(t, "two in add", run(t, rt, coordinator, "membres ajouter <@UAAA|a> <@UBBB|b> Verdun"),
		"Une personne à la fois", "`/pic membres ajouter @personne …`")
	for _, id := range []string{"UZZZ", "UAAA", "UBBB"} {
		if _, ok := person(t, st, id); ok {
			t.Errorf("%s was written", id)
		}
	}
	mustContain(t, "two in remove", run(t, rt, coordinator, "membres retirer <@USM> <@UCDN>"), "Une personne à la fois")
	mustContain(t, "extra in remove", run(t, rt, coordinator, "membres retirer <@USM> vite"), "Je ne comprends pas « vite » ici.",
		"`/pic membres retirer @USM`")
	mustContain(t, "two in role", run(t, rt, coordinator, "membres rôle <@USM> <@UCDN> partenaire"), "Une personne à la fois")
	mustContain(t, "two in respondent", run(t, rt, partner, "members respondent <@USM> <@UCDN> yes"), "for the coordination team")
	mustContain(t, "two in respondent", run(t, rt, coordinator, "membres répondant <@USM> <@UCDN> oui"), "Une personne à la fois")
	for _, id := range []string{"USM", "UCDN"} {
		if p, _ := person(t, st, id); !p.Active || p.Role != domain.RoleTableMember {
			t.Errorf("%s changed: %+v", id, p)
		}
	}
	// A name of two words and a role still read as they did.
	mustContain(t, "two words", run(t, rt, coordinator, "membres ajouter <@UVVV|v> Ville Exemple partenaire"),
		"*v* (`UVVV`) est inscrit·e : *Ville Exemple*, rôle partenaire.")
	mustContain(t, "quartier of two words", run(t, rt, coordinator, "membres ajouter <@UWWW|w> Saint Michel"),
		"est inscrit·e : *Table de Saint-Michel*")
}

func TestMembersComingBackAndNewcomersOutsideATable(t *testing.T) {
	rt, st := newRouter(t)
	mustContain(t, "add", run(t, rt, coordinator, "membres ajouter <@UCO2|Camille> coalition coordinatrice"), "rôle coordination")
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET away_until = '2027-01-15' WHERE slack_user_id = 'UCO2'`); err != nil {
		t.Fatal(err)
	}
	run(t, rt, coordinator, "membres retirer <@UCO2>")
	r := run(t, rt, coordinator, "membres ajouter <@UCO2> coalition")
	mustContain(t, "back", r, "C'est fait : *Camille* (`UCO2`) est de retour dans Relais : *Coalition des Tables*, rôle coordination.",
		"Son rôle d'avant lui est rendu.", "Son absence notée jusqu'au 15 janvier 2027 est effacée")
	if p, _ := person(t, st, "UCO2"); p.Role != domain.RoleCoordinator || awayUntil(t, st, "UCO2") != "" {
		t.Errorf("back: %+v away %q", p, awayUntil(t, st, "UCO2"))
	}
	// Someone new outside a Table, no role: asked, nothing written before the click.
	r = run(t, rt, coordinator, "membres ajouter <@UNEWP|Pat> coalition")
	mustContain(t, "which role", r, "Quel rôle pour *Pat* (`UNEWP`) ? Organisation : *Coalition des Tables*.")
	if got := strings.Join(buttonLabels(r), ","); got != "Coordination,Partenaire,Annuler" {
		t.Errorf("role buttons %q", got)
	}
	if _, ok := person(t, st, "UNEWP"); ok {
		t.Fatal("written before the click")
	}
	mustContain(t, "picked", clickLabel(t, rt, coordinator, r, "Partenaire"), "*Pat* (`UNEWP`) est inscrit·e : *Coalition des Tables*, rôle partenaire.")
	// Someone new at a Table: a member, no question.
	mustContain(t, "table", run(t, rt, coordinator, "membres ajouter <@UNEWT|Tom> verdun"), "rôle membre d'une Table")
}

func TestMembersListShowsWhoIsAway(t *testing.T) {
	rt, st, _ := suiviRouter(t)
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET away_until = CASE slack_user_id
		WHEN 'UCDN' THEN '2026-11-20'::date WHEN 'USM' THEN '2026-10-01'::date END WHERE slack_user_id IN ('UCDN', 'USM')`); err != nil {
		t.Fatal(err)
	}
	r := run(t, rt, coordinator, "membres")
	mustContain(t, "fr", r, "*Membre CDN* `UCDN` — membre d'une Table · Table de Côte-des-Neiges · langue de Slack · répond aux suivis · absent·e jusqu'au 20 novembre 2026 inclus")
	mustNotContain(t, "fr", r, "octobre 2026") // an absence that ended
	mustContain(t, "en", run(t, rt, coordEN, "members"), "away until November 20, 2026 included")
}

func TestMembersSelfDemotionAsksFirst(t *testing.T) {
	rt, st := newRouter(t)
	// The last coordinator: refused outright, no question.
	mustContain(t, "last", run(t, rt, coordinator, "membres retirer <@UCOORD>"), "dernière personne")
	run(t, rt, coordinator, "membres rôle <@UPART> coordinateur")
	r := run(t, rt, coordinator, "membres rôle <@UCOORD> partenaire")
	mustContain(t, "ask role", r, "Vous allez vous donner le rôle partenaire", "Confirmez-vous ?")
	if p, _ := person(t, st, coordinator); p.Role != domain.RoleCoordinator {
		t.Fatal("demoted before confirming")
	}
	mustContain(t, "confirmed", clickLabel(t, rt, coordinator, r, "Oui, je confirme"), "*Coordination* (`UCOORD`) est maintenant partenaire")
	if p, _ := person(t, st, coordinator); p.Role != domain.RolePartner {
		t.Fatalf("not demoted after confirming: %+v", p)
	}
	// Demoting someone else is not asked about.
	mustContain(t, "other", run(t, rt, partner, "members role <@UCOORD> coordinator"), "is now a coordinator")
	r = run(t, rt, partner, "members remove <@UPART>")
	mustContain(t, "ask remove", r, "You are about to remove yourself from Relais", "Yes, I confirm", "Cancel")
	mustContain(t, "cancelled", clickLabel(t, rt, partner, r, "Cancel"), "All right: nothing was done.")
	if p, _ := person(t, st, partner); !p.Active {
		t.Fatal("removed after cancel")
	}
	r = run(t, rt, coordinator, "membres ajouter <@UCOORD> table-verdun membre")
	mustContain(t, "ask add", r, "Vous allez vous donner le rôle membre d'une Table")
	if p, _ := person(t, st, coordinator); p.OrganisationID != 6 {
		t.Fatal("moved before confirming")
	}
}

func TestMembersHelp(t *testing.T) {
	rt, _ := newRouter(t)
	mustContain(t, "fr", run(t, rt, coordinator, "membres aide"), "Pour changer l'annuaire", "`/pic membres ajouter @personne",
		"`/pic membres répondant @personne non`")
	mustContain(t, "en", run(t, rt, partner, "members help"), "for the coordination team")
	run(t, rt, coordinator, "membres rôle <@UPART> coordinateur")
	mustContain(t, "en", run(t, rt, partner, "members help"), "To change the directory", "`/pic members add @person",
		"`/pic members respondent @person no`")
}
