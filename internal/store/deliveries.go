package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// DeliveryActor is whom audit_log names for what the delivery worker writes.
const DeliveryActor Actor = "system:delivery"

// Delivery is one row of deliveries: a message Relais sends on its own
// initiative, by its unique key.
type Delivery struct {
	Key  string `db:"key"`
	Kind string `db:"kind"`
	// Text and Blocks are what the message says (Blocks a JSON array, or
	// empty). A message written when it is sent (delivery.Message.Render)
	// is queued without them; its worker records them with the post.
	Text      string     `db:"text"`
	Blocks    string     `db:"blocks"`
	Status    string     `db:"status"` // pending, sent, failed
	ChannelID string     `db:"channel_id"`
	MessageTS string     `db:"message_ts"`
	Attempts  int        `db:"attempts"`
	LastError string     `db:"last_error"`
	CreatedAt time.Time  `db:"created_at"`
	SentAt    *time.Time `db:"sent_at"`
	// Thread is the JSON array of the messages to post in this one's
	// thread once it is posted (delivery.Message.Thread); empty when none.
	Thread string `db:"thread"`
}

// Delivery statuses.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// QueuedDelivery is a delivery to record as pending. Blocks must be valid
// JSON (an array) or empty: it is written into the batch as it is.
type QueuedDelivery struct {
	Key, Kind, Text string
	Blocks          json.RawMessage
	// Thread is what to post in its thread once it is posted (a JSON array).
	Thread json.RawMessage
}

// QueueDeliveries records pending deliveries, one statement for the batch,
// and returns the keys it inserted: a key already recorded is left as it is.
// The batch travels as one JSON document, blocks copied in as they are:
// lib/pq's text arrays escape every byte of a thousand messages' blocks one
// by one, and encoding them again as JSON strings costs nearly as much.
func (o ops) QueueDeliveries(ctx context.Context, ds []QueuedDelivery) (map[string]bool, error) {
	var batch bytes.Buffer
	batch.WriteByte('[')
	for i, d := range ds {
		if i > 0 {
			batch.WriteByte(',')
		}
		head, err := json.Marshal(struct {
			Key  string `json:"key"`
			Kind string `json:"kind"`
			Text string `json:"text"`
		}{d.Key, d.Kind, d.Text})
		if err != nil {
			return nil, fmt.Errorf("queue deliveries: %w", err)
		}
		batch.Write(head[:len(head)-1])
		if len(d.Blocks) > 0 {
			batch.WriteString(`,"blocks":`)
			batch.Write(d.Blocks)
		}
		if len(d.Thread) > 0 {
			batch.WriteString(`,"thread":`)
			batch.Write(d.Thread)
		}
		batch.WriteByte('}')
	}
	batch.WriteByte(']')
	var inserted []string
	err := sqlx.SelectContext(ctx, o.q(), &inserted, `
		INSERT INTO deliveries (key, kind, text, blocks, thread)
		SELECT key, kind, text, coalesce(blocks::text, ''), thread::jsonb
		FROM json_to_recordset($1::json) AS d(key text, kind text, text text, blocks json, thread json)
		ON CONFLICT (key) DO NOTHING
		RETURNING key`, batch.String())
	if err != nil {
		return nil, wrap("queue deliveries", err)
	}
	fresh := make(map[string]bool, len(inserted))
	for _, k := range inserted {
		fresh[k] = true
	}
	return fresh, nil
}

// Delivery reads a delivery by key.
func (o ops) Delivery(ctx context.Context, key string) (Delivery, error) {
	var d Delivery
	err := sqlx.GetContext(ctx, o.q(), &d, `
		SELECT key, kind, text, blocks, status::text AS status, coalesce(channel_id, '') AS channel_id,
		       coalesce(message_ts, '') AS message_ts, attempts, coalesce(last_error, '') AS last_error,
		       created_at, sent_at, coalesce(thread::text, '') AS thread
		FROM deliveries WHERE key = $1`, key)
	return d, wrap("read delivery", notFound(err, "delivery", key))
}

