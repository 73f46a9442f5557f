package digest_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

var october = digest.Month{Year: 2026, Month: 10}

// The expected values below were derived by hand from
// internal/seed/demo/notes.csv (and, for the initiatives and grants, from
// initiatives.csv and funding.csv), before Build was written. A group needs
// two quartiers; groups rank by their number of quartiers, ties by theme slug
// (conditions by the framework's order); at most 5 are shown, the rest
// counted. "Continuing" means the same group exists for 2026-09, computed
// from the September notes the same audience may read.
//
// Notes of 2026-10: 14 of 17 Tables wrote; Saint-Michel's and
// Bordeaux-Cartierville's are coordinators-only, so a partnership digest
// counts them but finds connections in the other 12.
type group struct {
	key        string
	quartiers  []string
	continuing bool
}

var partnershipThemes = []group{
	{"logement", []string{"Centre-Sud", "Côte-des-Neiges", "Parc-Extension", "Pointe-Saint-Charles", "Saint-Henri", "Verdun"}, false}, // Sept.: Lachine only (Saint-Henri's is coordinators-only)
	{"participation-citoyenne", []string{"Hochelaga-Maisonneuve", "Montréal-Nord", "Rosemont", "Saint-Léonard", "Verdun"}, true},      // Sept.: Montréal-Nord, Saint-Léonard
	{"amenagement-urbain", []string{"Hochelaga-Maisonneuve", "Mercier-Est", "Pointe-Saint-Charles"}, false},                           // Sept.: Lachine only
	{"mobilite", []string{"Mercier-Est", "Rosemont"}, false},                                                                          // Sept.: Rosemont only
	{"sante", []string{"Centre-Sud", "Côte-des-Neiges"}, true},                                                                        // Sept.: Pointe-Saint-Charles, Centre-Sud, Rosemont
}

const partnershipThemesMore = 1 // securite-alimentaire: Verdun, Montréal-Nord

var partnershipConditions = []group{
	{"policies", []string{"Côte-des-Neiges", "Mercier-Est", "Pointe-Saint-Charles", "Saint-Henri", "Saint-Léonard", "Verdun"}, false}, // Sept.: Lachine only
	{"power_dynamics", []string{"Hochelaga-Maisonneuve", "Parc-Extension", "Saint-Henri", "Verdun"}, false},                           // Sept.: Saint-Léonard only
	{"mental_models", []string{"Hochelaga-Maisonneuve", "Rosemont", "Saint-Léonard"}, true},                                           // Sept.: Côte-des-Neiges, Saint-Léonard
	{"practices", []string{"Côte-des-Neiges", "Montréal-Nord"}, true},
	{"resource_flows", []string{"Montréal-Nord", "Verdun"}, true},
}

const partnershipConditionsMore = 1 // relationships: Centre-Sud, Mercier-Est

// Coordinators read every note: Saint-Michel and Bordeaux-Cartierville join.
var coordinatorThemes = []group{
	{"logement", []string{"Centre-Sud", "Côte-des-Neiges", "Parc-Extension", "Pointe-Saint-Charles", "Saint-Henri", "Saint-Michel", "Verdun"}, true}, // Sept.: Lachine, Saint-Henri
	{"participation-citoyenne", []string{"Hochelaga-Maisonneuve", "Montréal-Nord", "Rosemont", "Saint-Léonard", "Verdun"}, true},
	{"amenagement-urbain", []string{"Hochelaga-Maisonneuve", "Mercier-Est", "Pointe-Saint-Charles"}, false},
	{"securite-alimentaire", []string{"Montréal-Nord", "Saint-Michel", "Verdun"}, true},
	{"accueil-immigration", []string{"Bordeaux-Cartierville", "Saint-Léonard"}, true},
}

const coordinatorThemesMore = 2 // mobilite, sante

