package commands_test

import (
	"testing"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// person reads a person by Slack id, active or not.
func person(t *testing.T, st *store.Store, id string) (p domain.Person, found bool) {
	t.Helper()
	err := st.DB().Get(&p, `SELECT id, slack_user_id, display_name, organisation_id, role, answers_checkins, language,
		active, is_sample FROM people WHERE slack_user_id = $1`, id)
	return p, err == nil
}

func TestMembersAddMoveInBothLanguages(t *testing.T) {
	rt, st := newRouter(t)
	// The mention arrives escaped, with the name Slack gives it.
	r := run(t, rt, coordinator, "membres ajouter <@UNADIA|Nadia> Verdun")
	mustContain(t, "add", r, "C'est fait : *Nadia* (`UNADIA`) est inscrit·e : *Table de Verdun*, rôle membre d'une Table.",
		"Reçoit les suivis de la Table et peut y répondre : oui", "/pic membres répondant @UNADIA non")
	mustNotContain(t, "add", r, "<@UNADIA", commands.ActionShare)
	p, ok := person(t, st, "UNADIA")
	if !ok || p.DisplayName != "Nadia" || p.OrganisationID != 3 || p.Role != domain.RoleTableMember || !p.AnswersCheckins || !p.Active {
		t.Fatalf("added: %+v %v", p, ok)
	}
	var actor string
	if err := st.DB().Get(&actor, `SELECT actor FROM audit_log WHERE entity = 'people' AND entity_id = $1 ORDER BY id DESC LIMIT 1`,
		p.ID); err != nil || actor != "slack:UCOORD" {
		t.Errorf("audited as %q (%v), want slack:UCOORD", actor, err)
	}
	// A typo in the quartier is forgiven; the person moves, keeping name and role.
	r = run(t, rt, coordinator, "membres ajouter <@UNADIA> st-michel")
	mustContain(t, "move", r, "*Nadia* (`UNADIA`) change d'organisation : *Table de Verdun* → *Table de Saint-Michel*, rôle membre d'une Table.")
	r = run(t, rt, coordinator, "membres ajouter <@UNADIA> table-saint-michel")
	mustContain(t, "same", r, "est déjà inscrit·e : *Table de Saint-Michel*", "Rien n'a changé")
	// English, a role, an organisation by name, and a mention without a name.
	r = run(t, rt, smMember, "members add <@UNEW> Ville Exemple partner")
	mustContain(t, "member may not", r, "for the coordination team")
	if _, ok := person(t, st, "UNEW"); ok {
		t.Fatal("a Table member added someone")
	}
	en := newRouterWithEnglishCoordinator(t)
	r = run(t, en.rt, coordEN, "members add <@UNEW> Ville Exemple partner")
	mustContain(t, "en add", r, "Done: *UNEW* (`UNEW`) is registered at *Ville Exemple*, role partner.",
		"Slack sent no name with the mention", "`UNEW`")
	mustNotContain(t, "en add", r, "check-ins") // not a Table
	r = run(t, en.rt, coordEN, "members add <@UNEW2|Sam> Ville Exemple member")
	mustContain(t, "member of a city", r, "Not possible for `UNEW2`: *Ville Exemple* is not a Table de quartier.")
	r = run(t, en.rt, coordEN, "members add <@UNEW2|Sam> coordinator")
	mustContain(t, "no table", r, "Which Table or organisation?", "/pic members add @UNEW2 Verdun")
}

type englishRouter struct {
	rt *commands.Router
	st *store.Store
}

func newRouterWithEnglishCoordinator(t *testing.T) englishRouter {
	t.Helper()
	rt, st, _ := suiviRouter(t)
	return englishRouter{rt, st}
}

func TestMembersAmbiguousTableAsksWithButtons(t *testing.T) {
	rt, st := newRouter(t)
	r := run(t, rt, coordinator, "membres ajouter <@UZOE|Zoé> exemple partenaire")
	mustContain(t, "ask", r, "Plusieurs organisations correspondent à « exemple ». Laquelle ?", "Ville Exemple", "Fondation Exemple")
	if _, ok := person(t, st, "UZOE"); ok {
		t.Fatal("an ambiguous Table was picked silently")
	}
	var pick string
	for _, b := range buttons(r) {
		if b.Text.Text == "Fondation Exemple" {
			pick = b.Value
			r = click(t, rt, coordinator, commands.SurfacePrivate, b.ActionID, b.Value)
		}
	}
	if pick == "" {
		t.Fatalf("no button for Fondation Exemple: %s", allText(r))
	}
	if !r.ReplaceOriginal || r.InChannel {
		t.Errorf("the answer replaces the question, for the clicker alone: %+v", r)
	}
	mustContain(t, "picked", r, "*Zoé* (`UZOE`) est inscrit·e : *Fondation Exemple*, rôle partenaire.")
	if p, ok := person(t, st, "UZOE"); !ok || p.OrganisationID != 4 || p.Role != domain.RolePartner || p.DisplayName != "Zoé" {
		t.Errorf("picked: %+v", p)
	}
	// The same button clicked by a partner (a forwarded copy) changes nothing.
	run(t, rt, coordinator, "membres retirer <@UZOE>")
	mustContain(t, "partner click", click(t, rt, partner, commands.SurfacePrivate, commands.ActionChoose+":0", pick),
		"for the coordination team")
	if p, _ := person(t, st, "UZOE"); p.Active {
		t.Error("a partner's click brought someone back")
	}
	// A choice button runs only the commands that ask: not any other.
	mustContain(t, "forged", click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionChoose+":0", "langue en"),
		"Ce bouton n'est plus valide")
	if lang, _, _ := st.ChosenLanguage(ctx, coordinator); lang != domain.French {
		t.Errorf("a forged choice changed the language to %s", lang)
	}
	// Nothing by that name.
	mustContain(t, "unknown", run(t, rt, coordinator, "membres ajouter <@UZOE> Atlantide"),
		"Je ne trouve ni Table ni organisation nommée « Atlantide »")
	mustContain(t, "unknown en", run(t, rt, smMember, "members"), "for the coordination team")
}

