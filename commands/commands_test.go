package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

var ctx = context.Background()

// The fixture's people (see testdb.Fixture).
const (
	coordinator = "UCOORD" // French
	partner     = "UPART"  // no language: Slack locale decides
	smMember    = "USM"    // Saint-Michel's Table, English
	cdnMember   = "UCDN"   // Côte-des-Neiges' Table, no language
	guest       = "UGUEST" // unknown to Relais
)

type fakeLocales map[string]string

func (f fakeLocales) SlackLocale(_ context.Context, user string) (string, error) {
	if l, ok := f[user]; ok {
		return l, nil
	}
	return "", errors.New("users.info failed")
}

func newRouter(t *testing.T) (*commands.Router, *store.Store) {
	t.Helper()
	st := testdb.WithFixture(t)
	rt := commands.New(st, commands.Options{
		Locales: fakeLocales{partner: "en-US", guest: "fr-CA"},
		Now:     func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return rt, st
}

// run sends a command and checks the reply is fit to send to Slack.
func run(t *testing.T, rt *commands.Router, user, text string) commands.Reply {
	t.Helper()
	reply := rt.Command(ctx, commands.Invocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"}, ChannelID: "C1", Text: text})
	checkReply(t, text, reply)
	return reply
}

func checkReply(t *testing.T, what string, reply commands.Reply) {
	t.Helper()
	if strings.TrimSpace(reply.Text) == "" {
		t.Errorf("%q: reply without plain text", what)
	}
	if err := blockkit.Validate(reply.Blocks); err != nil {
		t.Errorf("%q: blocks break Slack's limits: %v", what, err)
	}
	if strings.Contains(allText(reply), "%!") {
		t.Errorf("%q: formatting error in reply: %s", what, allText(reply))
	}
}

// buttonValue matches the data a button carries back, which Slack never shows.
var buttonValue = regexp.MustCompile(`"value":"(\\.|[^"\\])*"`)

// allText is everything the blocks show, as JSON, for assertions. slack-go
// marshals with HTML escaping, which would hide a raw "<!channel>".
func allText(r commands.Reply) string {
	b, _ := json.Marshal(r.Blocks)
	b = buttonValue.ReplaceAll(b, []byte(`"value":"…"`))
	unescaped := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	return r.Text + "\n" + unescaped
}

func mustContain(t *testing.T, what string, r commands.Reply, wants ...string) {
	t.Helper()
	s := allText(r)
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%q: reply lacks %q:\n%s", what, w, s)
		}
	}
}

func mustNotContain(t *testing.T, what string, r commands.Reply, nots ...string) {
	t.Helper()
	s := allText(r)
	for _, n := range nots {
		if strings.Contains(s, n) {
			t.Errorf("%q: reply must not contain %q:\n%s", what, n, s)
		}
	}
}

func buttons(r commands.Reply) []*slack.ButtonBlockElement {
	var out []*slack.ButtonBlockElement
	for _, b := range r.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					out = append(out, btn)
				}
			}
		}
	}
	return out
}

func button(t *testing.T, r commands.Reply, actionID string) *slack.ButtonBlockElement {
	t.Helper()
	for _, b := range buttons(r) {
		if strings.HasPrefix(b.ActionID, actionID) {
			return b
		}
	}
	t.Fatalf("no %s button in %s", actionID, allText(r))
	return nil
}

func TestHelpListsEveryCommandInBothLanguages(t *testing.T) {
	rt, _ := newRouter(t)
	for _, text := range []string{"", "aide", "help", "AIDE", "?"} {
		fr := run(t, rt, coordinator, text)
		mustContain(t, text, fr, "Relais : les commandes", "/pic quartier", "/pic financement", "/pic chercher",
			"/pic langue", "/pic initiatives", "/pic membres", "Exemple")
	}
	en := run(t, rt, smMember, "help")
	mustContain(t, "help", en, "Relais: the commands", "/pic neighbourhood", "/pic funding", "/pic search", "/pic language", "Example")
	mustNotContain(t, "help", en, "/pic members") // coordinators only
	g := run(t, rt, guest, "aide")
	mustContain(t, "guest help", g, "pas encore inscrit")
}

func TestUnknownVerbSuggests(t *testing.T) {
	rt, _ := newRouter(t)
	r := run(t, rt, coordinator, "quartiers Verdun")
	mustContain(t, "typo", r, "Vouliez-vous dire", "/pic quartier")
	r = run(t, rt, smMember, "fundng")
	mustContain(t, "typo en", r, "Did you mean", "funding")
	r = run(t, rt, coordinator, "xyzzy")
	mustContain(t, "unknown", r, "Je ne connais pas la commande", "xyzzy", "/pic quartier")
}

