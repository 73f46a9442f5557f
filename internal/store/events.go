package store

import (
	"context"
	"time"
)

// MarkEventProcessed records a Slack event id and reports whether this is the
// first time it is seen; a retried or duplicated delivery returns false.
func (o ops) MarkEventProcessed(ctx context.Context, eventID, teamID, eventType string) (bool, error) {
	return markEventProcessed(ctx, o.q(), eventID, teamID, eventType)
}

func markEventProcessed(ctx context.Context, q queryer, eventID, teamID, eventType string) (bool, error) {
	res, err := q.ExecContext(ctx, `
		INSERT INTO slack_events (event_id, team_id, event_type) VALUES ($1, $2, $3)
		ON CONFLICT (event_id) DO NOTHING`, eventID, teamID, eventType)
	if err != nil {
		return false, wrap("mark event processed", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("mark event processed", err)
	}
	return n == 1, nil
}

// ForgetEventsBefore deletes processed event ids older than t: Slack stops
// retrying an event after about five minutes, so old ids are dead weight.
func (o ops) ForgetEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	return forgetEventsBefore(ctx, o.q(), t)
}

func forgetEventsBefore(ctx context.Context, q queryer, t time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM slack_events WHERE received_at < $1`, t)
	if err != nil {
		return 0, wrap("forget events", err)
	}
	return res.RowsAffected()
}
