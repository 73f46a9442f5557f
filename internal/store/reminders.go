package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// KindReminder is the delivery kind of reminder DMs. The deliver worker
// records where one was posted in checkin_reminders (MarkReminderPosted),
// never in checkin_recipients, which keeps the prompt's own DM.
const KindReminder = "reminder"

// ReminderRound is an open round as the reminders need it.
type ReminderRound struct {
	ID           int64     `db:"id"`
	ScheduleSlug string    `db:"schedule_slug"`
	OpenedAt     time.Time `db:"opened_at"`
	ScheduledFor time.Time `db:"scheduled_for"`
	ClosesAt     time.Time `db:"closes_at"`
	// TimeZone is the round's IANA zone ("" for the default).
	TimeZone string `db:"time_zone"`
	// Offsets are the schedule's reminder_working_days, ascending.
	Offsets pq.Int64Array `db:"offsets"`
}

const reminderRoundSelect = `SELECT r.id, s.slug AS schedule_slug, r.opened_at, r.scheduled_for, r.closes_at,
		coalesce(r.time_zone, s.time_zone) AS time_zone, s.reminder_working_days AS offsets
	FROM checkin_rounds r JOIN checkin_schedules s ON s.id = r.schedule_id`

// RemindableRounds lists the rounds open at now whose schedule is active and
// reminds: a paused schedule's open round still closes, but reminds nobody.
func (o ops) RemindableRounds(ctx context.Context, now time.Time) ([]ReminderRound, error) {
	var out []ReminderRound
	err := sqlx.SelectContext(ctx, o.q(), &out, reminderRoundSelect+`
		WHERE r.status = 'open' AND r.closes_at > $1 AND s.active AND cardinality(s.reminder_working_days) > 0
		ORDER BY r.id`, now)
	return out, wrap("remindable rounds", err)
}

// LockReminderRound re-reads a round of RemindableRounds in tx, locking it
// against its closing and another replica's reminders; ok is false when it
// is no longer open at now.
func (o ops) LockReminderRound(ctx context.Context, id int64, now time.Time) (r ReminderRound, ok bool, err error) {
	var rows []ReminderRound
	err = sqlx.SelectContext(ctx, o.q(), &rows, reminderRoundSelect+`
		WHERE r.id = $1 AND r.status = 'open' AND r.closes_at > $2 AND s.active
		FOR UPDATE OF r`, id, now)
	if err != nil || len(rows) == 0 {
		return r, false, wrap("lock round", err)
	}
	return rows[0], true, nil
}

// QueuedReminder is a reminder just recorded, to deliver.
type QueuedReminder struct {
	ID          int64  `db:"id"`
	RecipientID int64  `db:"recipient_id"`
	PromptID    int64  `db:"prompt_id"`
	SlackUserID string `db:"slack_user_id"`
	DeliveryKey string `db:"delivery_key"`
}