// Initiatives of different quartiers with the same theme and the same funder,
// their support active in October 2026 (funding.csv), the same in September.
var initiativeGroups = []group{
	{"securite-alimentaire/fondation-lumiere", []string{"Ahuntsic", "Centre-Sud", "LaSalle", "Verdun"}, true},
	{"emploi/fonds-familles", []string{"Mercier-Est", "Montréal-Nord", "Saint-Michel"}, true},
	{"logement/fondation-lumiere", []string{"Centre-Sud", "Parc-Extension", "Pointe-Saint-Charles"}, true},
	{"accueil-immigration/centre-evaluation", []string{"Bordeaux-Cartierville", "Côte-des-Neiges"}, true},
	{"accueil-immigration/fondation-horizon", []string{"Bordeaux-Cartierville", "Peter-McGill"}, true},
}

const initiativeGroupsMore = 14

// Grants ending between 2026-11-01 and 2027-01-29 (funding.csv), by end date
// then amount; none starts in October 2026.
var (
	endingFinancial    = []string{"F-CSU-2024-01", "F-BCV-2024-04", "F-MTN-2024-02", "F-PEX-2024-02", "F-VER-2024-01"}
	endingNonFinancial = []string{"F-AHU-2024-02", "F-BCV-2024-02", "F-CDN-2024-02", "F-CSU-2024-02", "F-HOM-2024-02"}
)

// Notes per condition, 2026-07 to 2026-10, in the partnership digest: the
// shared notes only (checked against the demo database with SQL).
var conditionCounts = map[domain.Condition][4]int{
	domain.Policies:      {0, 3, 1, 6},
	domain.Practices:     {0, 4, 7, 2},
	domain.ResourceFlows: {0, 3, 4, 2},
	domain.Relationships: {0, 6, 6, 2},
	domain.PowerDynamics: {0, 2, 1, 4},
	domain.MentalModels:  {0, 2, 2, 3},
}

var noteCounts = [4]int{0, 15, 16, 14}

func demoStore(t testing.TB) *store.Store {
	t.Helper()
	st := testdb.New(t)
	if _, err := seed.Demo(context.Background(), st); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return st
}

func build(t testing.TB, st *store.Store, m digest.Month, a digest.Audience) digest.Digest {
	t.Helper()
	d, err := digest.Build(context.Background(), st, m, a)
	if err != nil {
		t.Fatalf("Build(%s, %s): %v", m, a, err)
	}
	return d
}

func checkGroups(t *testing.T, what string, got digest.Groups, want []group, more int) {
	t.Helper()
	if len(got.Groups) != len(want) {
		t.Errorf("%s: %d groups, want %d: %+v", what, len(got.Groups), len(want), keys(got))
	}
	for i := range min(len(got.Groups), len(want)) {
		g, w := got.Groups[i], want[i]
		var names []string
		for _, q := range g.Quartiers {
			names = append(names, q.Quartier.Name)
		}
		if g.Key != w.key || !slices.Equal(names, w.quartiers) || g.Continuing != w.continuing {
			t.Errorf("%s group %d = %s %v continuing=%v, want %s %v continuing=%v",
				what, i, g.Key, names, g.Continuing, w.key, w.quartiers, w.continuing)
		}
	}
	if got.More != more {
		t.Errorf("%s: %d more groups, want %d", what, got.More, more)
	}
}

func keys(g digest.Groups) []string {
	var out []string
	for _, c := range g.Groups {
		out = append(out, c.Key)
	}
	return out
}

