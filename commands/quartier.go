package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

const (
	quartierInitiativesShown = 8
	quartierNotesShown       = 3
	noteExcerptRunes         = 400
)

// quartier shows one neighbourhood: its Table, initiatives, themes, funding
// and the latest progress notes the caller may read.
func (rt *Router) quartier(ctx context.Context, r *Request) (Reply, error) {
	if r.Args == "" {
		return Reply{}, userError("quartier.missing", SlashCommand, r.Verb)
	}
	look, err := rt.findQuartier(ctx, r.Args)
	if err != nil {
		return Reply{}, err
	}
	if look.found == nil {
		return rt.quartierCandidates(ctx, r, look.candidates)
	}
	q := look.found
	about, err := rt.quartierAbout(ctx, q.ID)
	if err != nil {
		return Reply{}, err
	}
	table, inits, nInits := about.table, about.inits, about.nInits
	funding, err := rt.fundingSummary(ctx, r, store.FundingFilter{QuartierID: q.ID})
	if err != nil {
		return Reply{}, err
	}
	notes, err := rt.store.LatestNotes(ctx, r.Viewer(), q.ID, quartierNotesShown)
	if err != nil {
		return Reply{}, err
	}
	themes, err := rt.themeNames(ctx, r.Lang)
	if err != nil {
		return Reply{}, err
	}

	var blocks []slack.Block
	title := q.Name
	if q.Borough != "" && domain.MatchKey(q.Borough) != q.MatchKey {
		title += " — " + q.Borough
	}
	blocks = append(blocks, header(title))
	if look.corrected {
		blocks = append(blocks, contextBlock(r.T("quartier.corrected", esc(r.Args), esc(q.Name))))
	}

	// Who leads, and the figures side by side.
	tableLine := r.T("quartier.no_table")
	if table.ID != 0 {
		tableLine = "*" + esc(table.Name) + "*"
		if table.SlackChannelID != nil {
			tableLine += " · <#" + *table.SlackChannelID + ">"
		}
	}
	fields := []string{
		"*" + r.T("quartier.table") + "*\n" + tableLine,
		"*" + r.T("quartier.population") + "*\n" + populationText(r, q.Population),
		"*" + r.T("quartier.initiatives") + "*\n" + i18n.Number(r.Lang, int64(nInits)),
		"*" + r.T("funding.financial") + "*\n" + i18n.Money(r.Lang, funding.FinancialCents),
		"*" + r.T("funding.non_financial") + "*\n" + r.N("funding.supports", funding.NonFinancialCount),
	}
	if q.Population != nil && *q.Population > 0 {
		fields = append(fields, "*"+r.T("funding.per_resident")+"*\n"+
			i18n.Money(r.Lang, roundCents(funding.FinancialCents, int64(*q.Population))))
	}
	blocks = append(blocks, fieldsSection(fields)...)

	// Initiatives, with their themes.
	var themeSet []string
	var lines []string
	for _, in := range inits {
		var names []string
		for _, slug := range in.ThemeSlugs {
			names = append(names, themes[slug])
			if !slices.Contains(themeSet, themes[slug]) {
				themeSet = append(themeSet, themes[slug])
			}
		}
		lines = append(lines, fmt.Sprintf("• `%s` *%s* — %s", esc(in.Code), esc(in.Title),
			esc(strings.Join(names, ", "))))
	}
	if nInits > len(inits) {
		lines = append(lines, "_"+r.N("quartier.more_initiatives", nInits-len(inits), SlashCommand, esc(q.Name))+"_")
	}
	if len(lines) > 0 {
		blocks = append(blocks, sections(append([]string{"*" + r.T("quartier.initiatives") + "*"}, lines...))...)
	}
	if len(themeSet) > 0 {
		blocks = append(blocks, contextBlock(r.T("quartier.themes")+" "+esc(strings.Join(themeSet, " · "))))
	}

	// Funding by funder.
	if len(funding.ByFunder) > 0 {
		fl := []string{"*" + r.T("funding.by_funder") + "*"}
		for _, f := range topLines(funding.ByFunder, 6) {
			fl = append(fl, fmt.Sprintf("• %s — %s", esc(f.Name), i18n.Money(r.Lang, f.Cents)))
		}
		blocks = append(blocks, sections(fl)...)
	}
	if len(funding.EndingSoon) > 0 {
		blocks = append(blocks, sections(endingLines(r, funding.EndingSoon, false))...)
	}

	// Latest notes the caller may read.
	blocks = append(blocks, divider())
	switch {
	case r.ReaderRole() == domain.RoleGuest:
		blocks = append(blocks, contextBlock(r.T("quartier.notes_members_only")))
	case len(notes) == 0:
		blocks = append(blocks, contextBlock(r.T("quartier.no_notes")))
	default:
		nl := []string{"*" + r.T("quartier.latest_notes") + "*"}
		for _, n := range notes {
			nl = append(nl, noteLine(r, n))
		}
		blocks = append(blocks, sections(nl)...)
	}
	if q.IsSample {
		blocks = append(blocks, contextBlock(r.T("sample.notice")))
	}
	text := fmt.Sprintf("%s — %s: %s, %s: %s", esc(q.Name), r.T("quartier.initiatives"), i18n.Number(r.Lang, int64(nInits)),
		r.T("funding.financial"), i18n.Money(r.Lang, funding.FinancialCents))
	return Reply{Text: text, Blocks: blocks}, nil
}