// QueueReminders records reminder n (1-based) of a round, due at dueAt, for
// each recipient who should get it: their Table's prompt is neither
// answered, nothing to report, skipped nor expired; they are active, still
// at that Table, answer check-ins and are not away on today; their prompt
// reached them by DM (state sent: a prompt posted in the Table's channel
// for DMs Slack refused is not repeated there once per respondent); and
// they have had neither this reminder nor a later one. It returns the rows it wrote:
// none the second time, so a re-run or a second replica queues nothing.
// The rows are audited as one bulk row (a round of 1,000 Tables).
func (o ops) QueueReminders(ctx context.Context, actor Actor, roundID int64, n int, dueAt, today time.Time) ([]QueuedReminder, error) {
	var out []QueuedReminder
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		// Audited as bulkAudited does, but only when something was written:
		// the tick asks every minute, and mostly gets nothing.
		if _, err := tx.ExecContext(ctx, `SELECT set_config('relais.audit_mode', 'bulk', true)`); err != nil {
			return wrap("bulk audit on", err)
		}
		err := sqlx.SelectContext(ctx, tx, &out, `
				WITH due AS (
					SELECT rc.id AS recipient_id, pr.id AS prompt_id, pe.slack_user_id,
						'reminder:' || pr.id || ':' || pe.slack_user_id || ':' || $2::int AS delivery_key
					FROM checkin_prompts pr
					JOIN checkin_recipients rc ON rc.prompt_id = pr.id
					JOIN people pe ON pe.id = rc.person_id
					WHERE pr.round_id = $1 AND pr.status IN ('pending', 'sent')
						AND rc.state = 'sent'
						AND pe.active AND pe.answers_checkins AND pe.organisation_id = pr.organisation_id
						AND (pe.away_until IS NULL OR pe.away_until < $4::date)
						AND NOT EXISTS (SELECT 1 FROM checkin_reminders rm
							WHERE rm.recipient_id = rc.id AND rm.n >= $2)),
				ins AS (
					INSERT INTO checkin_reminders (recipient_id, n, delivery_key, due_at)
					SELECT recipient_id, $2, delivery_key, $3 FROM due
					ON CONFLICT DO NOTHING
					RETURNING id, recipient_id, delivery_key)
				SELECT ins.id, ins.recipient_id, due.prompt_id, due.slack_user_id, ins.delivery_key
				FROM ins JOIN due ON due.recipient_id = ins.recipient_id
				ORDER BY ins.id`, roundID, n, dueAt, today.Format(time.DateOnly))
		if err != nil {
			return wrap("queue reminders", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('relais.audit_mode', '', true)`); err != nil {
			return wrap("bulk audit off", err)
		}
		if len(out) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, after)
			VALUES (current_setting('relais.actor'), 'bulk', 'checkin_reminders',
				jsonb_build_object('rows', $1::int, 'round_id', $2::bigint, 'n', $3::int))`, len(out), roundID, n)
		return wrap("bulk audit", err)
	})
	return out, err
}

