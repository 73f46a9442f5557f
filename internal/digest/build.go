package digest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// Build computes month m's digest for audience a from the data, read on one
// snapshot of the database: the same data and month always give the same
// digest. PreviousPermalink is left for the publisher.
func Build(ctx context.Context, st *store.Store, m Month, a Audience) (Digest, error) {
	if !a.Valid() {
		return Digest{}, fmt.Errorf("digest audience %q: %w", a, ErrBadAudience)
	}
	if m.IsZero() || m.Month < time.January || m.Month > time.December {
		return Digest{}, fmt.Errorf("digest month %v: %w", m, ErrBadMonth)
	}
	data, err := st.DigestData(ctx, m.First())
	if err != nil {
		return Digest{}, fmt.Errorf("digest %s: %w", m, err)
	}
	return FromData(data, m, a), nil
}

// FromData is Build without the database: the digest of m for a, computed
// from data alone.
func FromData(data store.DigestData, m Month, a Audience) Digest {
	b := newBuilder(data, a)
	d := Digest{Month: m, Audience: a, Quartiers: len(data.Quartiers)}
	d.Highlights, d.Silent = b.highlights(m)
	d.Connections = b.connections(m)
	d.Funding = Funding{Starting: grants(data.Starting), Ending: grants(data.Ending)}
	d.Systems = systems(data, m, a)
	d.Participation = participation(data, a)
	return d
}

type builder struct {
	data      store.DigestData
	audience  Audience
	quartiers map[int64]store.DigestQuartier
	themes    map[string]Theme
	// keys caches each name's sort key: folding names in every comparison
	// cost most of a 1,000-quartier digest.
	keys map[string]string
}

// compare orders names as a reader expects: accents and case aside.
func (b *builder) compare(x, y string) int {
	kx, ok := b.keys[x]
	if !ok {
		kx = domain.MatchKey(x)
		b.keys[x] = kx
	}
	ky, ok := b.keys[y]
	if !ok {
		ky = domain.MatchKey(y)
		b.keys[y] = ky
	}
	return cmp.Or(strings.Compare(kx, ky), strings.Compare(x, y))
}

func newBuilder(data store.DigestData, a Audience) *builder {
	b := &builder{data: data, audience: a,
		quartiers: make(map[int64]store.DigestQuartier, len(data.Quartiers)),
		themes:    make(map[string]Theme, len(data.Themes)), keys: map[string]string{}}
	for _, q := range data.Quartiers {
		b.quartiers[q.ID] = q
	}
	for _, t := range data.Themes {
		b.themes[t.Slug] = Theme{Slug: t.Slug, NameFr: t.NameFr, NameEn: t.NameEn}
	}
	return b
}

// quotable reports whether the audience may read the note: a partnership
// digest quotes only notes shared with the partnership.
func (b *builder) quotable(n store.DigestNote) bool {
	return b.audience == Coordinators || n.Visibility == domain.SharedWithPartnership
}

func (b *builder) ref(id int64) QuartierRef {
	q := b.quartiers[id]
	return QuartierRef{ID: id, Slug: q.Slug, Name: q.Name}
}

func (b *builder) contact(id int64) Contact {
	q := b.quartiers[id]
	c := Contact{Quartier: b.ref(id)}
	for i, uid := range q.RespondentIDs {
		c.Respondents = append(c.Respondents, Person{SlackUserID: uid, Name: q.RespondentNames[i]})
	}
	return c
}

