package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// ListThemes lists the priority issues by French name.
func (o ops) ListThemes(ctx context.Context) ([]domain.Theme, error) { return listThemes(ctx, o.q()) }

func listThemes(ctx context.Context, q queryer) ([]domain.Theme, error) {
	var ts []domain.Theme
	err := sqlx.SelectContext(ctx, q, &ts, `SELECT id, slug, name_fr, name_en FROM themes ORDER BY name_fr`)
	return ts, wrap("list themes", err)
}
