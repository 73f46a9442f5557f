package digest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// checkParts fails unless every part passes the Block Kit checker and has a
// plain text.
func checkParts(t *testing.T, parts []digest.Part) {
	t.Helper()
	if len(parts) < 6 {
		t.Errorf("%d parts, want a parent and at least five replies", len(parts))
	}
	for i, p := range parts {
		if strings.TrimSpace(p.Text) == "" {
			t.Errorf("part %d has no plain text", i)
		}
		if err := blockkit.ValidateMessage(p.Text, p.Blocks); err != nil {
			t.Errorf("part %d: %v", i, err)
		}
	}
}

func allText(t *testing.T, parts []digest.Part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text + "\n" + blocksJSON(t, p) + "\n")
	}
	return b.String()
}

func TestMessagesDemoFrenchAndEnglish(t *testing.T) {
	st := demoStore(t)
	// A late note of September (Mercier-Est wrote none then), a follower, a
	// grant starting in October and a round for October with answers.
	exec(t, st, `INSERT INTO progress_notes (organisation_id, quartier_id, period, body, visibility, late, conditions)
		SELECT o.id, o.quartier_id, '2026-09-01', 'La marche de septembre a eu lieu. Le rapport suit.', 'partnership', true, '{policies}'
		FROM organisations o WHERE o.slug = 'table-mercier-est'`)
	exec(t, st, `INSERT INTO theme_follows (person_id, theme_id)
		SELECT p.id, t.id FROM people p, themes t WHERE p.slack_user_id = 'UDEMOPARTEN' AND t.slug = 'mobilite'`)
	exec(t, st, `INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
		SELECT 'F-TEST-START', i.id, o.id, 5000000, 'financial', '2026-10-15', '2027-10-14'
		FROM initiatives i, organisations o WHERE i.code = 'PIC-VER-01' AND o.slug = 'fondation-horizon'`)
	exec(t, st, `INSERT INTO checkin_rounds (schedule_id, occurrence_key, scheduled_for, period, opened_at, closes_at, status)
		SELECT s.id, 'test-2026-11', '2026-11-03 14:00+00', '2026-10-01', '2026-11-03 14:00+00', '2026-11-17 22:00+00', 'closed'
		FROM checkin_schedules s WHERE s.slug = 'suivi-mensuel'`)
	exec(t, st, `INSERT INTO checkin_prompts (round_id, organisation_id, status)
		SELECT r.id, o.id, CASE o.slug WHEN 'table-lasalle' THEN 'skipped'::prompt_status
			WHEN 'table-ahuntsic' THEN 'expired' WHEN 'table-peter-mcgill' THEN 'nothing_to_report' ELSE 'answered' END
		FROM checkin_rounds r, organisations o WHERE r.occurrence_key = 'test-2026-11' AND o.kind = 'table_de_quartier'`)

	d := build(t, st, october, digest.Partnership)
	d.PreviousPermalink = "https://example.slack.com/archives/C1/p1"
	if p := d.Participation; !p.HasRound || p.Asked != 17 || p.Answered != 14 || p.Skipped != 1 ||
		p.NothingToReport != 1 || p.NotAnswered != 1 || len(p.AnsweredNames) != 0 {
		t.Errorf("partnership participation = %+v", p)
	}
	var late bool
	for _, h := range d.Highlights {
		if h.Quartier.Name == "Mercier-Est" && h.Late && h.Period == (digest.Month{Year: 2026, Month: 9}) {
			late = true
		}
	}
	if !late {
		t.Error("the late note of September is not among the highlights")
	}
	if g := d.Connections.Follows.Groups; len(g) != 1 || g[0].Key != "mobilite" || len(g[0].Quartiers) != 2 ||
		g[0].Followers[0].SlackUserID != "UDEMOPARTEN" {
		t.Errorf("follows = %+v", d.Connections.Follows)
	}
	if g := d.Funding.Starting.Financial; len(g) != 1 || g[0].Code != "F-TEST-START" {
		t.Errorf("starting = %+v", d.Funding.Starting)
	}

	for _, tc := range []struct {
		lang domain.Language
		want []string
	}{
		{domain.French, []string{"Condensé mensuel — octobre 2026", "6 quartiers parlent de logement", "3 quartiers parlent d'aménagement urbain", "se poursuit",
			"6 quartiers touchent aux politiques", "<@UDEMOVERDUN>", "note de septembre 2026 arrivée en retard",
			"Sans note ce mois-ci : Ahuntsic, LaSalle, Peter-McGill", "Taux de réponse : *94\u00a0%* (16 sur 17 Tables)",
			"Condensé précédent", "Mobilité suivi par <@UDEMOPARTEN>", "185\u202f000\u00a0$", "Se termine d'ici le 29 janvier 2027",
			"Saint-Michel", "Lire la note", digest.ActionOpenNote}},
		{domain.English, []string{"Monthly digest — October 2026", "6 neighbourhoods talk about housing", "continuing",
			"6 neighbourhoods work on policies", "<@UDEMOVERDUN>", "September 2026 note, arrived late",
			"No note this month: Ahuntsic, LaSalle, Peter-McGill", "Response rate: *94%* (16 of 17 Tables)",
			"Previous digest", "Mobility followed by <@UDEMOPARTEN>", "$185,000", "Ending by January 29, 2027",
			"Read the note"}},
	} {
		parts := digest.Messages(d, tc.lang)
		checkParts(t, parts)
		text := allText(t, parts)
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: messages lack %q", tc.lang, w)
			}
		}
		if strings.Contains(text, "terrain municipal") {
			t.Errorf("%s: Saint-Michel's coordinators-only note is quoted", tc.lang)
		}
		md := digest.Markdown(d, tc.lang)
		for _, w := range []string{"Verdun", "F-VER-2024-01"[:0], "Sam Verdun"} {
			if !strings.Contains(md, w) {
				t.Errorf("%s: markdown lacks %q", tc.lang, w)
			}
		}
	}

	coord := build(t, st, october, digest.Coordinators)
	p := coord.Participation
	if len(p.SkippedNames) != 1 || !strings.Contains(p.SkippedNames[0], "LaSalle") ||
		len(p.NotAnsweredNames) != 1 || !strings.Contains(p.NotAnsweredNames[0], "Ahuntsic") || len(p.AnsweredNames) != 14 {
		t.Errorf("coordinators' participation = %+v", p)
	}
	if text := allText(t, digest.Messages(coord, domain.French)); !strings.Contains(text, "terrain municipal") {
		t.Error("coordinators' digest does not quote Saint-Michel's note")
	}
}

