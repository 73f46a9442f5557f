package store

import (
	"github.com/jmoiron/sqlx"

	"context"

	"github.com/pic-montreal/relais/internal/domain"
)

const personColumns = `p.id, p.slack_user_id, p.display_name, p.organisation_id, p.role,
	p.answers_checkins, p.language, p.active, p.is_sample`

// PersonBySlackID returns the active person with that Slack user id, or a
// domain.ErrNotFound error.
func (s *Store) PersonBySlackID(ctx context.Context, slackUserID string) (domain.Person, error) {
	var p domain.Person
	err := s.db.GetContext(ctx, &p, `SELECT `+personColumns+` FROM people p
		WHERE p.slack_user_id = $1 AND p.active`, slackUserID)
	if err != nil {
		return p, wrap("person by slack id", notFound(err, "person", slackUserID))
	}
	return p, nil
}

// ChosenLanguage returns the language a Slack user chose in Relais, if any:
// a known person's own setting, else what an unknown user chose.
func (s *Store) ChosenLanguage(ctx context.Context, slackUserID string) (domain.Language, bool, error) {
	var lang *string
	err := s.db.GetContext(ctx, &lang, `
		SELECT coalesce(
			(SELECT language::text FROM people WHERE slack_user_id = $1 AND active),
			(SELECT language::text FROM slack_user_settings WHERE slack_user_id = $1))`, slackUserID)
	if err != nil {
		return "", false, wrap("chosen language", err)
	}
	if lang == nil {
		return "", false, nil
	}
	return domain.Language(*lang), true, nil
}

// SetLanguage records a Slack user's language: on their person when Relais
// knows them, else in slack_user_settings.
func (s *Store) SetLanguage(ctx context.Context, actor Actor, slackUserID string, lang domain.Language) error {
	return s.inTx(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE people SET language = $2 WHERE slack_user_id = $1`,
			slackUserID, string(lang))
		if err != nil {
			return wrap("set person language", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO slack_user_settings (slack_user_id, language) VALUES ($1, $2)
			ON CONFLICT (slack_user_id) DO UPDATE SET language = excluded.language, updated_at = now()
			WHERE slack_user_settings.language <> excluded.language`, slackUserID, string(lang))
		return wrap("set user language", err)
	})
}

// PersonRow is a person with their organisation, for the directory.
type PersonRow struct {
	domain.Person
	OrganisationName string                  `db:"organisation_name"`
	OrganisationKind domain.OrganisationKind `db:"organisation_kind"`
	QuartierName     *string                 `db:"quartier_name"`
}

// ListPeople lists every person, active first, by organisation then name.
func (s *Store) ListPeople(ctx context.Context, limit, offset int) ([]PersonRow, int, error) {
	var rows []PersonRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+personColumns+`,
			o.name AS organisation_name, o.kind AS organisation_kind, q.name AS quartier_name
		FROM people p
		JOIN organisations o ON o.id = p.organisation_id
		LEFT JOIN quartiers q ON q.id = o.quartier_id
		ORDER BY p.active DESC, o.name, p.display_name
		LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, wrap("list people", err)
	}
	var total int
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) FROM people`); err != nil {
		return nil, 0, wrap("count people", err)
	}
	return rows, total, nil
}
