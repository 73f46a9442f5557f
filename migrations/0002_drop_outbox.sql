-- River's job table is the queue for everything Relais sends on its own
-- initiative (migration 3); what was sent gets its own table when a stage
-- needs it. The foundation's outbox was never used.

-- +goose Up
DROP TABLE outbox;
DROP TYPE outbox_status;

-- +goose Down
CREATE TYPE outbox_status AS ENUM ('pending', 'sent', 'failed');
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE,
    kind            text NOT NULL,
    channel         text NOT NULL,
    payload         jsonb NOT NULL,
    status          outbox_status NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    slack_ts        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