func TestQuartier(t *testing.T) {
	rt, _ := newRouter(t)
	cases := []struct {
		user, text string
		want       []string
	}{
		{coordinator, "quartier Saint-Michel", []string{"Saint-Michel", "Table de Saint-Michel", "<#C0SM>", "SM-01",
			"Épicerie solidaire", "Sécurité alimentaire", "Fondation Exemple", "1\u202f500\u202f000\u00a0$",
			"30\u00a0$", // per resident: 1.5 M$ / 50,000
			"Tension au comité", "août 2026", "dynamiques de pouvoir"}},
		{coordinator, "quartier st-michel", []string{"Table de Saint-Michel"}},
		{coordinator, "quartier SAINT MICHEL", []string{"Table de Saint-Michel"}},
		{coordinator, "q cote des neiges", []string{"Côte-des-Neiges", "CDN-01", "Tenants organised"}},
		{smMember, "neighbourhood Côte-des-Neiges", []string{"Neighbourhood roundtable", "$2,000,000", "Tenants organised"}},
		{coordinator, "quartier verdum", []string{"Verdun", "vous avez écrit", "verdum", "inconnue"}},
		{coordinator, "Verdun", []string{"Table de Verdun"}}, // no verb: the quartier
	}
	for _, c := range cases {
		mustContain(t, c.text, run(t, rt, c.user, c.text), c.want...)
	}
	// Several match, none match.
	mustContain(t, "saint", run(t, rt, coordinator, "quartier saint"), "Plusieurs quartiers", "Saint-Michel", "Saint-Henri")
	mustContain(t, "none", run(t, rt, coordinator, "quartier Atlantide"), "Aucun quartier", "Quartiers du partenariat", "Verdun")
	mustContain(t, "missing", run(t, rt, coordinator, "quartier"), "Quel quartier")
}

func TestNotesFollowVisibility(t *testing.T) {
	rt, _ := newRouter(t)
	const shared, confidential = "300 familles", "Tension au comité"
	cases := []struct {
		user      string
		sees      []string
		doesntSee []string
	}{
		{coordinator, []string{shared, confidential}, nil},
		{smMember, []string{shared, confidential}, nil}, // their own Table
		{partner, []string{shared}, []string{confidential}},
		{cdnMember, []string{shared}, []string{confidential}}, // another Table
		{guest, nil, []string{shared, confidential}},
	}
	for _, c := range cases {
		r := run(t, rt, c.user, "quartier Saint-Michel")
		mustContain(t, c.user, r, c.sees...)
		mustNotContain(t, c.user, r, c.doesntSee...)
		s := run(t, rt, c.user, "chercher comité")
		if len(c.sees) == 2 {
			mustContain(t, c.user+" search", s, "confidentielle")
		} else {
			mustNotContain(t, c.user+" search", s, "confidentielle")
		}
	}
	mustContain(t, "guest", run(t, rt, guest, "quartier Saint-Michel"), "réservées aux membres")
}

func TestEveryCommandForEveryRole(t *testing.T) {
	rt, _ := newRouter(t)
	users := map[domain.Role]string{domain.RoleCoordinator: coordinator, domain.RolePartner: partner,
		domain.RoleTableMember: cdnMember, domain.RoleGuest: guest}
	examples := map[string]string{"aide": "aide", "quartier": "quartier Verdun", "initiatives": "initiatives logement",
		"financement": "financement 2017", "chercher": "chercher logement", "langue": "langue", "membres": "membres", "suivi": "suivi", "absent": "absent",
		"suivre": "suivre", "ne": "ne plus suivre logement", "condensé": "condensé aide"}
	for _, c := range rt.Commands() {
		text, ok := examples[c.Name]
		if !ok {
			t.Fatalf("command %s has no case in this test", c.Name)
		}
		for role, user := range users {
			r := run(t, rt, user, text)
			refused := strings.Contains(r.Text, "La commande « ") || strings.Contains(r.Text, "The “")
			if c.Allows(role) == refused {
				t.Errorf("%s as %s: allowed=%v but reply %s", c.Name, role, c.Allows(role), r.Text)
			}
		}
	}
	if c, _ := rt.Lookup("membres"); c.Allows(domain.RolePartner) || c.Allows(domain.RoleGuest) || c.Allows(domain.RoleTableMember) {
		t.Error("membres must be for coordinators only")
	}
	mustContain(t, "guest members", run(t, rt, guest, "membres"), "inscrits dans Relais")
	mustContain(t, "members", run(t, rt, coordinator, "members"), "Personnes inscrites (4)", "UPART", "répond aux suivis")
}

