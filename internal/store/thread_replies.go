package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// Kinds of checkin_pending_replies: a very short reply in a prompt's
// thread, or a DM outside it while a prompt is open.
const (
	PendingShort         = "short"
	PendingOutsideThread = "outside_thread"
)

// Resolutions of a pending reply.
const (
	PendingSaved     = "saved"
	PendingDismissed = "dismissed"
)

// ErrNoPrompt is a DM that is no respondent's reply to a prompt: not in a
// prompt's thread, or not by the person the prompt was sent to.
var ErrNoPrompt = errors.New("not a reply to one of the person's prompts")

// ThreadPrompt is a prompt DM as one person replies to it: the recipient
// row (the DM sent to them), its prompt and round.
type ThreadPrompt struct {
	RecipientID int64     `db:"recipient_id"`
	PromptID    int64     `db:"prompt_id"`
	ChannelID   string    `db:"channel_id"`
	MessageTS   string    `db:"message_ts"` // the prompt DM's ts: its thread
	Period      time.Time `db:"period"`
	RoundOpen   bool      `db:"round_open"`
}

const threadPromptSelect = `
	SELECT rc.id AS recipient_id, rc.prompt_id, rc.channel_id, rc.message_ts, r.period,
		r.status = 'open' AS round_open
	FROM checkin_recipients rc
	JOIN people pe ON pe.id = rc.person_id
	JOIN checkin_prompts pr ON pr.id = rc.prompt_id
	JOIN checkin_rounds r ON r.id = pr.round_id`

// PromptOfThread is the prompt whose DM, or one of whose reminder DMs, has
// the thread (channelID, threadTS), when slackUserID is the person it was
// sent to; otherwise ErrNoPrompt. Its MessageTS is that thread's: Relais
// answers where the person wrote.
func (o ops) PromptOfThread(ctx context.Context, channelID, threadTS, slackUserID string) (ThreadPrompt, error) {
	var p ThreadPrompt
	err := sqlx.GetContext(ctx, o.q(), &p, `
		SELECT rc.id AS recipient_id, rc.prompt_id, $1::text AS channel_id, $2::text AS message_ts, r.period,
			r.status = 'open' AS round_open
		FROM checkin_recipients rc
		JOIN people pe ON pe.id = rc.person_id
		JOIN checkin_prompts pr ON pr.id = rc.prompt_id
		JOIN checkin_rounds r ON r.id = pr.round_id
		WHERE pe.slack_user_id = $3 AND rc.id IN (
			SELECT id FROM checkin_recipients WHERE channel_id = $1 AND message_ts = $2
			UNION ALL
			SELECT recipient_id FROM checkin_reminders WHERE channel_id = $1 AND message_ts = $2)`,
		channelID, threadTS, slackUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNoPrompt
	}
	return p, wrap("prompt of thread", err)
}

// OpenPromptIn is the latest prompt DM posted to slackUserID in channelID
// whose round is open, or ErrNoPrompt.
func (o ops) OpenPromptIn(ctx context.Context, channelID, slackUserID string) (ThreadPrompt, error) {
	var p ThreadPrompt
	err := sqlx.GetContext(ctx, o.q(), &p, threadPromptSelect+`
		WHERE rc.channel_id = $1 AND rc.message_ts IS NOT NULL AND pe.slack_user_id = $2 AND r.status = 'open'
		ORDER BY r.period DESC, rc.id DESC LIMIT 1`, channelID, slackUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNoPrompt
	}
	return p, wrap("open prompt in channel", err)
}

// PromptOfReply is the prompt DM that a stored reply (channelID, replyTS)
// by slackUserID belongs to, or ErrNoPrompt when no such reply is stored.
func (o ops) PromptOfReply(ctx context.Context, channelID, replyTS, slackUserID string) (ThreadPrompt, error) {
	var p ThreadPrompt
	err := sqlx.GetContext(ctx, o.q(), &p, threadPromptSelect+`
		JOIN checkin_thread_replies tr ON tr.recipient_id = rc.id
		WHERE rc.channel_id = $1 AND tr.message_ts = $2 AND pe.slack_user_id = $3`, channelID, replyTS, slackUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNoPrompt
	}
	return p, wrap("prompt of reply", err)
}