func TestBuildDemoOctober(t *testing.T) {
	st := demoStore(t)
	d := build(t, st, october, digest.Partnership)

	checkGroups(t, "themes", d.Connections.Themes, partnershipThemes, partnershipThemesMore)
	checkGroups(t, "conditions", d.Connections.Conditions, partnershipConditions, partnershipConditionsMore)
	checkGroups(t, "initiatives", d.Connections.Initiatives, initiativeGroups, initiativeGroupsMore)
	if len(d.Connections.Follows.Groups) != 0 {
		t.Errorf("follows without anyone following: %+v", d.Connections.Follows)
	}

	// Each Table's respondents are the contacts: Verdun's one respondent
	// (Robin Verdun does not answer check-ins).
	for _, c := range d.Connections.Themes.Groups[0].Quartiers {
		if c.Quartier.Name == "Verdun" {
			if len(c.Respondents) != 1 || c.Respondents[0].SlackUserID != "UDEMOVERDUN" {
				t.Errorf("Verdun's respondents = %+v, want UDEMOVERDUN", c.Respondents)
			}
		}
	}

	var wrote, withheld []string
	for _, h := range d.Highlights {
		wrote = append(wrote, h.Quartier.Name)
		if h.Withheld {
			withheld = append(withheld, h.Quartier.Name)
			if len(h.Excerpts) != 0 || len(h.Themes) != 0 {
				t.Errorf("withheld note of %s quoted: %+v", h.Quartier.Name, h)
			}
		} else if len(h.Excerpts) == 0 {
			t.Errorf("note of %s has no excerpt", h.Quartier.Name)
		}
		if h.Late {
			t.Errorf("late note in the demo: %+v", h)
		}
	}
	wantWrote := []string{"Bordeaux-Cartierville", "Centre-Sud", "Côte-des-Neiges", "Hochelaga-Maisonneuve",
		"Lachine", "Mercier-Est", "Montréal-Nord", "Parc-Extension", "Pointe-Saint-Charles", "Rosemont",
		"Saint-Henri", "Saint-Léonard", "Saint-Michel", "Verdun"}
	if !slices.Equal(wrote, wantWrote) {
		t.Errorf("highlights = %v, want %v", wrote, wantWrote)
	}
	if want := []string{"Bordeaux-Cartierville", "Saint-Michel"}; !slices.Equal(withheld, want) {
		t.Errorf("withheld = %v, want %v", withheld, want)
	}
	var silent []string
	for _, q := range d.Silent {
		silent = append(silent, q.Name)
	}
	if want := []string{"Ahuntsic", "LaSalle", "Peter-McGill"}; !slices.Equal(silent, want) {
		t.Errorf("silent = %v, want %v", silent, want)
	}
	if d.Quartiers != 17 {
		t.Errorf("quartiers = %d, want 17", d.Quartiers)
	}

	// Verdun's note in a few lines: its first two sentences fit, the third not.
	for _, h := range d.Highlights {
		if h.Quartier.Name == "Verdun" {
			want := "La soirée sur les droits des locataires a réuni 70 personnes au centre communautaire. " +
				"Le comité logement a déposé à l'arrondissement une pétition de 600 signatures pour un registre des loyers."
			if len(h.Excerpts) != 1 || h.Excerpts[0].Text != want || !h.Excerpts[0].Cut {
				t.Errorf("Verdun's excerpt = %+v, want %q (cut)", h.Excerpts, want)
			}
		}
	}

	codes := func(gs []digest.Grant) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Code)
		}
		return out
	}
	if got := codes(d.Funding.Ending.Financial); !slices.Equal(got, endingFinancial) {
		t.Errorf("financial ending = %v, want %v", got, endingFinancial)
	}
	if got := codes(d.Funding.Ending.NonFinancial); !slices.Equal(got, endingNonFinancial) {
		t.Errorf("non-financial ending = %v, want %v", got, endingNonFinancial)
	}
	if n := len(d.Funding.Starting.Financial) + len(d.Funding.Starting.NonFinancial); n != 0 {
		t.Errorf("%d grants starting in October, want none", n)
	}

	if d.Systems.Notes != noteCounts {
		t.Errorf("notes per month = %v, want %v", d.Systems.Notes, noteCounts)
	}
	for _, c := range d.Systems.Counts {
		if c.Counts != conditionCounts[c.Condition] {
			t.Errorf("%s per month = %v, want %v", c.Condition, c.Counts, conditionCounts[c.Condition])
		}
	}
	if d.Participation.HasRound {
		t.Errorf("the demo has no round for October: %+v", d.Participation)
	}

	coord := build(t, st, october, digest.Coordinators)
	checkGroups(t, "coordinators' themes", coord.Connections.Themes, coordinatorThemes, coordinatorThemesMore)
	for _, h := range coord.Highlights {
		if h.Withheld {
			t.Errorf("coordinators' digest withholds %s", h.Quartier.Name)
		}
	}
}