func TestInitiativesAndPagination(t *testing.T) {
	rt, _ := newRouter(t)
	mustContain(t, "theme", run(t, rt, coordinator, "initiatives logement"), "Initiatives — Logement (2)", "SM-02", "CDN-01")
	mustContain(t, "theme en", run(t, rt, smMember, "projects housing"), "Initiatives — Housing (2)", "ongoing")
	mustContain(t, "quartier", run(t, rt, coordinator, "initiatives Saint-Michel"), "Initiatives — Saint-Michel (2)")
	mustContain(t, "funder", run(t, rt, coordinator, "initiatives fondation"), "Initiatives — Fondation Exemple (3)")
	mustContain(t, "none", run(t, rt, coordinator, "initiatives zzzz"), "ni thème, ni quartier, ni bailleur")
	all := run(t, rt, coordinator, "initiatives")
	mustContain(t, "all", all, "Initiatives (5)")
	if len(buttons(all)) != 1 { // 5 fit on one page: share only
		t.Errorf("one page needs no pager: %d buttons", len(buttons(all)))
	}
}

func TestActionsPageAndShare(t *testing.T) {
	rt, st := newRouter(t)
	// Enough initiatives for three pages.
	for i := 0; i < 22; i++ {
		if err := st.ExecAsForTest(ctx, "test", fmt.Sprintf(`INSERT INTO initiatives (code, quartier_id,
			lead_organisation_id, title, start_date) VALUES ('X-%02d', 3, 3, 'Projet %d', '2024-01-01')`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	first := run(t, rt, coordinator, "initiatives verdun")
	mustContain(t, "page 1", first, "Page 1 sur 3", "X-00", "X-08")
	mustNotContain(t, "page 1", first, "X-09")
	next := button(t, first, commands.ActionPage+":next")
	page2 := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: coordinator}, ActionID: commands.ActionPage,
		Value: next.Value, Surface: commands.SurfacePrivate})
	checkReply(t, "page 2", page2)
	if !page2.ReplaceOriginal || page2.InChannel {
		t.Errorf("a page replaces the message in place: %+v", page2)
	}
	mustContain(t, "page 2", page2, "Page 2 sur 3", "X-09", "Précédente", "Suivante")

	// Sharing shows what the whole partnership may read, even to a coordinator.
	q := run(t, rt, coordinator, "quartier Saint-Michel")
	share := button(t, q, commands.ActionShare)
	shared := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: coordinator}, ActionID: commands.ActionShare,
		Value: share.Value, Surface: commands.SurfacePrivate})
	checkReply(t, "shared", shared)
	if !shared.InChannel {
		t.Error("a shared reply is posted in the channel")
	}
	mustContain(t, "shared", shared, "300 familles", "Partagé par <@UCOORD>")
	mustNotContain(t, "shared", shared, "Tension au comité", commands.ActionShare)

	// Forged or stale values get a clear answer.
	for _, v := range []string{"", "abc", "-1|aide", "1"} {
		r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: coordinator}, ActionID: commands.ActionPage, Value: v})
		checkReply(t, v, r)
		mustContain(t, v, r, "n'est plus valide")
	}
	r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: guest}, ActionID: "other", Value: "0|aide"})
	mustContain(t, "unknown action", r, "n'est plus valide")
}

func TestFunding(t *testing.T) {
	rt, _ := newRouter(t)
	all := run(t, rt, coordinator, "financement")
	mustContain(t, "all", all, "Soutien financier", "3\u202f800\u202f000\u00a0$", "Fondation Exemple", "Par année", "2015",
		"Les quartiers côte à côte", "Côte-des-Neiges", "Par habitant", "Se terminent bientôt", "30 novembre 2026", "REG-01")
	en := run(t, rt, smMember, "funding")
	mustContain(t, "en", en, "Financial support", "$3,800,000", "Neighbourhoods side by side", "Ending soon", "November 30, 2026")
	y := run(t, rt, coordinator, "financement 2016")
	mustContain(t, "year", y, "Financement — 2016", "500\u202f684\u00a0$") // 366/731 of 1 M$, rounded
	q := run(t, rt, coordinator, "financement Saint-Michel")
	mustContain(t, "quartier", q, "Financement — Saint-Michel", "1\u202f500\u202f000\u00a0$", "Par initiative", "750\u202f000\u00a0$", "Par habitant", "30\u00a0$")
	mustContain(t, "funder", run(t, rt, coordinator, "funding ville"), "Financement — Ville Exemple", "500\u202f000\u00a0$")
	mustContain(t, "theme", run(t, rt, coordinator, "financement logement"), "Financement — Logement", "2\u202f500\u202f000\u00a0$")
	mustContain(t, "no funding", run(t, rt, coordinator, "financement 1990"), "Aucun financement")
}