// MarkReminderPosted records where the reminder of delivery key was posted;
// false when key is no reminder's.
func (o ops) MarkReminderPosted(ctx context.Context, key, channelID, messageTS string, at time.Time) (bool, error) {
	res, err := o.q().ExecContext(ctx, `
		UPDATE checkin_reminders SET channel_id = $2, message_ts = $3, sent_at = $4
		WHERE delivery_key = $1`, key, channelID, messageTS, at)
	if err != nil {
		return false, wrap("mark reminder posted", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("mark reminder posted", err)
}

// ReminderPrompt reads what a reminder DM to a recipient says, when it is
// sent: the recipient's RecipientPrompt, only while a reminder is still
// wanted (the round open, the prompt neither answered nor skipped, the
// person active at that Table, answering check-ins and not away on today,
// a Montreal date, as QueueReminders checks). Otherwise it is a
// domain.ErrNotFound, and the reminder is dropped without an alert.
func (o ops) ReminderPrompt(ctx context.Context, recipientID int64, today time.Time) (RecipientPrompt, error) {
	var p RecipientPrompt
	err := sqlx.GetContext(ctx, o.q(), &p, recipientPromptSelect+recipientPromptFrom+`
		WHERE rc.id = $1 AND r.status = 'open' AND pr.status IN ('pending', 'sent')
			AND pe.active AND pe.answers_checkins AND pe.organisation_id = pr.organisation_id
			-- Gone away (/pic absent) since the reminder was queued.
			AND (pe.away_until IS NULL OR pe.away_until < $2::date)`, recipientID, today.Format(time.DateOnly))
	return p, wrap("reminder prompt", notFound(err, "checkin reminder", strconv.FormatInt(recipientID, 10)))
}

// Reminder is one row of checkin_reminders.
type Reminder struct {
	ID          int64      `db:"id"`
	RecipientID int64      `db:"recipient_id"`
	N           int        `db:"n"`
	DeliveryKey string     `db:"delivery_key"`
	DueAt       time.Time  `db:"due_at"`
	ChannelID   string     `db:"channel_id"`
	MessageTS   string     `db:"message_ts"`
	SentAt      *time.Time `db:"sent_at"`
}

// RemindersOfRound lists a round's reminders, by id.
func (o ops) RemindersOfRound(ctx context.Context, roundID int64) ([]Reminder, error) {
	var out []Reminder
	err := sqlx.SelectContext(ctx, o.q(), &out, `
		SELECT rm.id, rm.recipient_id, rm.n, rm.delivery_key, rm.due_at, coalesce(rm.channel_id, '') AS channel_id,
			coalesce(rm.message_ts, '') AS message_ts, rm.sent_at
		FROM checkin_reminders rm
		JOIN checkin_recipients rc ON rc.id = rm.recipient_id
		JOIN checkin_prompts pr ON pr.id = rc.prompt_id
		WHERE pr.round_id = $1 ORDER BY rm.id`, roundID)
	return out, wrap("reminders of round", err)
}

// RoundToClose is a round whose closing time has come.
type RoundToClose struct {
	ID           int64     `db:"id"`
	ScheduleSlug string    `db:"schedule_slug"`
	ClosesAt     time.Time `db:"closes_at"`
}

// RoundsToClose lists the open rounds whose closes_at is not after now.
func (o ops) RoundsToClose(ctx context.Context, now time.Time) ([]RoundToClose, error) {
	var out []RoundToClose
	err := sqlx.SelectContext(ctx, o.q(), &out, `
		SELECT r.id, s.slug AS schedule_slug, r.closes_at
		FROM checkin_rounds r JOIN checkin_schedules s ON s.id = r.schedule_id
		WHERE r.status = 'open' AND r.closes_at <= $1 ORDER BY r.closes_at, r.id`, now)
	return out, wrap("rounds to close", err)
}

// roundPromptCounts reads the PromptCounts of round $1.
const roundPromptCounts = `SELECT
		count(*) FILTER (WHERE status = 'answered') AS answered,
		count(*) FILTER (WHERE status = 'nothing_to_report') AS nothing_to_report,
		count(*) FILTER (WHERE status = 'skipped') AS skipped,
		count(*) FILTER (WHERE status = 'expired') AS expired,
		count(*) FILTER (WHERE status IN ('pending', 'sent')) AS pending
	FROM checkin_prompts WHERE round_id = $1`

// CloseRound closes a round that is open and due at now, in the caller's
// transaction: its status and closed_at, and its prompts still pending or
// sent become expired (who did not answer); answered, nothing to report and
// skipped stay. It returns the round's prompt ids, for TouchPrompts, and
// what became of them; closed is false, and nothing is written, when the
// round is not open or not due (closed by another replica, or a retry).
func (o ops) CloseRound(ctx context.Context, actor Actor, roundID int64, now time.Time) (closed bool, promptIDs []int64, counts PromptCounts, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE checkin_rounds SET status = 'closed', closed_at = $2
			WHERE id = $1 AND status = 'open' AND closes_at <= $2`, roundID, now)
		if err != nil {
			return wrap("close round", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return wrap("close round", err)
		}
		closed = true
		if _, err := tx.ExecContext(ctx, `UPDATE checkin_prompts SET status = 'expired'
			WHERE round_id = $1 AND status IN ('pending', 'sent')`, roundID); err != nil {
			return wrap("expire prompts", err)
		}
		if err := sqlx.SelectContext(ctx, tx, &promptIDs, `SELECT id FROM checkin_prompts
			WHERE round_id = $1 ORDER BY id`, roundID); err != nil {
			return wrap("round prompts", err)
		}
		err = sqlx.GetContext(ctx, tx, &counts, roundPromptCounts, roundID)
		return wrap("closed round counts", err)
	})
	return closed, promptIDs, counts, err
}
