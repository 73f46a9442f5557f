package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// FundingFilter narrows a funding summary; zero fields do not filter. With
// Year set, each grant counts for the share of its period that falls in that
// year, so multi-year grants are not counted whole in every year.
type FundingFilter struct {
	QuartierID int64
	FunderID   int64
	ThemeID    int64
	Year       int
}

// FundingSummary is what `/pic financement` shows.
type FundingSummary struct {
	FinancialCents    int64
	NonFinancialCents int64
	NonFinancialCount int
	Grants            int
	ByFunder          []FundingLine
	ByYear            []FundingYear
	ByQuartier        []QuartierFunding
	EndingSoon        []EndingFunding
}

// FundingLine is an amount for a named thing (a funder).
type FundingLine struct {
	Name  string `db:"name"`
	Cents int64  `db:"cents"`
}

// FundingYear is the financial support that falls in one calendar year.
type FundingYear struct {
	Year  int   `db:"year"`
	Cents int64 `db:"cents"`
}

// QuartierFunding compares quartiers side by side. A nil QuartierID is the
// regional initiatives, which belong to no quartier.
type QuartierFunding struct {
	QuartierID  *int64  `db:"quartier_id"`
	Name        *string `db:"name"`
	Population  *int    `db:"population"`
	Initiatives int     `db:"initiatives"`
	Cents       int64   `db:"cents"`
}

// EndingFunding is a grant whose period ends soon.
type EndingFunding struct {
	Code            string    `db:"code"`
	InitiativeCode  string    `db:"initiative_code"`
	InitiativeTitle string    `db:"initiative_title"`
	QuartierName    *string   `db:"quartier_name"`
	FunderName      string    `db:"funder_name"`
	Cents           int64     `db:"cents"`
	PeriodEnd       time.Time `db:"period_end"`
}

// cte is the filtered funding as a CTE `fr` with a `share` column:
// the amount, or with a year, the part of it that falls in that year.
func (f FundingFilter) cte() (string, []any) {
	var w where
	if f.QuartierID != 0 {
		w.add("i.quartier_id = $?", f.QuartierID)
	}
	if f.FunderID != 0 {
		w.add("f.funder_id = $?", f.FunderID)
	}
	if f.ThemeID != 0 {
		w.add("EXISTS (SELECT 1 FROM initiative_themes it WHERE it.initiative_id = i.id AND it.theme_id = $?)", f.ThemeID)
	}
	share := "f.amount_cents::numeric"
	if f.Year != 0 {
		w.add("f.period_start <= make_date($?, 12, 31)", f.Year)
		w.add("f.period_end >= make_date($?, 1, 1)", f.Year)
		share = fmt.Sprintf(`f.amount_cents::numeric
			* (least(f.period_end, make_date(%[1]s, 12, 31)) - greatest(f.period_start, make_date(%[1]s, 1, 1)) + 1)
			/ (f.period_end - f.period_start + 1)`, w.param(f.Year))
	}
	conds, args := w.sql(), w.args
	return fmt.Sprintf(`WITH fr AS (
		SELECT f.id, f.code, f.initiative_id, f.funder_id, f.kind, f.amount_cents, f.period_start, f.period_end,
		       i.quartier_id, %s AS share
		FROM funding f JOIN initiatives i ON i.id = f.initiative_id
		WHERE %s)`, share, conds), args
}

// FundingSummary totals funding that passes f, broken down by funder, year
// and quartier, with the grants ending between now and endingBefore. Its five
// statements read one snapshot, so the breakdowns add up to the totals.
func (o ops) FundingSummary(ctx context.Context, f FundingFilter, now, endingBefore time.Time) (FundingSummary, error) {
	var sum FundingSummary
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		sum, err = fundingSummary(ctx, q, f, now, endingBefore)
		return err
	})
	return sum, err
}

