package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// SyntheticOptions sizes the synthetic dataset. A zero field takes the full
// size of FullSynthetic.
//
// Progress notes are spread as every synthetic Table answering every month:
// note i belongs to Table i mod Quartiers and to the month i / Quartiers
// months before LastMonth. At full size that is 1,000 Tables × 100 months
// (2018-07 to 2026-10): about five times "a century of monthly rounds for the
// 17 real Tables" (17 × 1,200 = 20,400 notes), with the month-wide queries of
// a digest seeing 1,000 notes and a quartier's history 100.
type SyntheticOptions struct {
	Quartiers   int // each with its Table de quartier and one answering member
	Initiatives int // spread over the quartiers; one in 50 is regional
	Funding     int // spread over the initiatives
	Notes       int // see above
}

// FullSynthetic is the benchmark size.
var FullSynthetic = SyntheticOptions{Quartiers: 1000, Initiatives: 10000, Funding: 50000, Notes: 100000}

// LastMonth is the most recent month of synthetic notes: the last demo month.
var LastMonth = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

const (
	syntheticFunders   = 20
	syntheticRegionals = 5
	syntheticPartners  = 20
	syntheticCoords    = 5
)

// Synthetic adds the synthetic dataset sized by opts in one transaction and
// returns the row counts after the load. The data is deterministic and keyed
// by SYN-… codes and syn-… slugs: rows already present are skipped, so a
// second run adds nothing, and a larger size adds only the difference. Per-row
// audit is off during the load; audit_log gets one "bulk" row per table that
// grew, with source "synthetic".
func Synthetic(ctx context.Context, st *store.Store, opts SyntheticOptions) (Counts, error) {
	d := SyntheticData(opts)
	if _, err := st.SeedBulk(ctx, Actor, "synthetic", d); err != nil {
		return Counts{}, fmt.Errorf("synthetic data: %w", err)
	}
	return CurrentCounts(ctx, st)
}

func (o SyntheticOptions) withDefaults() SyntheticOptions {
	if o.Quartiers <= 0 {
		o.Quartiers = FullSynthetic.Quartiers
	}
	if o.Initiatives <= 0 {
		o.Initiatives = FullSynthetic.Initiatives
	}
	if o.Funding <= 0 {
		o.Funding = FullSynthetic.Funding
	}
	if o.Notes <= 0 {
		o.Notes = FullSynthetic.Notes
	}
	return o
}

