-- Check-ins, part 1: what the foundation's check-in tables lacked to open
-- rounds on schedules and deliver each prompt to every respondent once.

-- +goose Up

-- A schedule: a cron spec, optionally narrowed to the Nth weekday of the
-- month (robfig ORs day-of-month and day-of-week, so "first Tuesday" is a
-- rule of ours), an audience, reminders and closing in working days, and the
-- last occurrence handled, from which the next due ones are computed.
ALTER TABLE checkin_schedules
    DROP COLUMN remind_after,
    DROP COLUMN close_after,
    ADD COLUMN nth_weekday smallint CHECK (nth_weekday IN (-1, 1, 2, 3, 4, 5)),
    ADD COLUMN weekday smallint CHECK (weekday BETWEEN 0 AND 6),
    ADD COLUMN audience_all boolean NOT NULL DEFAULT true,
    ADD COLUMN reminder_working_days smallint[] NOT NULL DEFAULT '{2,5}'
        CHECK (cardinality(reminder_working_days) <= 5 AND 1 <= ALL (reminder_working_days)
               AND 20 >= ALL (reminder_working_days)),
    ADD COLUMN close_working_days smallint NOT NULL DEFAULT 10 CHECK (close_working_days BETWEEN 1 AND 20),
    ADD COLUMN close_hour smallint NOT NULL DEFAULT 17 CHECK (close_hour BETWEEN 0 AND 23),
    -- The key ("2026-11-03T09:00 America/Montreal") of the last occurrence
    -- opened or skipped; NULL before the first.
    ADD COLUMN last_occurrence text,
    ADD CONSTRAINT schedule_nth_weekday_pair CHECK ((nth_weekday IS NULL) = (weekday IS NULL));

-- The Tables a schedule asks when it does not ask all of them.
CREATE TABLE checkin_schedule_audience (
    schedule_id     bigint NOT NULL REFERENCES checkin_schedules (id) ON DELETE CASCADE,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    PRIMARY KEY (schedule_id, organisation_id)
);

-- Periods when no schedule opens a round (summer, the holidays).
CREATE TABLE checkin_pauses (
    id         bigserial PRIMARY KEY,
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pause_ends_after_start CHECK (ends_on >= starts_on)
);

-- A round is keyed on its occurrence's local date and time, not on an
-- instant: the autumn fall-back hour happens twice, its key once.
ALTER TABLE checkin_rounds
    DROP CONSTRAINT checkin_rounds_schedule_id_scheduled_for_key,
    ADD COLUMN occurrence_key text NOT NULL CHECK (btrim(occurrence_key) <> ''),
    -- Opened after its time (downtime), or early ("run now").
    ADD COLUMN opened_late boolean NOT NULL DEFAULT false,
    ADD COLUMN opened_early boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT checkin_rounds_occurrence UNIQUE (schedule_id, occurrence_key);
CREATE INDEX checkin_rounds_open ON checkin_rounds (closes_at) WHERE status = 'open';

-- "Nothing to report" is an answer without a note.
ALTER TYPE prompt_status ADD VALUE IF NOT EXISTS 'nothing_to_report' AFTER 'answered';

-- Who answered or skipped for the Table.
ALTER TABLE checkin_prompts
    ADD COLUMN answered_by bigint REFERENCES people (id) ON DELETE RESTRICT;

-- One row per (prompt, respondent): where the DM went, when it was sent and
-- reminded, and what became of it.
CREATE TYPE recipient_state AS ENUM ('pending', 'sent', 'fallback', 'unreachable', 'failed');
CREATE TABLE checkin_recipients (
    id          bigserial PRIMARY KEY,
    prompt_id   bigint NOT NULL REFERENCES checkin_prompts (id) ON DELETE RESTRICT,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE RESTRICT,
    state       recipient_state NOT NULL DEFAULT 'pending',
    -- The DM's D… id, as chat.postMessage answers (or the Table's channel
    -- after a fallback), and the message's ts.
    channel_id  text,
    message_ts  text,
    sent_at     timestamptz,
    reminded_at timestamptz[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (prompt_id, person_id)
);
CREATE INDEX checkin_recipients_person ON checkin_recipients (person_id);
CREATE INDEX checkin_recipients_message ON checkin_recipients (channel_id, message_ts);

-- Respondents away until a date get neither prompt nor reminder.
ALTER TABLE people ADD COLUMN away_until date;

-- A note may be about one initiative of its Table; a prompt has one note.
ALTER TABLE progress_notes
    ADD COLUMN initiative_id bigint REFERENCES initiatives (id) ON DELETE RESTRICT,
    ADD CONSTRAINT progress_notes_one_per_prompt UNIQUE (prompt_id);

-- What Relais sent on its own initiative, by the delivery's unique key: the
-- record that makes a re-run of a delivery job post nothing twice.
CREATE TYPE delivery_status AS ENUM ('pending', 'sent', 'failed');
CREATE TABLE deliveries (
    key        text PRIMARY KEY CHECK (btrim(key) <> ''),
    kind       text NOT NULL,
    status     delivery_status NOT NULL DEFAULT 'pending',
    -- Where it went (a D… DM, a channel) and its ts, once sent.
    channel_id text,
    message_ts text,
    attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX deliveries_status ON deliveries (status, kind);

-- Alerts to coordinators, one per problem (the key), however often it recurs.
CREATE TABLE coordinator_alerts (
    key        text PRIMARY KEY CHECK (btrim(key) <> ''),
    kind       text NOT NULL,
    details    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['checkin_schedule_audience', 'checkin_pauses', 'checkin_recipients'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION audit_row()', t || '_audit', t);
    END LOOP;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER checkin_recipients_touch BEFORE UPDATE ON checkin_recipients
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- +goose Down
DROP TABLE coordinator_alerts, deliveries, checkin_recipients, checkin_pauses, checkin_schedule_audience;
DROP TYPE delivery_status, recipient_state;
ALTER TABLE progress_notes DROP CONSTRAINT progress_notes_one_per_prompt, DROP COLUMN initiative_id;
ALTER TABLE people DROP COLUMN away_until;
ALTER TABLE checkin_prompts DROP COLUMN answered_by;
-- An enum value cannot be dropped: 'nothing_to_report' stays.
ALTER TABLE checkin_rounds
    DROP CONSTRAINT checkin_rounds_occurrence,
    DROP COLUMN occurrence_key,
    DROP COLUMN opened_late,
    DROP COLUMN opened_early,
    ADD CONSTRAINT checkin_rounds_schedule_id_scheduled_for_key UNIQUE (schedule_id, scheduled_for);
DROP INDEX IF EXISTS checkin_rounds_open;
ALTER TABLE checkin_schedules
    DROP CONSTRAINT schedule_nth_weekday_pair,
    DROP COLUMN nth_weekday, DROP COLUMN weekday, DROP COLUMN audience_all,
    DROP COLUMN reminder_working_days, DROP COLUMN close_working_days, DROP COLUMN close_hour,
    DROP COLUMN last_occurrence,
    ADD COLUMN remind_after interval NOT NULL DEFAULT '3 days',
    ADD COLUMN close_after interval NOT NULL DEFAULT '10 days';
