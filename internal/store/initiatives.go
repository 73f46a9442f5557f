package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// InitiativeFilter narrows a list of initiatives; zero fields do not filter.
type InitiativeFilter struct {
	QuartierID int64
	ThemeID    int64
	FunderID   int64
}

// InitiativeRow is an initiative as lists show it.
type InitiativeRow struct {
	ID           int64                   `db:"id"`
	Code         string                  `db:"code"`
	Title        string                  `db:"title"`
	Summary      string                  `db:"summary"`
	Status       domain.InitiativeStatus `db:"status"`
	QuartierName *string                 `db:"quartier_name"`
	LeadName     string                  `db:"lead_name"`
	ThemeSlugs   pq.StringArray          `db:"theme_slugs"`
	FundingCents int64                   `db:"funding_cents"`
	IsSample     bool                    `db:"is_sample"`
}

func (f InitiativeFilter) conditions() (string, []any) {
	var w where
	if f.QuartierID != 0 {
		w.add("i.quartier_id = $?", f.QuartierID)
	}
	if f.ThemeID != 0 {
		w.add("EXISTS (SELECT 1 FROM initiative_themes it WHERE it.initiative_id = i.id AND it.theme_id = $?)", f.ThemeID)
	}
	if f.FunderID != 0 {
		w.add("EXISTS (SELECT 1 FROM funding fu WHERE fu.initiative_id = i.id AND fu.funder_id = $?)", f.FunderID)
	}
	return w.sql(), w.args
}

// ListInitiatives returns one page of the initiatives that pass f, by
// quartier then code, and how many pass in all, read from one snapshot.
func (o ops) ListInitiatives(ctx context.Context, f InitiativeFilter, limit, offset int) ([]InitiativeRow, int, error) {
	var rows []InitiativeRow
	var total int
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		rows, total, err = listInitiatives(ctx, q, f, limit, offset)
		return err
	})
	return rows, total, err
}

func listInitiatives(ctx context.Context, q queryer, f InitiativeFilter, limit, offset int) ([]InitiativeRow, int, error) {
	conds, args := f.conditions()
	var total int
	if err := sqlx.GetContext(ctx, q, &total, `SELECT count(*) FROM initiatives i WHERE `+conds, args...); err != nil {
		return nil, 0, wrap("count initiatives", err)
	}
	n := len(args)
	args = append(args, limit, offset)
	var rows []InitiativeRow
	err := sqlx.SelectContext(ctx, q, &rows, fmt.Sprintf(`
		SELECT i.id, i.code, i.title, i.summary, i.status, q.name AS quartier_name, o.name AS lead_name,
			ARRAY(SELECT t.slug FROM initiative_themes it JOIN themes t ON t.id = it.theme_id
			      WHERE it.initiative_id = i.id ORDER BY t.slug) AS theme_slugs,
			coalesce((SELECT sum(fu.amount_cents) FROM funding fu
			          WHERE fu.initiative_id = i.id AND fu.kind = 'financial'), 0) AS funding_cents,
			i.is_sample
		FROM initiatives i
		JOIN organisations o ON o.id = i.lead_organisation_id
		LEFT JOIN quartiers q ON q.id = i.quartier_id
		WHERE %s
		ORDER BY q.name NULLS LAST, i.code
		LIMIT $%d OFFSET $%d`, conds, n+1, n+2), args...)
	if err != nil {
		return nil, 0, wrap("list initiatives", err)
	}
	return rows, total, nil
}
