package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

const (
	comparisonPerPage = 12
	fundersShown      = 8
	barWidth          = 16
)

// funding totals financial and non-financial support, broken down by funder,
// year and quartier, and compares quartiers side by side so inequities show.
func (rt *Router) funding(ctx context.Context, r *Request) (Reply, error) {
	sc, err := rt.resolveScope(ctx, r, r.Args, true)
	if err != nil {
		return Reply{}, err
	}
	sum, err := rt.fundingSummary(ctx, r, store.FundingFilter{
		QuartierID: sc.quartierID, FunderID: sc.funderID, ThemeID: sc.themeID, Year: sc.year})
	if err != nil {
		return Reply{}, err
	}
	title := r.T("funding.title")
	if sc.label != "" {
		title += " — " + sc.label
	}
	blocks := []slack.Block{header(title)}
	if sc.corrected != "" {
		blocks = append(blocks, contextBlock(r.T("quartier.corrected", esc(r.Args), esc(sc.corrected))))
	}
	if sum.Grants == 0 {
		blocks = append(blocks, section(r.T("funding.none")))
		return Reply{Text: esc(title) + "\n" + r.T("funding.none"), Blocks: blocks}, nil
	}
	fields := []string{
		"*" + r.T("funding.financial") + "*\n" + i18n.Money(r.Lang, sum.FinancialCents),
		"*" + r.T("funding.non_financial") + "*\n" + r.N("funding.supports", sum.NonFinancialCount),
		"*" + r.T("funding.grants") + "*\n" + i18n.Number(r.Lang, int64(sum.Grants)),
	}
	if sc.quartierID != 0 && len(sum.ByQuartier) == 1 {
		qf := sum.ByQuartier[0]
		fields = append(fields, "*"+r.T("funding.per_initiative")+"*\n"+
			i18n.Money(r.Lang, roundCents(qf.Cents, int64(qf.Initiatives))))
		if sc.population != nil {
			fields = append(fields, "*"+r.T("funding.per_resident")+"*\n"+
				i18n.Money(r.Lang, roundCents(qf.Cents, int64(*sc.population))))
		}
	}
	if sum.NonFinancialCents > 0 {
		fields = append(fields, "*"+r.T("funding.non_financial_value")+"*\n"+i18n.Money(r.Lang, sum.NonFinancialCents))
	}
	blocks = append(blocks, fieldsSection(fields)...)

	if sc.funderID == 0 && len(sum.ByFunder) > 0 {
		lines := []string{"*" + r.T("funding.by_funder") + "*"}
		for _, f := range topLines(sum.ByFunder, fundersShown) {
			lines = append(lines, fmt.Sprintf("• %s — %s (%s)", esc(f.Name), i18n.Money(r.Lang, f.Cents),
				percent(r.Lang, f.Cents, sum.FinancialCents)))
		}
		if n := len(sum.ByFunder) - fundersShown; n > 0 {
			lines = append(lines, "_"+r.N("funding.more_funders", n)+"_")
		}
		blocks = append(blocks, sections(lines)...)
	}
	if sc.year == 0 && len(sum.ByYear) > 1 {
		blocks = append(blocks, section("*"+r.T("funding.by_year")+"*\n```\n"+yearBars(r.Lang, sum.ByYear)+"\n```"))
	}
	total := 0
	if sc.quartierID == 0 && len(sum.ByQuartier) > 1 {
		total = len(sum.ByQuartier)
		blocks = append(blocks, section("*"+r.T("funding.comparison")+"*\n```\n"+comparisonTable(r, sum.ByQuartier)+"\n```"))
	}
	if len(sum.EndingSoon) > 0 {
		blocks = append(blocks, sections(endingLines(r, sum.EndingSoon, true))...)
	}
	blocks = append(blocks, pager(r, total, comparisonPerPage)...)
	text := fmt.Sprintf("%s: %s (%s)", esc(title), i18n.Money(r.Lang, sum.FinancialCents),
		r.N("funding.supports", sum.NonFinancialCount))
	return Reply{Text: text, Blocks: blocks}, nil
}

