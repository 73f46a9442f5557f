package store

import (
	"context"

	"github.com/pic-montreal/relais/internal/domain"
)

// ListThemes lists the priority issues by French name.
func (s *Store) ListThemes(ctx context.Context) ([]domain.Theme, error) {
	var ts []domain.Theme
	err := s.db.SelectContext(ctx, &ts, `SELECT id, slug, name_fr, name_en FROM themes ORDER BY name_fr`)
	return ts, wrap("list themes", err)
}