// highlights are the notes of m and the late notes of m−1, by quartier name,
// and the quartiers that have neither.
func (b *builder) highlights(m Month) ([]Highlight, []QuartierRef) {
	first, prev := m.First(), m.Prev().First()
	wrote := map[int64]bool{}
	var hs []Highlight
	for _, n := range b.data.Notes {
		late := n.Period.Equal(prev) && n.Late
		if !n.Period.Equal(first) && !late {
			continue
		}
		if _, ok := b.quartiers[n.QuartierID]; !ok {
			// A note of a quartier without a Table de quartier: keep its
			// name all the same.
			b.quartiers[n.QuartierID] = store.DigestQuartier{ID: n.QuartierID, Slug: n.QuartierSlug, Name: n.QuartierName}
		}
		wrote[n.QuartierID] = true
		h := Highlight{Quartier: b.ref(n.QuartierID), NoteID: n.ID, Period: MonthOf(n.Period), Late: late}
		if !b.quotable(n) {
			h.Withheld = true
			hs = append(hs, h)
			continue
		}
		h.Language = n.Language
		h.Excerpts = excerpts(n, b.data.Questions)
		for _, s := range n.ThemeSlugs {
			if t, ok := b.themes[s]; ok {
				h.Themes = append(h.Themes, t)
			}
		}
		h.Conditions = conditions(n.Conditions)
		hs = append(hs, h)
	}
	sort.SliceStable(hs, func(i, j int) bool {
		if c := b.compare(hs[i].Quartier.Name, hs[j].Quartier.Name); c != 0 {
			return c < 0
		}
		return hs[i].Period.First().After(hs[j].Period.First()) // M before the late note of M−1
	})
	var silent []QuartierRef
	for _, q := range b.data.Quartiers {
		if !wrote[q.ID] {
			silent = append(silent, b.ref(q.ID))
		}
	}
	return hs, silent
}

func conditions(keys []string) []domain.Condition {
	var out []domain.Condition
	for _, c := range domain.Conditions { // the framework's order
		if slices.Contains(keys, string(c)) {
			out = append(out, c)
		}
	}
	return out
}

// excerptRunes is about "a few lines": the sentences of an answer kept until
// they pass it; a first sentence longer than maxExcerptRunes is cut.
const (
	excerptRunes    = 220
	maxExcerptRunes = 300
)

// excerpts are the first sentence(s) of each answer, in the round's question
// order; a note without answers is one answer, its body.
func excerpts(n store.DigestNote, questions map[int64][]string) []Excerpt {
	var texts []string
	if len(n.Answers) > 0 {
		var order []string
		if n.RoundID != nil {
			order = questions[*n.RoundID]
		}
		seen := map[string]bool{}
		for _, k := range order {
			if !seen[k] {
				seen[k] = true
				texts = append(texts, n.Answers[k])
			}
		}
		var rest []string
		for k := range n.Answers {
			if !seen[k] {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		for _, k := range rest {
			texts = append(texts, n.Answers[k])
		}
	} else {
		texts = []string{n.Body}
	}
	var out []Excerpt
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, firstSentences(t))
		}
	}
	if len(out) == 0 && strings.TrimSpace(n.Body) != "" {
		out = append(out, firstSentences(strings.TrimSpace(n.Body)))
	}
	return out
}

// firstSentences keeps whole sentences while they fit in excerptRunes
// (always the first, cut at a word past maxExcerptRunes), on one line.
func firstSentences(text string) Excerpt {
	text = strings.Join(strings.Fields(text), " ")
	sentences := splitSentences(text)
	var kept []string
	used := 0
	for i, s := range sentences {
		n := utf8.RuneCountInString(s)
		if i > 0 && used+1+n > excerptRunes {
			break
		}
		kept = append(kept, s)
		used += n + 1
	}
	e := Excerpt{Text: strings.Join(kept, " "), Cut: len(kept) < len(sentences)}
	if utf8.RuneCountInString(e.Text) > maxExcerptRunes {
		e.Text, e.Cut = cutAtWord(e.Text, maxExcerptRunes), true
	}
	return e
}

// splitSentences splits after ., !, ?, … followed by a space and a capital
// letter, a digit or a quotation mark (so "3,2 t." or "M. Tremblay" mostly hold).
func splitSentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '.', '!', '?', '…':
		default:
			continue
		}
		j := i + 1
		for j < len(rs) && (rs[j] == '"' || rs[j] == '»' || rs[j] == ')' || rs[j] == '\'' || rs[j] == '’') {
			j++
		}
		if j >= len(rs) || rs[j] != ' ' || j+1 >= len(rs) {
			continue
		}
		next := rs[j+1]
		if unicode.IsUpper(next) || unicode.IsDigit(next) || next == '«' || next == '"' || next == '“' {
			out = append(out, strings.TrimSpace(string(rs[start:j])))
			start = j + 1
		}
	}
	if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
		out = append(out, rest)
	}
	return out
}

