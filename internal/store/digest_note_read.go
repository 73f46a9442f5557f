package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// ReadNote is one progress note in full, as the digest's "Read the note"
// button shows it, with whether its reader may see it.
type ReadNote struct {
	NoteRow
	AuthorName string `db:"author_name"`
	// Readable is the Viewer rule applied on the server to this reader.
	Readable bool `db:"readable"`
}

// NoteForReader reads note id and whether v may read it (the same rule as
// every note query). A note that does not exist is domain.ErrNotFound; one
// v may not read comes back with Readable false, so the caller can refuse
// and audit it.
func (o ops) NoteForReader(ctx context.Context, v Viewer, id int64) (ReadNote, error) {
	visible, vargs := v.noteFilter("n", 2)
	var n ReadNote
	err := sqlx.GetContext(ctx, o.q(), &n, fmt.Sprintf(`
		SELECT n.id, n.period, n.body, n.language, n.visibility, o.name AS organisation_name,
		       q.name AS quartier_name, n.conditions, n.is_sample,
		       ARRAY(SELECT t.slug FROM progress_note_themes nt JOIN themes t ON t.id = nt.theme_id
		             WHERE nt.note_id = n.id ORDER BY t.slug) AS theme_slugs,
		       coalesce(a.display_name, '') AS author_name,
		       (%s) AS readable
		FROM progress_notes n
		JOIN organisations o ON o.id = n.organisation_id
		JOIN quartiers q ON q.id = n.quartier_id
		LEFT JOIN people a ON a.id = n.author_id
		WHERE n.id = $1`, visible), append([]any{id}, vargs...)...)
	return n, wrap("note for reader", notFound(err, "note", strconv.FormatInt(id, 10)))
}
