package store

import (
	"context"
	"encoding/json"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// RecordAlert records a coordinator alert by key and reports whether it is
// new: an alert already raised (a retry, another replica) returns false, and
// its messages must not be queued again.
func (o ops) RecordAlert(ctx context.Context, key, kind string, details map[string]any) (bool, error) {
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return false, wrap("record alert", err)
	}
	res, err := o.q().ExecContext(ctx, `
		INSERT INTO coordinator_alerts (key, kind, details) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, kind, raw)
	if err != nil {
		return false, wrap("record alert", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("record alert", err)
}

// AlertRecipient is an active coordinator an alert is sent to.
type AlertRecipient struct {
	SlackUserID string          `db:"slack_user_id"`
	Language    domain.Language `db:"language"`
}

// ActiveCoordinators lists the active coordinators with their language
// (French when they chose none), in a stable order.
func (o ops) ActiveCoordinators(ctx context.Context) ([]AlertRecipient, error) {
	var out []AlertRecipient
	err := sqlx.SelectContext(ctx, o.q(), &out, `
		SELECT slack_user_id, coalesce(language::text, 'fr') AS language
		FROM people WHERE role = 'coordinator' AND active ORDER BY slack_user_id`)
	return out, wrap("list active coordinators", err)
}