func TestSearchCommand(t *testing.T) {
	rt, _ := newRouter(t)
	r := run(t, rt, coordinator, "chercher securite alimentaire")
	mustContain(t, "search", r, "Recherche : securite alimentaire", "*sécurité*", "Épicerie", "Note de progression", "août 2026")
	en := run(t, rt, smMember, "search housing")
	mustContain(t, "en", en, "Search: housing", "CDN-01", "Progress note")
	mustContain(t, "missing", run(t, rt, coordinator, "chercher"), "Que cherchez-vous")
	mustContain(t, "none", run(t, rt, coordinator, "chercher zzzzqqq"), "Rien ne correspond")
	mustContain(t, "guest", run(t, rt, guest, "chercher logement"), "initiatives seulement")
	mustContain(t, "too long", run(t, rt, coordinator, "chercher "+strings.Repeat("mot ", 60)), "trop longue")
}

func TestLanguage(t *testing.T) {
	rt, _ := newRouter(t)
	// No choice: Slack locale (en-US), else French.
	mustContain(t, "locale", run(t, rt, partner, "aide"), "Relais: the commands")
	mustContain(t, "no locale", run(t, rt, cdnMember, "aide"), "Relais : les commandes")
	mustContain(t, "current", run(t, rt, partner, "language"), "I answer you in English")
	// A choice beats the locale, for known and unknown users.
	mustContain(t, "set fr", run(t, rt, partner, "langue français"), "je vous répondrai en français")
	mustContain(t, "after", run(t, rt, partner, "help"), "Relais : les commandes")
	mustContain(t, "guest set", run(t, rt, guest, "language en"), "I will answer you in English")
	mustContain(t, "guest after", run(t, rt, guest, "aide"), "Relais: the commands")
	mustContain(t, "bad", run(t, rt, coordinator, "langue klingon"), "Je ne connais pas la langue", "klingon")
}

func TestOddInput(t *testing.T) {
	rt, _ := newRouter(t)
	mustContain(t, "long", run(t, rt, coordinator, strings.Repeat("a", 2001)), "trop longue", "2000")
	mustContain(t, "control", run(t, rt, coordinator, "quartier Ver\x00dun"), "caractères invisibles")
	mustContain(t, "bidi", run(t, rt, coordinator, "quartier \u202eVerdun"), "caractères invisibles")
	// Slack's own tokens are read as words; nothing typed becomes a live mention.
	for _, text := range []string{"quartier <!channel>", "chercher <!here> &lt;!everyone&gt;", "initiatives <@U123|bob>",
		"quartier *gras* _it_ <https://evil.example|clic>", "xx<!channel>"} {
		r := run(t, rt, coordinator, text)
		mustNotContain(t, text, r, "<!channel>", "<!here>", "<!everyone>", "<@U123", "<https://evil")
	}
	mustContain(t, "mention", run(t, rt, coordinator, "quartier <!channel>"), "@channel")
	mustContain(t, "multiline", run(t, rt, coordinator, "quartier\nVerdun"), "Table de Verdun")
}

// Every reply, in every page, stays within Slack's limits, even when data is
// long and hostile.
func TestRepliesFitSlackLimits(t *testing.T) {
	rt, st := newRouter(t)
	long := strings.Repeat("Très long titre <!channel> & co ", 40)
	for i := 0; i < 60; i++ {
		if err := st.ExecAsForTest(ctx, "test", `INSERT INTO initiatives (code, quartier_id, lead_organisation_id, title,
			summary, start_date) VALUES ($1, 1, 1, $2, $2, '2024-01-01')`, fmt.Sprintf("LONG-%02d", i), long); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"quartier saint-michel", "initiatives", "initiatives saint-michel", "chercher titre",
		"financement", "aide", "membres"} {
		r := run(t, rt, coordinator, text)
		mustNotContain(t, text, r, "<!channel>")
		if len(r.Blocks) > blockkit.MaxMessageBlocks {
			t.Errorf("%s: %d blocks", text, len(r.Blocks))
		}
	}
}

// Each user's data is theirs: a failing directory makes a guest, not an error.
func TestCallerResolutionSurvivesSlackLocaleErrors(t *testing.T) {
	rt, _ := newRouter(t)
	mustContain(t, "locale error", run(t, rt, "UOTHER", "aide"), "Relais : les commandes")
}
