-- Check-ins, part 2: reminders. Each one is a new DM to a respondent whose
-- Table has not answered, recorded here when it is queued (the row is what
-- makes a re-run of the tick, or a second replica, queue nothing twice) and
-- completed with where it was posted, so that an answer or the round's
-- closing rewrites the reminder DMs as well as the prompt's own.

-- +goose Up

CREATE TABLE checkin_reminders (
    id           bigserial PRIMARY KEY,
    recipient_id bigint NOT NULL REFERENCES checkin_recipients (id) ON DELETE RESTRICT,
    -- Which of the schedule's offsets (1-based index into reminder_working_days).
    n            smallint NOT NULL CHECK (n BETWEEN 1 AND 5),
    -- The deliveries row that posts it: "reminder:<prompt>:<slack user>:<n>".
    delivery_key text NOT NULL UNIQUE CHECK (btrim(delivery_key) <> ''),
    -- When it was due (the schedule's local time on its working day).
    due_at       timestamptz NOT NULL,
    -- The DM's D… id and the message's ts, once posted.
    channel_id   text,
    message_ts   text,
    sent_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (recipient_id, n),
    CONSTRAINT checkin_reminders_posted CHECK ((channel_id IS NULL) = (message_ts IS NULL))
);

-- A reply in a reminder's thread is found by its DM.
CREATE INDEX checkin_reminders_message ON checkin_reminders (channel_id, message_ts);

CREATE TRIGGER checkin_reminders_audit AFTER INSERT OR UPDATE OR DELETE ON checkin_reminders
    FOR EACH ROW EXECUTE FUNCTION audit_row();

-- +goose Down
DROP TABLE checkin_reminders;