// SaveThreadReply stores, or rewrites, the reply replyTS to recipient
// recipientID's prompt DM. changed is false when it already said body.
func (o ops) SaveThreadReply(ctx context.Context, actor Actor, recipientID int64, replyTS, body string) (changed bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO checkin_thread_replies (recipient_id, message_ts, body)
			VALUES ($1, $2, $3)
			ON CONFLICT (recipient_id, message_ts) DO UPDATE SET body = EXCLUDED.body
			WHERE checkin_thread_replies.body IS DISTINCT FROM EXCLUDED.body`, recipientID, replyTS, body)
		if err != nil {
			return wrap("save thread reply", err)
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil
	})
	return changed, err
}

// DeleteThreadReply forgets a stored reply; false when there was none.
func (o ops) DeleteThreadReply(ctx context.Context, actor Actor, recipientID int64, replyTS string) (deleted bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM checkin_thread_replies WHERE recipient_id = $1 AND message_ts = $2`,
			recipientID, replyTS)
		if err != nil {
			return wrap("delete thread reply", err)
		}
		n, _ := res.RowsAffected()
		deleted = n > 0
		return nil
	})
	return deleted, err
}

// ThreadReplies are the stored replies to every DM of a prompt (its
// respondents may each reply in their own thread), in the order they were
// written: Slack's ts is the time of posting.
func (o ops) ThreadReplies(ctx context.Context, promptID int64) ([]string, error) {
	var bodies []string
	err := sqlx.SelectContext(ctx, o.q(), &bodies, `
		SELECT tr.body FROM checkin_thread_replies tr JOIN checkin_recipients rc ON rc.id = tr.recipient_id
		WHERE rc.prompt_id = $1
		ORDER BY CASE WHEN tr.message_ts ~ '^[0-9]{1,12}(\.[0-9]{1,9})?$' THEN tr.message_ts::numeric END NULLS LAST,
			tr.id`, promptID)
	return bodies, wrap("thread replies", err)
}

// PendingReply is a DM Relais asked about before it becomes a note.
type PendingReply struct {
	ID          int64      `db:"id"`
	RecipientID int64      `db:"recipient_id"`
	PromptID    int64      `db:"prompt_id"`
	Kind        string     `db:"kind"`
	MessageTS   string     `db:"message_ts"`
	Body        string     `db:"body"`
	ResolvedAt  *time.Time `db:"resolved_at"`
}

// AddPendingReply records a DM to ask about. created is false when the
// message was already pending (an edit, a retry): its text is brought up to
// date while it waits, and Relais asks once.
func (o ops) AddPendingReply(ctx context.Context, actor Actor, recipientID int64, kind, messageTS, body string) (id int64, created bool, err error) {
	if kind != PendingShort && kind != PendingOutsideThread {
		return 0, false, fmt.Errorf("pending reply kind %q: %w", kind, domain.ErrInvalid)
	}
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var row struct {
			ID      int64 `db:"id"`
			Created bool  `db:"created"`
		}
		err := sqlx.GetContext(ctx, tx, &row, `INSERT INTO checkin_pending_replies (recipient_id, kind, message_ts, body)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (recipient_id, message_ts) DO UPDATE SET body = CASE
				WHEN checkin_pending_replies.resolved_at IS NULL THEN EXCLUDED.body ELSE checkin_pending_replies.body END
			RETURNING id, (xmax = 0) AS created`, recipientID, kind, messageTS, body)
		if err != nil {
			return wrap("add pending reply", err)
		}
		id, created = row.ID, row.Created
		return nil
	})
	return id, created, err
}