// A month without notes still gives a short digest: funding and participation.
func TestEmptyMonth(t *testing.T) {
	st := demoStore(t)
	d := build(t, st, digest.Month{Year: 2026, Month: 12}, digest.Partnership)
	if !d.Empty() || len(d.Silent) != 17 {
		t.Fatalf("December: %d highlights, %d silent", len(d.Highlights), len(d.Silent))
	}
	parts := digest.Messages(d, domain.French)
	checkParts(t, parts)
	text := allText(t, parts)
	if len(d.Connections.Themes.Groups)+len(d.Connections.Conditions.Groups) != 0 {
		t.Errorf("connections without notes: %+v", d.Connections)
	}
	for _, w := range []string{"Aucune note pour décembre 2026", "Aucune Table n'a écrit de note",
		"Aucun suivi n'a demandé de note pour décembre 2026"} {
		if !strings.Contains(text, w) {
			t.Errorf("empty month lacks %q", w)
		}
	}
	if len(parts[0].Blocks) > 6 {
		t.Errorf("the parent of an empty month has %d blocks", len(parts[0].Blocks))
	}
}

// syntheticData is a month of 1,000 quartiers, each with a long note, many
// connections, many grants and a round, with text that needs escaping.
func syntheticData(n int) store.DigestData {
	m := october.First()
	d := store.DigestData{Period: m, Questions: map[int64][]string{}}
	themes := []string{"logement", "sante", "emploi", "mobilite", "securite-alimentaire", "sante-mentale", "culture"}
	for _, s := range themes {
		d.Themes = append(d.Themes, domain.Theme{Slug: s, NameFr: "Thème <" + s + ">", NameEn: "Theme & " + s})
	}
	for i := range n {
		id := int64(i + 1)
		name := fmt.Sprintf("Quartier <@U%04d> & *%d*", i, i)
		d.Quartiers = append(d.Quartiers, store.DigestQuartier{ID: id, Slug: fmt.Sprintf("q-%d", i), Name: name,
			OrganisationID: id, RespondentIDs: []string{fmt.Sprintf("USYNT%04d", i)}, RespondentNames: []string{"R"}})
		for _, p := range []time.Time{m, m.AddDate(0, -1, 0)} {
			d.Notes = append(d.Notes, store.DigestNote{ID: id*10 + int64(p.Month()), QuartierID: id, Period: p,
				Body:       strings.Repeat("Une phrase assez longue sur le quartier et ses projets <!channel>. ", 40),
				Answers:    map[string]string{"a": strings.Repeat("Réponse un. ", 30), "b": strings.Repeat("x", 3000)},
				Visibility: domain.SharedWithPartnership, ThemeSlugs: []string{themes[i%7], themes[(i+1)%7]},
				Conditions: []string{string(domain.Conditions[i%6])}, Late: i%50 == 0})
		}
		d.Prompts = append(d.Prompts, store.DigestPrompt{OrganisationID: id, Name: "Table " + name,
			Status: []string{"answered", "skipped", "expired", "nothing_to_report"}[i%4]})
		qn := name
		d.Starting = append(d.Starting, store.DigestGrant{Code: fmt.Sprintf("S%d", i), QuartierName: &qn,
			FunderName: "Fondation <x>", Kind: domain.SupportKind([]string{"financial", "non_financial"}[i%2]),
			Cents: int64(i) * 100000, Start: m, End: m.AddDate(1, 0, -1), InitiativeTitle: "Initiative & co"})
		d.Follows = append(d.Follows, store.ThemeFollower{ThemeSlug: themes[i%7], SlackUserID: fmt.Sprintf("UF%04d", i), Name: "F"})
		d.Backings = append(d.Backings, store.InitiativeBacking{InitiativeID: id, Code: fmt.Sprintf("I-%d", i),
			Title: "Init", QuartierID: id, ThemeSlug: themes[i%7], FunderSlug: fmt.Sprintf("f%d", i%9),
			FunderName: "Funder", InMonth: true, InPrevious: i%3 == 0})
	}
	d.Ending = d.Starting
	d.Round = &store.DigestRound{ID: 1, ScheduleName: "Suivi <mensuel>"}
	return d
}