// RecordDeliveryAttempt counts one more attempt that may reach Slack, before
// it is made: a later run that finds attempts > 0 looks for the post first.
// It returns the attempts before this one; ok is false when the delivery is
// no longer pending (or does not exist).
func (o ops) RecordDeliveryAttempt(ctx context.Context, key string) (before int, ok bool, err error) {
	err = sqlx.GetContext(ctx, o.q(), &before, `
		UPDATE deliveries SET attempts = attempts + 1
		WHERE key = $1 AND status = 'pending' RETURNING attempts - 1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return before, err == nil, wrap("record delivery attempt", err)
}

// ForgetDeliveryAttempt takes back an attempt Slack surely did not act on (a
// 429, a connection never opened), so the next run posts without looking in
// the history first, and notes why.
func (o ops) ForgetDeliveryAttempt(ctx context.Context, key, reason string) error {
	_, err := o.q().ExecContext(ctx, `
		UPDATE deliveries SET attempts = greatest(attempts - 1, 0), last_error = $2
		WHERE key = $1 AND status = 'pending'`, key, reason)
	return wrap("forget delivery attempt", err)
}

// NoteDeliveryError records why the last attempt did not succeed.
func (o ops) NoteDeliveryError(ctx context.Context, key, reason string) error {
	_, err := o.q().ExecContext(ctx, `UPDATE deliveries SET last_error = $2 WHERE key = $1`, key, reason)
	return wrap("note delivery error", err)
}

// MarkDeliverySent records where and when the message was posted; false when
// the delivery was no longer pending (another run recorded it first).
func (o ops) MarkDeliverySent(ctx context.Context, key, channelID, messageTS string, at time.Time) (bool, error) {
	return o.markSent(ctx, key, channelID, messageTS, at, false, "", nil)
}

// MarkRenderedDeliverySent is MarkDeliverySent for a message written when it
// was sent (a Render message, queued without content): it also records the
// text and blocks posted, so the row stays the record of what was sent.
func (o ops) MarkRenderedDeliverySent(ctx context.Context, key, channelID, messageTS string, at time.Time,
	text string, blocks json.RawMessage) (bool, error) {
	return o.markSent(ctx, key, channelID, messageTS, at, true, text, blocks)
}

func (o ops) markSent(ctx context.Context, key, channelID, messageTS string, at time.Time,
	withContent bool, text string, blocks json.RawMessage) (bool, error) {
	res, err := o.q().ExecContext(ctx, `
		UPDATE deliveries SET status = 'sent', channel_id = $2, message_ts = $3, sent_at = $4, last_error = NULL,
			text = CASE WHEN $5 THEN $6 ELSE text END, blocks = CASE WHEN $5 THEN $7 ELSE blocks END
		WHERE key = $1 AND status = 'pending'`, key, channelID, messageTS, at, withContent, text, string(blocks))
	if err != nil {
		return false, wrap("mark delivery sent", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("mark delivery sent", err)
}

// MarkDeliveryFailed gives up on a delivery; false when it was no longer
// pending.
func (o ops) MarkDeliveryFailed(ctx context.Context, key, reason string) (bool, error) {
	res, err := o.q().ExecContext(ctx, `
		UPDATE deliveries SET status = 'failed', last_error = $2 WHERE key = $1 AND status = 'pending'`, key, reason)
	if err != nil {
		return false, wrap("mark delivery failed", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("mark delivery failed", err)
}

// Recipient states a delivery sets (recipient_state).
const (
	RecipientSent        = "sent"
	RecipientFallback    = "fallback"
	RecipientUnreachable = "unreachable"
	RecipientFailed      = "failed"
)

// MarkRecipientDelivered records on a checkin_recipients row where its
// prompt was posted (the D… DM, or the Table's channel after a fallback).
func (o ops) MarkRecipientDelivered(ctx context.Context, recipientID int64, state, channelID, messageTS string, at time.Time) error {
	_, err := o.q().ExecContext(ctx, `
		UPDATE checkin_recipients SET state = $2::recipient_state, channel_id = $3, message_ts = $4, sent_at = $5
		WHERE id = $1`, recipientID, state, channelID, messageTS, at)
	return wrap("mark recipient delivered", err)
}

// MarkRecipientUndelivered records that a recipient's prompt could not be
// delivered (unreachable or failed).
func (o ops) MarkRecipientUndelivered(ctx context.Context, recipientID int64, state string) error {
	_, err := o.q().ExecContext(ctx, `
		UPDATE checkin_recipients SET state = $2::recipient_state WHERE id = $1`, recipientID, state)
	return wrap("mark recipient undelivered", err)
}

// PromptReach is what an unreachable recipient's alert needs: the prompt,
// its Table, and whether anyone at the Table is still reachable for it.
type PromptReach struct {
	PromptID  int64  `db:"prompt_id"`
	TableName string `db:"table_name"`
	// Reachable counts the prompt's recipients not unreachable or failed.
	Reachable int `db:"reachable"`
}

// LockPromptReach reads a recipient's PromptReach, locking the prompt so that
// two workers settling the last two recipients at once agree on who was
// last. The count is a second statement: it must see what the lock waited for.
func (o ops) LockPromptReach(ctx context.Context, recipientID int64) (PromptReach, error) {
	var r PromptReach
	err := sqlx.GetContext(ctx, o.q(), &r, `
		SELECT p.id AS prompt_id, o.name AS table_name, 0 AS reachable FROM checkin_recipients r
		JOIN checkin_prompts p ON p.id = r.prompt_id
		JOIN organisations o ON o.id = p.organisation_id
		WHERE r.id = $1
		FOR UPDATE OF p`, recipientID)
	if err != nil {
		return r, wrap("lock prompt", notFound(err, "checkin recipient", ""))
	}
	err = sqlx.GetContext(ctx, o.q(), &r.Reachable, `
		SELECT count(*) FROM checkin_recipients
		WHERE prompt_id = $1 AND state NOT IN ('unreachable', 'failed')`, r.PromptID)
	return r, wrap("count reachable recipients", err)
}
