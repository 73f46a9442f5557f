package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

const personColumns = `p.id, p.slack_user_id, p.display_name, p.organisation_id, p.role,
	p.answers_checkins, p.language, p.active, p.is_sample`

// PersonBySlackID returns the active person with that Slack user id, or a
// domain.ErrNotFound error.
func (o ops) PersonBySlackID(ctx context.Context, slackUserID string) (domain.Person, error) {
	return personBySlackID(ctx, o.q(), slackUserID)
}

func personBySlackID(ctx context.Context, q queryer, slackUserID string) (domain.Person, error) {
	var p domain.Person
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+personColumns+` FROM people p
		WHERE p.slack_user_id = $1 AND p.active`, slackUserID)
	if err != nil {
		return p, wrap("person by slack id", notFound(err, "person", slackUserID))
	}
	return p, nil
}

// ChosenLanguage returns the language a Slack user chose in Relais, if any:
// a known person's own setting, else what an unknown user chose.
func (o ops) ChosenLanguage(ctx context.Context, slackUserID string) (domain.Language, bool, error) {
	return chosenLanguage(ctx, o.q(), slackUserID)
}

func chosenLanguage(ctx context.Context, q queryer, slackUserID string) (domain.Language, bool, error) {
	var lang *string
	err := sqlx.GetContext(ctx, q, &lang, `
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
func (o ops) SetLanguage(ctx context.Context, actor Actor, slackUserID string, lang domain.Language) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error { return setLanguage(ctx, tx, slackUserID, lang) })
}

func setLanguage(ctx context.Context, q queryer, slackUserID string, lang domain.Language) error {
	res, err := q.ExecContext(ctx, `UPDATE people SET language = $2 WHERE slack_user_id = $1`,
		slackUserID, string(lang))
	if err != nil {
		return wrap("set person language", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO slack_user_settings (slack_user_id, language) VALUES ($1, $2)
		ON CONFLICT (slack_user_id) DO UPDATE SET language = excluded.language, updated_at = now()
		WHERE slack_user_settings.language <> excluded.language`, slackUserID, string(lang))
	return wrap("set user language", err)
}

// PersonRow is a person with their organisation, for the directory.
type PersonRow struct {
	domain.Person
	OrganisationName string                  `db:"organisation_name"`
	OrganisationKind domain.OrganisationKind `db:"organisation_kind"`
	QuartierName     *string                 `db:"quartier_name"`
}

// ListPeople lists one page of people, active first, by organisation then
// name, and how many there are in all, read from one snapshot.
func (o ops) ListPeople(ctx context.Context, limit, offset int) ([]PersonRow, int, error) {
	var rows []PersonRow
	var total int
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		rows, total, err = listPeople(ctx, q, limit, offset)
		return err
	})
	return rows, total, err
}

func listPeople(ctx context.Context, q queryer, limit, offset int) ([]PersonRow, int, error) {
	var rows []PersonRow
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+personColumns+`,
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
	if err := sqlx.GetContext(ctx, q, &total, `SELECT count(*) FROM people`); err != nil {
		return nil, 0, wrap("count people", err)
	}
	return rows, total, nil
}
