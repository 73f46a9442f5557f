package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// FollowTheme records that the active person slackUserID follows theme
// themeID; created is false when they already did. Someone Relais does not
// know (or no longer active) is a domain.ErrNotFound.
func (o ops) FollowTheme(ctx context.Context, actor Actor, slackUserID string, themeID int64) (created bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var n []int
		err := sqlx.SelectContext(ctx, tx, &n, `
			WITH p AS (SELECT id FROM people WHERE slack_user_id = $1 AND active)
			INSERT INTO theme_follows (person_id, theme_id) SELECT p.id, $2 FROM p
			ON CONFLICT DO NOTHING RETURNING 1`, slackUserID, themeID)
		if err != nil {
			return wrap("follow theme", err)
		}
		if len(n) == 1 {
			created = true
			return nil
		}
		return activePersonExists(ctx, tx, slackUserID)
	})
	return created, err
}

// UnfollowTheme ends slackUserID's follow of theme themeID; removed is false
// when they did not follow it.
func (o ops) UnfollowTheme(ctx context.Context, actor Actor, slackUserID string, themeID int64) (removed bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM theme_follows f USING people p
			WHERE p.id = f.person_id AND p.slack_user_id = $1 AND f.theme_id = $2`, slackUserID, themeID)
		if err != nil {
			return wrap("unfollow theme", err)
		}
		n, err := res.RowsAffected()
		removed = n > 0
		return err
	})
	return removed, err
}

// FollowedThemes lists the themes slackUserID follows, by French name.
func (o ops) FollowedThemes(ctx context.Context, slackUserID string) ([]domain.Theme, error) {
	var ts []domain.Theme
	err := sqlx.SelectContext(ctx, o.q(), &ts, `
		SELECT t.id, t.slug, t.name_fr, t.name_en
		FROM theme_follows f JOIN themes t ON t.id = f.theme_id JOIN people p ON p.id = f.person_id
		WHERE p.slack_user_id = $1 ORDER BY t.name_fr`, slackUserID)
	return ts, wrap("followed themes", err)
}

func activePersonExists(ctx context.Context, q queryer, slackUserID string) error {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM people WHERE slack_user_id = $1 AND active)`,
		slackUserID); err != nil {
		return wrap("person exists", err)
	}
	if !ok {
		return &domain.NotFoundError{Entity: "person", Key: slackUserID}
	}
	return nil
}