func TestMembersRemoveRoleRespondent(t *testing.T) {
	rt, st := newRouter(t)
	// USM reads their Table's confidential note; their caller entry is cached.
	mustContain(t, "before", run(t, rt, smMember, "quartier Saint-Michel"), "Tension au comité")
	r := run(t, rt, coordinator, "membres retirer <@USM|membre>")
	mustContain(t, "remove", r, "*Membre Saint-Michel* (`USM`, Table de Saint-Michel) est retiré·e de Relais")
	// At once: no stale membership from the cache.
	mustNotContain(t, "after", run(t, rt, smMember, "quartier Saint-Michel"), "Tension au comité")
	if p, ok := person(t, st, "USM"); !ok || p.Active {
		t.Errorf("removed, not deleted: %+v %v", p, ok)
	}
	mustContain(t, "twice", run(t, rt, coordinator, "membres retirer <@USM>"),
		"`USM` n'est pas (ou plus) inscrit·e dans Relais", "/pic membres ajouter @personne <table>")
	mustContain(t, "no mention", run(t, rt, coordinator, "membres retirer marie"), "Mentionnez la personne avec @")
	mustContain(t, "typed at", run(t, rt, coordinator, "membres retirer @marie"), "« @marie » n'est pas une mention Slack")

	// The last coordinator can be neither removed nor demoted.
	mustContain(t, "last", run(t, rt, coordinator, "membres retirer <@UCOORD>"), "`UCOORD` est la dernière personne de l'équipe de coordination")
	mustContain(t, "last role", run(t, rt, coordinator, "membres rôle <@UCOORD> partenaire"), "dernière personne")
	if p, _ := person(t, st, "UCOORD"); !p.Active || p.Role != domain.RoleCoordinator {
		t.Fatalf("the last coordinator changed: %+v", p)
	}

	// A new role applies at once: the partner runs a coordinators' command.
	mustContain(t, "partner before", run(t, rt, partner, "members"), "for the coordination team")
	r = run(t, rt, coordinator, "membres rôle <@UPART> coordinatrice")
	mustContain(t, "role", r, "*Partenaire* (`UPART`) fait maintenant partie de la coordination (Fondation Exemple)")
	mustContain(t, "partner after", run(t, rt, partner, "members"), "Registered people")
	// Now UCOORD is not the last one.
	mustContain(t, "demote", run(t, rt, partner, "members role <@UCOORD> partner"), "is now a partner (Coalition des Tables)")
	mustContain(t, "demoted", run(t, rt, coordinator, "membres"), "réservée à l'équipe de coordination")
	mustContain(t, "unknown role", run(t, rt, partner, "members role <@UCOORD> boss"), "I don't know the role “boss”", "`coordinator`")
	mustContain(t, "no role", run(t, rt, partner, "members role <@UCOORD>"), "Which role?")

	// Respondents.
	r = run(t, rt, partner, "members respondent <@UCDN> no")
	mustContain(t, "respondent off", r, "*Membre CDN* (`UCDN`) no longer gets *Table de Côte-des-Neiges*'s check-ins.")
	if p, _ := person(t, st, "UCDN"); p.AnswersCheckins {
		t.Error("still a respondent")
	}
	mustContain(t, "respondent on", run(t, rt, partner, "members respondent <@UCDN> oui"), "now gets")
	mustContain(t, "not a table", run(t, rt, partner, "members respondent <@UPART> yes"),
		"*Fondation Exemple* is not a Table de quartier")
	mustContain(t, "yes no", run(t, rt, partner, "members respondent <@UCDN> maybe"), "Answer yes or no",
		"/pic members respondent @UCDN yes")
	mustContain(t, "unknown sub", run(t, rt, partner, "members delete <@UCDN>"), "I don't know “delete”")
}

func TestMembersHelpAndListStillWork(t *testing.T) {
	rt, _ := newRouter(t)
	h := run(t, rt, coordinator, "aide")
	mustContain(t, "help", h, "/pic membres [ajouter @personne &lt;table&gt; [rôle]", "/pic absent &lt;date | durée | fin&gt;",
		"/pic suivi [liste | statut [tour]")
	mustNotContain(t, "guest help", run(t, rt, guest, "aide"), "/pic absent", "/pic membres")
	mustContain(t, "member help", run(t, rt, smMember, "help"), "/pic away &lt;date | duration | end&gt;")
	mustContain(t, "list", run(t, rt, coordinator, "membres liste"), "Personnes inscrites (4)")
}