// ErrNoLongerRespondent is a click on a pending reply that names the
// clicker, who no longer answers for the prompt's Table (moved to another
// organisation, or removed): not a forgery, and said plainly.
var ErrNoLongerRespondent = fmt.Errorf("no longer a respondent of the prompt's Table: %w", domain.ErrForbidden)

// PendingReplyFor reads pending reply id for the person who clicks one of
// its buttons: only the person the row names may, otherwise ErrNotRespondent
// (the id came from a client); ErrNoLongerRespondent when it names them but
// they no longer may answer the prompt (the mayAnswer rule).
func (o ops) PendingReplyFor(ctx context.Context, id int64, slackUserID string) (PendingReply, error) {
	var row struct {
		PendingReply
		Respondent bool `db:"respondent"`
	}
	err := sqlx.GetContext(ctx, o.q(), &row, `
		SELECT pp.id, pp.recipient_id, rc.prompt_id, pp.kind, pp.message_ts, pp.body, pp.resolved_at,
			(`+mayAnswer+`) AS respondent
		FROM checkin_pending_replies pp
		JOIN checkin_recipients rc ON rc.id = pp.recipient_id
		JOIN checkin_prompts pr ON pr.id = rc.prompt_id
		JOIN people pe ON pe.id = rc.person_id
		WHERE pp.id = $1 AND pe.slack_user_id = $2`, id, slackUserID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return PendingReply{}, ErrNotRespondent
	case err != nil:
		return PendingReply{}, wrap("pending reply", err)
	case !row.Respondent:
		return row.PendingReply, ErrNoLongerRespondent
	}
	return row.PendingReply, nil
}

// PendingReplyAt is the unresolved pending reply of message messageTS to
// recipient recipientID, if any.
func (o ops) PendingReplyAt(ctx context.Context, recipientID int64, messageTS string) (*PendingReply, error) {
	var p PendingReply
	err := sqlx.GetContext(ctx, o.q(), &p, `
		SELECT pr.id, pr.recipient_id, rc.prompt_id, pr.kind, pr.message_ts, pr.body, pr.resolved_at
		FROM checkin_pending_replies pr JOIN checkin_recipients rc ON rc.id = pr.recipient_id
		WHERE pr.recipient_id = $1 AND pr.message_ts = $2 AND pr.resolved_at IS NULL`, recipientID, messageTS)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("pending reply at", err)
	}
	return &p, nil
}