// fundingSummary is cached: unfiltered totals scan every grant.
func (rt *Router) fundingSummary(ctx context.Context, r *Request, f store.FundingFilter) (store.FundingSummary, error) {
	today := r.Now.In(rt.opts.Location)
	day := today.Format("2006-01-02")
	key := fmt.Sprintf("funding:%d:%d:%d:%d:%s", f.QuartierID, f.FunderID, f.ThemeID, f.Year, day)
	return cached(ctx, rt.opts.Cache, key, func(ctx context.Context) (store.FundingSummary, error) {
		start := startOfDay(today)
		return rt.store.FundingSummary(ctx, f, start, start.Add(rt.opts.EndingWithin))
	})
}

// comparisonTable lines quartiers up: total, per initiative, per resident.
func comparisonTable(r *Request, rows []store.QuartierFunding) string {
	from := min(r.Page*comparisonPerPage, len(rows))
	to := min(from+comparisonPerPage, len(rows))
	type row struct{ name, total, perInit, perRes string }
	out := []row{{r.T("funding.col_quartier"), r.T("funding.col_total"), r.T("funding.col_per_initiative"), r.T("funding.col_per_resident")}}
	for _, q := range rows[from:to] {
		name := r.T("funding.regional")
		if q.Name != nil {
			name = *q.Name
		}
		perRes := "—"
		if q.Population != nil && *q.Population > 0 {
			perRes = i18n.Money(r.Lang, roundCents(q.Cents, int64(*q.Population)))
		}
		out = append(out, row{truncateRunes(name, 24), i18n.Money(r.Lang, q.Cents),
			i18n.Money(r.Lang, roundCents(q.Cents, int64(max(q.Initiatives, 1)))), perRes})
	}
	var w [4]int
	for _, o := range out {
		for i, c := range []string{o.name, o.total, o.perInit, o.perRes} {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, o := range out {
		b.WriteString(padRight(esc(o.name), w[0], o.name) + "  " + padLeft(o.total, w[1]) + "  " +
			padLeft(o.perInit, w[2]) + "  " + padLeft(o.perRes, w[3]) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// yearBars draws each year's financial support as a bar, largest = full width.
func yearBars(lang domain.Language, years []store.FundingYear) string {
	var top int64
	for _, y := range years {
		top = max(top, y.Cents)
	}
	var b strings.Builder
	for _, y := range years {
		n := 0
		if top > 0 {
			n = int((y.Cents*barWidth + top/2) / top)
		}
		if n == 0 && y.Cents > 0 {
			n = 1
		}
		fmt.Fprintf(&b, "%d %s%s %s\n", y.Year, strings.Repeat("█", n), strings.Repeat(" ", barWidth-n),
			i18n.Money(lang, y.Cents))
	}
	return strings.TrimRight(b.String(), "\n")
}

// endingLines lists grants whose period ends soon, so renewals are no surprise.
func endingLines(r *Request, ending []store.EndingFunding, withQuartier bool) []string {
	lines := []string{"*" + r.T("funding.ending_soon") + "*"}
	for _, e := range ending {
		where := ""
		if withQuartier && e.QuartierName != nil {
			where = " (" + esc(*e.QuartierName) + ")"
		}
		lines = append(lines, fmt.Sprintf("• %s — `%s` %s%s · %s · %s", i18n.Date(r.Lang, e.PeriodEnd.Year(),
			int(e.PeriodEnd.Month()), e.PeriodEnd.Day()), esc(e.InitiativeCode), esc(e.InitiativeTitle), where,
			esc(e.FunderName), i18n.Money(r.Lang, e.Cents)))
	}
	return lines
}

func percent(lang domain.Language, part, whole int64) string {
	if whole == 0 {
		return "—"
	}
	p := float64(part) * 100 / float64(whole)
	s := fmt.Sprintf("%.0f", p)
	if p < 10 {
		s = fmt.Sprintf("%.1f", p)
		if lang == domain.French {
			s = strings.Replace(s, ".", ",", 1)
		}
	}
	if lang == domain.French {
		return s + "\u00a0%"
	}
	return s + "%"
}

func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s))) + s
}

// padRight pads the escaped cell by the width of its unescaped text.
func padRight(escaped string, w int, plain string) string {
	return escaped + strings.Repeat(" ", max(0, w-utf8.RuneCountInString(plain)))
}

func truncateRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
