package store

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PromptDM is a prompt DM already posted, to bring up to date after its
// prompt changed: the update's key carries the prompt's new revision.
type PromptDM struct {
	RecipientID int64  `db:"recipient_id"`
	PromptID    int64  `db:"prompt_id"`
	Revision    int    `db:"revision"`
	ChannelID   string `db:"channel_id"`
	MessageTS   string `db:"message_ts"`
}

// TouchPrompts bumps the revision of prompts whose DMs must now show
// something else (an answer, a skip, the round closed) and returns their
// posted DMs: each recipient's prompt DM and each reminder DM posted to
// them (checkin_reminders), every one with its own channel and ts. A DM not
// posted yet needs no update: it is written, as the prompt then is, when it
// leaves.
func (o ops) TouchPrompts(ctx context.Context, actor Actor, promptIDs []int64) ([]PromptDM, error) {
	var dms []PromptDM
	if len(promptIDs) == 0 {
		return nil, nil
	}
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		err := sqlx.SelectContext(ctx, tx, &dms, `
			WITH touched AS (
				UPDATE checkin_prompts SET revision = revision + 1
				WHERE id = ANY($1) RETURNING id, revision)
			SELECT rc.id AS recipient_id, t.id AS prompt_id, t.revision, rc.channel_id, rc.message_ts
			FROM touched t JOIN checkin_recipients rc ON rc.prompt_id = t.id
			WHERE rc.channel_id IS NOT NULL AND rc.message_ts IS NOT NULL
			UNION ALL
			-- Reminders are DMs of their own, showing the same prompt.
			SELECT rc.id, t.id, t.revision, rm.channel_id, rm.message_ts
			FROM touched t JOIN checkin_recipients rc ON rc.prompt_id = t.id
			JOIN checkin_reminders rm ON rm.recipient_id = rc.id
			WHERE rm.channel_id IS NOT NULL AND rm.message_ts IS NOT NULL
			ORDER BY recipient_id, message_ts`, pq.Int64Array(promptIDs))
		return wrap("touch prompts", err)
	})
	return dms, err
}