// A partnership digest counts a coordinators-only note and never quotes it,
// in any rendering; a coordinators' digest quotes it.
func TestCoordinatorsOnlyNoteNeverQuoted(t *testing.T) {
	st := demoStore(t)
	const secret = "Zorglubesque"
	exec(t, st, `INSERT INTO progress_notes (organisation_id, quartier_id, period, body, visibility, conditions)
		SELECT o.id, o.quartier_id, '2026-10-01', 'Le projet `+secret+` avance. Rien d''autre.', 'coordinators', '{policies}'
		FROM organisations o WHERE o.slug = 'table-ahuntsic'`)
	exec(t, st, `INSERT INTO progress_note_themes (note_id, theme_id)
		SELECT n.id, t.id FROM progress_notes n, themes t WHERE n.body LIKE '%`+secret+`%' AND t.slug = 'mobilite'`)

	d := build(t, st, october, digest.Partnership)
	for _, lang := range []domain.Language{domain.French, domain.English} {
		for _, out := range renderings(t, d, lang) {
			if strings.Contains(out, secret) {
				t.Fatalf("partnership digest (%s) quotes a coordinators-only note: %.300s", lang, out)
			}
		}
	}
	// Counted: Ahuntsic wrote (withheld), is not silent, and its condition counts.
	found := false
	for _, h := range d.Highlights {
		found = found || (h.Quartier.Name == "Ahuntsic" && h.Withheld)
	}
	if !found {
		t.Error("the coordinators-only note of Ahuntsic is not counted in the highlights")
	}
	// Its conditions are not counted: beside its quartier named as withheld,
	// a count would tell them.
	for _, c := range d.Systems.Counts {
		if c.Condition == domain.Policies && c.Counts[3] != 6 {
			t.Errorf("policies in October = %d, want 6: the shared notes' only", c.Counts[3])
		}
	}
	// Nor does it make a connection: mobilite stays Rosemont and Mercier-Est.
	for _, g := range d.Connections.Themes.Groups {
		if g.Key == "mobilite" && len(g.Quartiers) != 2 {
			t.Errorf("a coordinators-only note joined a partnership connection: %+v", g.Quartiers)
		}
	}

	coord := build(t, st, october, digest.Coordinators)
	if md := digest.Markdown(coord, domain.French); !strings.Contains(md, secret) {
		t.Error("the coordinators' digest does not quote the coordinators-only note")
	}
	for _, c := range coord.Systems.Counts {
		if c.Condition == domain.Policies && c.Counts[3] != 7 {
			t.Errorf("coordinators' policies in October = %d, want 7 with the coordinators-only note", c.Counts[3])
		}
	}
}

func exec(t testing.TB, st *store.Store, sql string, args ...any) {
	t.Helper()
	if _, err := st.DB().ExecContext(context.Background(), "SELECT set_config('relais.actor', 'test', false)"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// renderings are every text form of d in lang.
func renderings(t *testing.T, d digest.Digest, lang domain.Language) []string {
	t.Helper()
	var out []string
	for _, p := range digest.Messages(d, lang) {
		out = append(out, p.Text, blocksJSON(t, p))
	}
	js, err := digest.JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, digest.Markdown(d, lang), string(js))
}

func blocksJSON(t *testing.T, p digest.Part) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // show "<@U…>" as Slack receives it
	if err := enc.Encode(p.Blocks); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