func cutAtWord(s string, max int) string {
	rs := []rune(s)
	if len(rs) <= max {
		return s
	}
	cut := max - 1
	for i := cut; i > max/2; i-- {
		if rs[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(rs[:cut]), " ,;:") + "…"
}

// connections finds the groups of month m and marks those also found, by the
// same function, for m−1.
func (b *builder) connections(m Month) Connections {
	cur, prev := b.allGroups(m, false), b.allGroups(m.Prev(), true)
	mark := func(gs []Connection, before []Connection) Groups {
		keys := map[string]bool{}
		for _, g := range before {
			keys[g.Key] = true
		}
		for i := range gs {
			gs[i].Continuing = keys[gs[i].Key]
		}
		if len(gs) > MaxGroups {
			return Groups{Groups: gs[:MaxGroups:MaxGroups], More: len(gs) - MaxGroups}
		}
		return Groups{Groups: gs}
	}
	return Connections{
		Themes:      mark(cur[0], prev[0]),
		Conditions:  mark(cur[1], prev[1]),
		Follows:     mark(cur[2], prev[2]),
		Initiatives: mark(cur[3], prev[3]),
	}
}

// allGroups is every connection of month m, each kind ranked: themes,
// conditions, follows, initiatives. previous says m is the month before the
// digest's (the backings carry both months).
func (b *builder) allGroups(m Month, previous bool) [4][]Connection {
	first := m.First()
	byTheme := map[string]map[int64]bool{}
	byCondition := map[string]map[int64]bool{}
	add := func(into map[string]map[int64]bool, key string, q int64) {
		if into[key] == nil {
			into[key] = map[int64]bool{}
		}
		into[key][q] = true
	}
	for _, n := range b.data.Notes {
		if !n.Period.Equal(first) || !b.quotable(n) {
			continue
		}
		for _, t := range n.ThemeSlugs {
			add(byTheme, t, n.QuartierID)
		}
		for _, c := range n.Conditions {
			add(byCondition, c, n.QuartierID)
		}
	}
	var out [4][]Connection
	for slug, qs := range byTheme {
		t, ok := b.themes[slug]
		if !ok || len(qs) < 2 {
			continue
		}
		out[0] = append(out[0], Connection{Kind: ByTheme, Key: slug, Theme: &t, Quartiers: b.contacts(qs)})
	}
	for key, qs := range byCondition {
		if len(qs) < 2 {
			continue
		}
		out[1] = append(out[1], Connection{Kind: ByCondition, Key: key, Condition: domain.Condition(key),
			Quartiers: b.contacts(qs)})
	}
	followers := map[string][]Person{}
	for _, f := range b.data.Follows {
		followers[f.ThemeSlug] = append(followers[f.ThemeSlug], Person{SlackUserID: f.SlackUserID, Name: f.Name})
	}
	for slug, people := range followers {
		t, ok := b.themes[slug]
		if !ok || len(byTheme[slug]) == 0 {
			continue
		}
		out[2] = append(out[2], Connection{Kind: ByFollow, Key: slug, Theme: &t, Quartiers: b.contacts(byTheme[slug]),
			Followers: people})
	}
	type backed struct {
		theme, funderSlug, funder string
		quartiers                 map[int64]bool
		initiatives               []InitiativeRef
		seen                      map[string]bool
	}
	backings := map[string]*backed{}
	var keys []string
	for _, k := range b.data.Backings {
		if (previous && !k.InPrevious) || (!previous && !k.InMonth) {
			continue
		}
		key := k.ThemeSlug + "/" + k.FunderSlug
		g := backings[key]
		if g == nil {
			g = &backed{theme: k.ThemeSlug, funderSlug: k.FunderSlug, funder: k.FunderName,
				quartiers: map[int64]bool{}, seen: map[string]bool{}}
			backings[key] = g
			keys = append(keys, key)
		}
		g.quartiers[k.QuartierID] = true
		if !g.seen[k.Code] {
			g.seen[k.Code] = true
			g.initiatives = append(g.initiatives, InitiativeRef{Code: k.Code, Title: k.Title,
				Quartier: b.quartierName(k.QuartierID)})
		}
	}
	for _, key := range keys {
		g := backings[key]
		t, ok := b.themes[g.theme]
		if !ok || len(g.quartiers) < 2 {
			continue
		}
		slices.SortFunc(g.initiatives, func(x, y InitiativeRef) int {
			return cmp.Or(b.compare(x.Quartier, y.Quartier), strings.Compare(x.Code, y.Code))
		})
		out[3] = append(out[3], Connection{Kind: ByInitiative, Key: key, Theme: &t, Funder: g.funder,
			Quartiers: b.contacts(g.quartiers), Initiatives: g.initiatives})
	}
	for i := range out {
		rank(out[i])
	}
	return out
}

func (b *builder) quartierName(id int64) string {
	if q, ok := b.quartiers[id]; ok {
		return q.Name
	}
	return ""
}

// contacts lists the quartiers by name, each with its respondents.
func (b *builder) contacts(ids map[int64]bool) []Contact {
	out := make([]Contact, 0, len(ids))
	for id := range ids {
		out = append(out, b.contact(id))
	}
	slices.SortFunc(out, func(x, y Contact) int {
		return cmp.Or(b.compare(x.Quartier.Name, y.Quartier.Name), cmp.Compare(x.Quartier.ID, y.Quartier.ID))
	})
	return out
}

// rank orders connections by the number of quartiers, most first; ties by
// key (a condition by the framework's order), the same in every language.
func rank(gs []Connection) {
	slices.SortFunc(gs, func(x, y Connection) int {
		if c := cmp.Compare(len(y.Quartiers), len(x.Quartiers)); c != 0 {
			return c
		}
		if x.Kind == ByCondition {
			return cmp.Compare(slices.Index(domain.Conditions, x.Condition), slices.Index(domain.Conditions, y.Condition))
		}
		return strings.Compare(x.Key, y.Key)
	})
}

func grants(rows []store.DigestGrant) Grants {
	var g Grants
	for _, r := range rows {
		x := Grant{Code: r.Code, InitiativeCode: r.InitiativeCode, InitiativeTitle: r.InitiativeTitle,
			Funder: r.FunderName, Cents: r.Cents, Description: r.Description, Start: r.Start, End: r.End}
		if r.QuartierName != nil {
			x.Quartier = *r.QuartierName
		}
		if r.Kind == domain.NonFinancial {
			g.NonFinancial = append(g.NonFinancial, x)
		} else {
			g.Financial = append(g.Financial, x)
		}
	}
	return g
}

// systems counts the notes per condition; a partnership digest counts only
// the shared notes' conditions (a withheld note's would show as the
// difference).
func systems(data store.DigestData, m Month, a Audience) SystemsChange {
	var s SystemsChange
	index := map[time.Time]int{}
	for i := range 4 {
		mm := MonthOf(m.First().AddDate(0, i-3, 0))
		s.Months[i] = mm
		index[mm.First()] = i
	}
	for _, c := range data.NoteCounts {
		if i, ok := index[c.Period.UTC()]; ok {
			s.Notes[i] = c.Notes
		}
	}
	counts := map[string]*[4]int{}
	for _, c := range data.ConditionCounts {
		i, ok := index[c.Period.UTC()]
		if !ok || (a != Coordinators && !c.Shared) {
			continue
		}
		if counts[c.Condition] == nil {
			counts[c.Condition] = &[4]int{}
		}
		counts[c.Condition][i] += c.Notes
	}
	for _, c := range domain.Conditions {
		cc := ConditionCounts{Condition: c}
		if v := counts[string(c)]; v != nil {
			cc.Counts = *v
		}
		s.Counts = append(s.Counts, cc)
	}
	return s
}

func participation(data store.DigestData, a Audience) Participation {
	var p Participation
	if data.Round == nil {
		return p
	}
	p.HasRound, p.RoundID, p.Schedule, p.Open = true, data.Round.ID, data.Round.ScheduleName, data.Round.Open
	names := a == Coordinators
	for _, pr := range data.Prompts {
		p.Asked++
		var list *[]string
		switch pr.Status {
		case store.PromptAnswered:
			p.Answered++
			list = &p.AnsweredNames
		case store.PromptNothingToReport:
			p.NothingToReport++
			list = &p.NothingNames
		case store.PromptSkipped:
			p.Skipped++
			list = &p.SkippedNames
		default:
			p.NotAnswered++
			list = &p.NotAnsweredNames
		}
		if names {
			*list = append(*list, pr.Name)
		}
	}
	return p
}
