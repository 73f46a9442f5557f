-- Check-ins, part 2: answers by modal or by replies in the prompt's DM
-- thread, what Relais asks before saving a reply, and refused attempts.

-- +goose Up

-- An answer that arrives after its round closed is kept, marked late.
ALTER TABLE progress_notes ADD COLUMN late boolean NOT NULL DEFAULT false;

-- Every change of what a prompt's DMs must show (answered, edited, skipped,
-- closed) bumps its revision. The DM updates it causes are keyed on it: each
-- is sent once, and each renders the prompt as it is when sent.
ALTER TABLE checkin_prompts ADD COLUMN revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0);

-- Replies a respondent wrote in their prompt's DM thread: together, in the
-- order they were written, they are the Table's note. Editing a reply in
-- Slack edits its row; the note is written again from the rows.
CREATE TABLE checkin_thread_replies (
    id           bigserial PRIMARY KEY,
    recipient_id bigint NOT NULL REFERENCES checkin_recipients (id) ON DELETE RESTRICT,
    message_ts   text NOT NULL CHECK (btrim(message_ts) <> ''),
    -- Slack markup decoded: what the note says.
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (recipient_id, message_ts)
);

-- A DM Relais asks about before it becomes a note: a very short reply in the
-- thread ("merci !"), or a message outside the thread while a prompt is
-- open. Its buttons carry only this row's id; who may confirm it is the
-- person the row names.
CREATE TABLE checkin_pending_replies (
    id           bigserial PRIMARY KEY,
    recipient_id bigint NOT NULL REFERENCES checkin_recipients (id) ON DELETE RESTRICT,
    kind         text NOT NULL CHECK (kind IN ('short', 'outside_thread')),
    message_ts   text NOT NULL CHECK (btrim(message_ts) <> ''),
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    resolution   text CHECK (resolution IN ('saved', 'dismissed')),
    UNIQUE (recipient_id, message_ts)
);

-- A refused attempt (a forged payload naming another Table's prompt) is
-- audited like a write, with what it named.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN ('insert', 'update', 'delete', 'bulk', 'refused'));

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['checkin_thread_replies', 'checkin_pending_replies'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION audit_row()', t || '_audit', t);
    END LOOP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER checkin_thread_replies_touch BEFORE UPDATE ON checkin_thread_replies
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- +goose Down
DELETE FROM audit_log WHERE action = 'refused';
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check,
    ADD CONSTRAINT audit_log_action_check CHECK (action IN ('insert', 'update', 'delete', 'bulk'));
DROP TABLE checkin_pending_replies, checkin_thread_replies;
ALTER TABLE checkin_prompts DROP COLUMN revision;
ALTER TABLE progress_notes DROP COLUMN late;