func fundingSummary(ctx context.Context, q queryer, f FundingFilter, now, endingBefore time.Time) (FundingSummary, error) {
	cte, args := f.cte()
	var sum FundingSummary
	var totals struct {
		Financial    int64 `db:"financial"`
		NonFinancial int64 `db:"non_financial"`
		NonFinCount  int   `db:"non_financial_count"`
		Grants       int   `db:"grants"`
	}
	err := sqlx.GetContext(ctx, q, &totals, cte+`
		SELECT coalesce(round(sum(share) FILTER (WHERE kind = 'financial')), 0)::bigint AS financial,
		       coalesce(round(sum(share) FILTER (WHERE kind = 'non_financial')), 0)::bigint AS non_financial,
		       count(*) FILTER (WHERE kind = 'non_financial') AS non_financial_count,
		       count(*) AS grants
		FROM fr`, args...)
	if err != nil {
		return sum, wrap("funding totals", err)
	}
	sum.FinancialCents, sum.NonFinancialCents = totals.Financial, totals.NonFinancial
	sum.NonFinancialCount, sum.Grants = totals.NonFinCount, totals.Grants

	err = sqlx.SelectContext(ctx, q, &sum.ByFunder, cte+`
		SELECT o.name, round(sum(fr.share))::bigint AS cents
		FROM fr JOIN organisations o ON o.id = fr.funder_id
		WHERE fr.kind = 'financial'
		GROUP BY o.name ORDER BY cents DESC, o.name`, args...)
	if err != nil {
		return sum, wrap("funding by funder", err)
	}

	// Grants are first summed per period: a year's share depends only on the
	// period, and grants share few periods (fiscal years, quarters), so the
	// years are spread and divided per period, not per grant. At 50,000
	// grants over 208 periods that is ten times faster, and the planner no
	// longer costs the query high enough to JIT-compile it with inlining.
	err = sqlx.SelectContext(ctx, q, &sum.ByYear, cte+`
		SELECT y AS year, round(sum(p.cents
			* (least(p.period_end, make_date(y, 12, 31)) - greatest(p.period_start, make_date(y, 1, 1)) + 1)
			/ (p.period_end - p.period_start + 1)))::bigint AS cents
		FROM (SELECT fr.period_start, fr.period_end, sum(fr.amount_cents) AS cents
		      FROM fr WHERE fr.kind = 'financial'
		      GROUP BY fr.period_start, fr.period_end) p,
		     generate_series(extract(year FROM p.period_start)::int, extract(year FROM p.period_end)::int) AS y
		GROUP BY y ORDER BY y`, args...)
	if err != nil {
		return sum, wrap("funding by year", err)
	}
	if f.Year != 0 { // the other years' shares are not asked for
		kept := sum.ByYear[:0]
		for _, y := range sum.ByYear {
			if y.Year == f.Year {
				kept = append(kept, y)
			}
		}
		sum.ByYear = kept
	}

	err = sqlx.SelectContext(ctx, q, &sum.ByQuartier, cte+`
		SELECT q.id AS quartier_id, q.name, q.population,
		       count(DISTINCT fr.initiative_id) AS initiatives,
		       round(sum(fr.share))::bigint AS cents
		FROM fr LEFT JOIN quartiers q ON q.id = fr.quartier_id
		WHERE fr.kind = 'financial'
		GROUP BY q.id, q.name, q.population
		ORDER BY cents DESC, q.name NULLS LAST`, args...)
	if err != nil {
		return sum, wrap("funding by quartier", err)
	}

	n := len(args)
	err = sqlx.SelectContext(ctx, q, &sum.EndingSoon, cte+fmt.Sprintf(`
		SELECT fr.code, i.code AS initiative_code, i.title AS initiative_title, q.name AS quartier_name,
		       o.name AS funder_name, fr.amount_cents AS cents, fr.period_end
		FROM fr
		JOIN initiatives i ON i.id = fr.initiative_id
		JOIN organisations o ON o.id = fr.funder_id
		LEFT JOIN quartiers q ON q.id = fr.quartier_id
		WHERE fr.period_end >= $%d AND fr.period_end < $%d
		ORDER BY fr.period_end, fr.code
		LIMIT 10`, n+1, n+2), append(args, now, endingBefore)...)
	if err != nil {
		return sum, wrap("funding ending soon", err)
	}
	return sum, nil
}