// quartierFacts is what a quartier's reply shows whoever asks: its Table and
// first initiatives.
type quartierFacts struct {
	table  domain.Organisation // zero when the quartier has no Table
	inits  []store.InitiativeRow
	nInits int
}

// quartierAbout is cached like funding totals: three queries that every
// quartier reply made, for data that changes rarely. The notes are not
// cached, since what they show depends on who reads.
func (rt *Router) quartierAbout(ctx context.Context, quartierID int64) (quartierFacts, error) {
	return cached(ctx, rt.opts.Cache, fmt.Sprintf("quartier:%d", quartierID), func(ctx context.Context) (quartierFacts, error) {
		var f quartierFacts
		var err error
		f.table, err = rt.store.TableOfQuartier(ctx, quartierID)
		if err != nil && !isNotFound(err) {
			return f, err
		}
		f.inits, f.nInits, err = rt.store.ListInitiatives(ctx, store.InitiativeFilter{QuartierID: quartierID}, quartierInitiativesShown, 0)
		return f, err
	})
}

// quartierCandidates answers a name that matched several quartiers, or none.
func (rt *Router) quartierCandidates(ctx context.Context, r *Request, cands []store.QuartierMatch) (Reply, error) {
	if len(cands) > 0 && cands[0].How == store.MatchWords {
		lines := []string{r.T("quartier.several", esc(r.Args))}
		for _, c := range cands {
			lines = append(lines, fmt.Sprintf("• *%s* — `%s %s %s`", esc(c.Name), SlashCommand, r.Verb, esc(c.Name)))
		}
		return Reply{Text: strings.Join(lines, "\n"), Blocks: sections(lines)}, nil
	}
	lines := []string{r.T("quartier.none", esc(r.Args))}
	if len(cands) > 0 {
		lines[0] += " " + r.T("quartier.did_you_mean", esc(cands[0].Name))
	} else {
		all, err := rt.store.ListQuartiers(ctx)
		if err != nil {
			return Reply{}, err
		}
		if len(all) <= 40 {
			names := make([]string, len(all))
			for i, q := range all {
				names[i] = esc(q.Name)
			}
			lines = append(lines, r.T("quartier.known", strings.Join(names, ", ")))
		}
	}
	return Reply{Text: strings.Join(lines, "\n"), Blocks: sections(lines)}, nil
}

func populationText(r *Request, p *int) string {
	if p == nil {
		return r.T("quartier.population_unknown")
	}
	return i18n.Number(r.Lang, int64(*p))
}

// noteLine shows one progress note: month, Table, excerpt, tags.
func noteLine(r *Request, n store.NoteRow) string {
	line := fmt.Sprintf("*%s* — %s", i18n.Month(r.Lang, n.Period.Year(), int(n.Period.Month())), esc(n.OrganisationName))
	if n.Visibility == domain.CoordinatorsOnly {
		line += " · _" + r.T("note.coordinators_only") + "_"
	}
	line += "\n>" + esc(excerpt(n.Body, noteExcerptRunes))
	var tags []string
	for _, c := range n.Conditions {
		tags = append(tags, domain.Condition(c).Name(r.Lang))
	}
	if len(tags) > 0 {
		line += "\n_" + r.T("note.conditions") + " " + esc(strings.Join(tags, ", ")) + "_"
	}
	return line
}

// excerpt cuts s to at most n runes, at a word boundary.
func excerpt(s string, n int) string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	if len(rs) <= n {
		return string(rs)
	}
	cut := string(rs[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

func topLines(lines []store.FundingLine, n int) []store.FundingLine {
	if len(lines) > n {
		return lines[:n]
	}
	return lines
}

func roundCents(total, by int64) int64 {
	if by == 0 {
		return 0
	}
	return (total + by/2) / by
}

// themeNames maps theme slugs to names in lang.
func (rt *Router) themeNames(ctx context.Context, lang domain.Language) (map[string]string, error) {
	themes, err := rt.themes(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(themes))
	for _, t := range themes {
		m[t.Slug] = t.Name(lang)
	}
	return m, nil
}
