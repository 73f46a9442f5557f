package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// NoteRow is a progress note as replies show it.
type NoteRow struct {
	ID               int64             `db:"id"`
	Period           time.Time         `db:"period"`
	Body             string            `db:"body"`
	Language         domain.Language   `db:"language"`
	Visibility       domain.Visibility `db:"visibility"`
	OrganisationName string            `db:"organisation_name"`
	QuartierName     string            `db:"quartier_name"`
	ThemeSlugs       pq.StringArray    `db:"theme_slugs"`
	Conditions       pq.StringArray    `db:"conditions"`
	IsSample         bool              `db:"is_sample"`
}

// LatestNotes returns the quartier's most recent progress notes that v may read.
func (o ops) LatestNotes(ctx context.Context, v Viewer, quartierID int64, limit int) ([]NoteRow, error) {
	return latestNotes(ctx, o.q(), v, quartierID, limit)
}

func latestNotes(ctx context.Context, q queryer, v Viewer, quartierID int64, limit int) ([]NoteRow, error) {
	visible, vargs := v.noteFilter("n", 3)
	args := append([]any{quartierID, limit}, vargs...)
	var rows []NoteRow
	err := sqlx.SelectContext(ctx, q, &rows, fmt.Sprintf(`
		SELECT n.id, n.period, n.body, n.language, n.visibility, o.name AS organisation_name,
		       q.name AS quartier_name, n.conditions, n.is_sample,
		       ARRAY(SELECT t.slug FROM progress_note_themes nt JOIN themes t ON t.id = nt.theme_id
		             WHERE nt.note_id = n.id ORDER BY t.slug) AS theme_slugs
		FROM progress_notes n
		JOIN organisations o ON o.id = n.organisation_id
		JOIN quartiers q ON q.id = n.quartier_id
		WHERE n.quartier_id = $1 AND %s
		ORDER BY n.period DESC, n.created_at DESC
		LIMIT $2`, visible), args...)
	return rows, wrap("latest notes", err)
}