// SyntheticData builds the synthetic dataset. The same options always give
// the same data: a fixed random seed drives every choice.
func SyntheticData(opts SyntheticOptions) store.SeedData {
	o := opts.withDefaults()
	g := &gen{r: rand.New(rand.NewPCG(20150101, 20261001))}
	var d store.SeedData

	for _, t := range synThemes {
		d.Themes = append(d.Themes, store.SeedTheme{Slug: "syn-" + t[0], NameFr: t[1] + " (synthétique)", NameEn: t[2] + " (synthetic)"})
	}

	d.Organisations = append(d.Organisations, store.SeedOrganisation{
		Slug: "syn-coordination", Name: "Coordination synthétique", Kind: domain.KindRegionalPartner, IsSample: true})
	for i := 1; i <= syntheticFunders; i++ {
		kind := domain.KindFunder
		if i%4 == 0 {
			kind = domain.KindPublicInstitution
		}
		d.Organisations = append(d.Organisations, store.SeedOrganisation{
			Slug: fmt.Sprintf("syn-bailleur-%02d", i), Name: fmt.Sprintf("Fondation %s %02d (synthétique)", g.pick(placeBases), i),
			Kind: kind, IsSample: true})
	}
	for i := 1; i <= syntheticRegionals; i++ {
		d.Organisations = append(d.Organisations, store.SeedOrganisation{
			Slug: fmt.Sprintf("syn-regional-%02d", i), Name: fmt.Sprintf("Partenaire régional %02d (synthétique)", i),
			Kind: domain.KindRegionalPartner, IsSample: true})
	}

	for i := 1; i <= o.Quartiers; i++ {
		q := fmt.Sprintf("syn-q-%04d", i)
		name := fmt.Sprintf("%s%s %04d", g.pick(placePrefixes), g.pick(placeBases), i)
		d.Quartiers = append(d.Quartiers, store.SeedQuartier{
			Slug: q, Name: name + " (synthétique)", Borough: g.pick(boroughs),
			Population: 5000 + g.r.IntN(115000), IsSample: true})
		d.Organisations = append(d.Organisations, store.SeedOrganisation{
			Slug: tableSlug(i), Name: "Table de quartier " + name + " (synthétique)",
			Kind: domain.KindTableDeQuartier, QuartierSlug: q, IsSample: true})
		d.People = append(d.People, store.SeedPerson{
			SlackUserID: memberID(i), DisplayName: fmt.Sprintf("%s %04d (synthétique)", g.pick(firstNames), i),
			OrganisationSlug: tableSlug(i), Role: domain.RoleTableMember, AnswersCheckins: true,
			Language: g.language(), IsSample: true})
	}
	for i := 1; i <= syntheticCoords; i++ {
		d.People = append(d.People, store.SeedPerson{
			SlackUserID: fmt.Sprintf("USYNC%d", i), DisplayName: fmt.Sprintf("Coordination %d (synthétique)", i),
			OrganisationSlug: "syn-coordination", Role: domain.RoleCoordinator, Language: g.language(), IsSample: true})
	}
	for i := 1; i <= syntheticPartners; i++ {
		d.People = append(d.People, store.SeedPerson{
			SlackUserID: fmt.Sprintf("USYNP%02d", i), DisplayName: fmt.Sprintf("Partenaire %02d (synthétique)", i),
			OrganisationSlug: fmt.Sprintf("syn-bailleur-%02d", (i-1)%syntheticFunders+1), Role: domain.RolePartner,
			Language: g.language(), IsSample: true})
	}

	for i := 1; i <= o.Initiatives; i++ {
		lang := g.language()
		quartier, lead := fmt.Sprintf("syn-q-%04d", (i-1)%o.Quartiers+1), tableSlug((i-1)%o.Quartiers+1)
		if i%50 == 0 {
			quartier, lead = "", fmt.Sprintf("syn-regional-%02d", (i/50-1)%syntheticRegionals+1)
		}
		start := time.Date(2015+g.r.IntN(12), time.Month(1+g.r.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
		status, end := domain.StatusActive, time.Time{}
		switch n := g.r.IntN(10); {
		case start.Year() >= 2026:
			status = domain.StatusPlanned
		case n < 2:
			status, end = domain.StatusCompleted, start.AddDate(2+g.r.IntN(5), 0, -1)
		case n == 2:
			status = domain.StatusSuspended
		}
		d.Initiatives = append(d.Initiatives, store.SeedInitiative{
			Code: fmt.Sprintf("SYN-I-%05d", i), QuartierSlug: quartier, LeadSlug: lead,
			Title: g.title(lang), Summary: g.text(lang, 2, 3), Language: lang,
			Strategies: g.some(strategies(lang), 1, 3), Status: status, StartDate: start, EndDate: end,
			ThemeSlugs: g.themes(), IsSample: true})
	}

	for j := 1; j <= o.Funding; j++ {
		start := time.Date(2015+g.r.IntN(13), time.Month(1+3*g.r.IntN(4)), 1, 0, 0, 0, 0, time.UTC)
		f := store.SeedFunding{
			Code: fmt.Sprintf("SYN-F-%06d", j), InitiativeCode: fmt.Sprintf("SYN-I-%05d", (j-1)%o.Initiatives+1),
			FunderSlug:  fmt.Sprintf("syn-bailleur-%02d", 1+g.r.IntN(syntheticFunders)),
			AmountCents: int64(5_000+g.r.IntN(245_000)) * 100, Kind: domain.Financial,
			PeriodStart: start, PeriodEnd: start.AddDate(1+g.r.IntN(4), 0, -1), IsSample: true}
		if g.r.IntN(100) < 15 {
			f.Kind, f.SupportDescription, f.AmountCents = domain.NonFinancial, g.pick(supports), int64(2_000+g.r.IntN(40_000))*100
		}
		d.Funding = append(d.Funding, f)
	}

	for i := 0; i < o.Notes; i++ {
		table := i%o.Quartiers + 1
		period := LastMonth.AddDate(0, -(i / o.Quartiers), 0)
		lang := g.language()
		visibility := domain.SharedWithPartnership
		if g.r.IntN(10) == 0 {
			visibility = domain.CoordinatorsOnly
		}
		var conds []domain.Condition
		for _, k := range g.r.Perm(len(domain.Conditions))[:g.r.IntN(4)] {
			conds = append(conds, domain.Conditions[k])
		}
		d.Notes = append(d.Notes, store.SeedNote{
			ImportKey:        fmt.Sprintf("syn-%04d-%s", table, period.Format("2006-01")),
			OrganisationSlug: tableSlug(table), AuthorSlackID: memberID(table), Period: period,
			Body: g.text(lang, 2, 5), Conditions: conds, ThemeSlugs: g.themes(), Language: lang,
			Visibility: visibility, IsSample: true})
	}
	return d
}

func tableSlug(i int) string { return fmt.Sprintf("syn-table-%04d", i) }
func memberID(i int) string  { return fmt.Sprintf("USYNT%04d", i) }

// gen draws the synthetic text and choices from one seeded source.
type gen struct{ r *rand.Rand }

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// some picks between lo and hi distinct items.
func (g *gen) some(list []string, lo, hi int) []string {
	n := lo + g.r.IntN(hi-lo+1)
	out := make([]string, 0, n)
	for _, k := range g.r.Perm(len(list))[:n] {
		out = append(out, list[k])
	}
	return out
}

// language is French four times in five, as in the partnership.
func (g *gen) language() domain.Language {
	if g.r.IntN(5) == 0 {
		return domain.English
	}
	return domain.French
}

func (g *gen) themes() []string {
	slugs := g.some(synThemeSlugs, 1, 3)
	for i, s := range slugs {
		slugs[i] = "syn-" + s
	}
	return slugs
}

func (g *gen) title(lang domain.Language) string {
	w := frWords
	if lang == domain.English {
		w = enWords
	}
	return capitalize(g.pick(w.objects)) + " " + g.pick(w.complements)
}

// text writes between lo and hi sentences, each a subject, a verb, an object
// and a complement from the word lists, with now and then a figure or a
// second clause: varied enough that full-text search has real work to do.
func (g *gen) text(lang domain.Language, lo, hi int) string {
	w := frWords
	if lang == domain.English {
		w = enWords
	}
	n := lo + g.r.IntN(hi-lo+1)
	buf := make([]byte, 0, 90*n)
	for i := range n {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, g.pick(w.subjects)...)
		buf = append(buf, ' ')
		buf = append(buf, g.pick(w.verbs)...)
		buf = append(buf, ' ')
		buf = append(buf, g.pick(w.objects)...)
		buf = append(buf, ' ')
		buf = append(buf, g.pick(w.complements)...)
		switch g.r.IntN(4) {
		case 0:
			buf = fmt.Appendf(buf, w.figure, 5+g.r.IntN(400), g.pick(w.people))
		case 1:
			buf = append(buf, ", "...)
			buf = append(buf, g.pick(w.clauses)...)
		}
		buf = append(buf, '.')
	}
	return string(buf)
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