// ResolvePendingReply settles a pending reply (PendingSaved,
// PendingDismissed); false when it was already settled (a double click).
func (o ops) ResolvePendingReply(ctx context.Context, actor Actor, id int64, resolution string) (resolved bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkin_pending_replies SET resolved_at = now(), resolution = $2
			WHERE id = $1 AND resolved_at IS NULL`, id, resolution)
		if err != nil {
			return wrap("resolve pending reply", err)
		}
		n, _ := res.RowsAffected()
		resolved = n > 0
		return nil
	})
	return resolved, err
}

// LockAnswerablePrompt locks prompt promptID's row, as LockPrompt does,
// when slackUserID may answer it (the mayAnswer rule, decided before any
// row is locked: a stranger's click never waits on, nor holds, a Table's
// prompt); otherwise ErrNotRespondent, nothing locked. For a prompt id that
// came from a client.
func (o ops) LockAnswerablePrompt(ctx context.Context, promptID int64, slackUserID string) error {
	if o.tx == nil {
		return fmt.Errorf("lock prompt %d outside a transaction", promptID)
	}
	var id int64
	err := sqlx.GetContext(ctx, o.tx, &id, `
		SELECT pr.id FROM checkin_prompts pr JOIN people pe ON pe.slack_user_id = $2
		WHERE pr.id = $1 AND `+mayAnswer+`
		FOR UPDATE OF pr`, promptID, slackUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotRespondent
	}
	return wrap("lock answerable prompt", err)
}

// LockPrompt locks prompt promptID's row until the caller's transaction
// ends: a note read, changed and written again in it cannot overwrite a
// change made meanwhile (a modal saved between the read and the write).
func (o ops) LockPrompt(ctx context.Context, promptID int64) error {
	if o.tx == nil {
		return fmt.Errorf("lock prompt %d outside a transaction", promptID)
	}
	_, err := o.tx.ExecContext(ctx, `SELECT 1 FROM checkin_prompts WHERE id = $1 FOR UPDATE`, promptID)
	return wrap("lock prompt", err)
}

// ErrNoteNotEmpty is a note withdrawal refused, nothing written, because
// the note has other text (typed answers, another reply): the caller
// deletes the reply and writes the note again without it instead.
var ErrNoteNotEmpty = fmt.Errorf("the note has other text: %w", domain.ErrConflict)

// WithdrawThreadNote honours the deletion, in Slack, of reply replyTS to
// recipient recipientID's prompt DM when it was its note's whole text: the
// reply and the note go (both audited), and the prompt is unanswered again
// ('sent', answered_by and answered_at cleared, its revision bumped). It
// returns the prompt's posted DMs, to bring up to date. The prompt's row is
// locked first. Nothing is written when the round is closed
// (ErrRoundClosed: a closed round's note is no longer edited), when the
// note has other text (ErrNoteNotEmpty) or when the reply is not stored
// (ErrNoPrompt).
func (o ops) WithdrawThreadNote(ctx context.Context, actor Actor, recipientID int64, replyTS string) ([]PromptDM, error) {
	var dms []PromptDM
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var p struct {
			PromptID  int64 `db:"prompt_id"`
			RoundOpen bool  `db:"round_open"`
		}
		err := sqlx.GetContext(ctx, tx, &p, `
			SELECT pr.id AS prompt_id, r.status = 'open' AS round_open
			FROM checkin_prompts pr JOIN checkin_rounds r ON r.id = pr.round_id
			WHERE pr.id = (SELECT prompt_id FROM checkin_recipients WHERE id = $1)
			FOR UPDATE OF pr`, recipientID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNoPrompt
		case err != nil:
			return wrap("lock prompt of reply", err)
		case !p.RoundOpen:
			return ErrRoundClosed
		}
		var state struct {
			Stored    bool `db:"stored"`
			OtherText bool `db:"other_text"`
		}
		if err := sqlx.GetContext(ctx, tx, &state, `
			SELECT EXISTS (SELECT 1 FROM checkin_thread_replies WHERE recipient_id = $2 AND message_ts = $3) AS stored,
				EXISTS (SELECT 1 FROM checkin_thread_replies tr JOIN checkin_recipients rc ON rc.id = tr.recipient_id
					WHERE rc.prompt_id = $1 AND btrim(tr.body) <> ''
						AND NOT (tr.recipient_id = $2 AND tr.message_ts = $3))
				OR EXISTS (SELECT 1 FROM progress_notes n, jsonb_each_text(n.answers) a
					WHERE n.prompt_id = $1 AND btrim(a.value) <> '') AS other_text`,
			p.PromptID, recipientID, replyTS); err != nil {
			return wrap("note's other text", err)
		}
		switch {
		case !state.Stored:
			return ErrNoPrompt
		case state.OtherText:
			return ErrNoteNotEmpty
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM checkin_thread_replies WHERE recipient_id = $1 AND message_ts = $2`,
			recipientID, replyTS); err != nil {
			return wrap("delete thread reply", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM progress_notes WHERE prompt_id = $1`, p.PromptID); err != nil {
			return wrap("delete note", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checkin_prompts SET status = 'sent', answered_by = NULL,
			answered_at = NULL WHERE id = $1`, p.PromptID); err != nil {
			return wrap("prompt unanswered", err)
		}
		dms, err = ops{tx: tx, actor: actor}.TouchPrompts(ctx, actor, []int64{p.PromptID})
		return err
	})
	return dms, err
}
