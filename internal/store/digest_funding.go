package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// ResidentFunding is one quartier's financial funding over a span of days
// (a digest's month), for the chart of funding per resident.
type ResidentFunding struct {
	QuartierID int64  `db:"quartier_id"`
	Name       string `db:"name"`
	Population int    `db:"population"` // 0 when unknown
	Cents      int64  `db:"cents"`      // the span's share of its grants, rounded to the cent
}

// PerResident is the span's funding in cents per resident; ok is false when
// the population is unknown, so the quartier cannot be compared.
func (r ResidentFunding) PerResident() (cents float64, ok bool) {
	if r.Population <= 0 {
		return 0, false
	}
	return float64(r.Cents) / float64(r.Population), true
}

// FundingPerResident gives every quartier, by name, with its financial
// funding active between first and last (days, both included). A grant whose
// period overlaps the span counts for the share of its amount that falls in
// it, by days, as /pic financement counts a year: a four-year grant is not
// counted whole in each of its 48 months, and a quartier funded by yearly
// renewals compares fairly with one holding a single long grant. Quartiers
// with no such funding come with 0 cents (an inequity worth seeing);
// regional initiatives, which belong to no quartier, and non-financial
// support are left out.
func (o ops) FundingPerResident(ctx context.Context, first, last time.Time) ([]ResidentFunding, error) {
	return fundingPerResident(ctx, o.q(), first, last)
}

func fundingPerResident(ctx context.Context, q queryer, first, last time.Time) ([]ResidentFunding, error) {
	// Days as text, not timestamps: a timestamp cast to date in the session's
	// time zone could land on the day before.
	from, to := first.Format(time.DateOnly), last.Format(time.DateOnly)
	if to < from {
		return nil, fmt.Errorf("funding per resident from %s to %s: %w", from, to, domain.ErrInvalid)
	}
	var rows []ResidentFunding
	// Grants are filtered and prorated before the join, so quartiers without
	// any keep their row (LEFT JOIN) and a quartier's sum is one pass.
	err := sqlx.SelectContext(ctx, q, &rows, `
		WITH share AS (
			SELECT i.quartier_id,
			       sum(f.amount_cents::numeric
			           * (least(f.period_end, $2::date) - greatest(f.period_start, $1::date) + 1)
			           / (f.period_end - f.period_start + 1)) AS cents
			FROM funding f JOIN initiatives i ON i.id = f.initiative_id
			WHERE f.kind = 'financial' AND i.quartier_id IS NOT NULL
			  AND f.period_start <= $2::date AND f.period_end >= $1::date
			GROUP BY i.quartier_id)
		SELECT q.id AS quartier_id, q.name, coalesce(q.population, 0) AS population,
		       coalesce(round(s.cents), 0)::bigint AS cents
		FROM quartiers q LEFT JOIN share s ON s.quartier_id = q.id
		ORDER BY q.name, q.id`, from, to)
	if err != nil {
		return nil, wrap("funding per resident", err)
	}
	return rows, nil
}