func TestMessages1000Quartiers(t *testing.T) {
	for _, a := range []digest.Audience{digest.Partnership, digest.Coordinators} {
		d := digest.FromData(syntheticData(1000), october, a)
		if len(d.Highlights) != 1000+20 {
			t.Fatalf("%d highlights, want 1,020 (20 late)", len(d.Highlights))
		}
		for _, lang := range []domain.Language{domain.French, domain.English} {
			parts := digest.Messages(d, lang)
			checkParts(t, parts)
			text := allText(t, parts)
			// Split, not cut: every quartier's highlight is there, and no
			// stored text became a mention or a broadcast.
			for _, h := range d.Highlights {
				if !strings.Contains(text, fmt.Sprintf(`\"value\":\"%d\"`, h.NoteID)) &&
					!strings.Contains(text, fmt.Sprintf(`"value":"%d"`, h.NoteID)) {
					t.Fatalf("%s %s: note %d of %s missing from the messages", a, lang, h.NoteID, h.Quartier.Name)
				}
			}
			if strings.Contains(text, "<!channel>") || strings.Contains(text, "<@U0") {
				t.Fatalf("%s %s: stored text not escaped", a, lang)
			}
			if a == digest.Coordinators && !strings.Contains(text, "Table Quartier &lt;@U0999&gt; &amp; *999*") {
				t.Errorf("%s %s: the last Table is not named in participation", a, lang)
			}
		}
	}
}

// A highlight with more answers than a section holds says how many more
// there are, never cuts one silently.
func TestLongHighlightSaysWhatItLeavesOut(t *testing.T) {
	h := digest.Highlight{Quartier: digest.QuartierRef{ID: 1, Slug: "verdun", Name: "Verdun"}, NoteID: 7,
		Period: digest.Month{Year: 2026, Month: time.October}}
	for i := range 12 {
		h.Excerpts = append(h.Excerpts, digest.Excerpt{Text: fmt.Sprintf("Réponse %d : %s", i+1, strings.Repeat("mot ", 60))})
	}
	d := digest.Digest{Month: digest.Month{Year: 2026, Month: time.October}, Audience: digest.Partnership,
		Highlights: []digest.Highlight{h}}
	for _, lang := range []domain.Language{domain.French, domain.English} {
		all := ""
		for _, p := range digest.Messages(d, lang) {
			if err := blockkit.ValidateMessage(p.Text, p.Blocks); err != nil {
				t.Errorf("%s: %v", lang, err)
			}
			raw, _ := json.Marshal(p.Blocks)
			all += string(raw)
		}
		if !strings.Contains(all, "Réponse 1 ") || strings.Contains(all, "Réponse 12 ") {
			t.Errorf("%s: the first answers, not all twelve, should show", lang)
		}
		more := map[domain.Language]string{domain.French: "autre(s) réponse(s)", domain.English: "more answer(s)"}[lang]
		if !strings.Contains(all, more) {
			t.Errorf("%s: no line says answers were left out", lang)
		}
	}
}
