-- Monthly digests, published: one digest per (month, channel), and each
-- message it posted, so a re-send updates in place and a retry finds what an
-- earlier attempt already posted.

-- +goose Up
ALTER TABLE digests DROP CONSTRAINT digests_period_audience_language_key;
ALTER TABLE digests
    ADD COLUMN channel     text NOT NULL DEFAULT '',
    -- pending: to post (or re-post); posted: every part is in Slack as
    -- generation says; refused: Relais will not post it there (audience).
    ADD COLUMN status      text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'posted', 'refused', 'failed')),
    -- generation grows with each re-send: a message row of an older
    -- generation is updated (or replaced) to the current one.
    ADD COLUMN generation  int NOT NULL DEFAULT 1,
    ADD COLUMN due_at      timestamptz,
    -- waiting_since: Relais was first refused the channel (not_in_channel…);
    -- hourly retries stop 7 days later.
    ADD COLUMN waiting_since timestamptz,
    ADD COLUMN last_error  text,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
ALTER TABLE digests ADD CONSTRAINT digests_period_channel_key UNIQUE (period, channel);

CREATE TABLE digest_messages (
    digest_id  bigint NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('parent', 'reply', 'chart')),
    -- part: 0 for the parent and the chart, 1… for thread replies.
    part       int NOT NULL CHECK (part >= 0),
    channel    text NOT NULL,
    -- key is the message metadata key (the chart's file name): what a retry
    -- looks for after an uncertain answer.
    key        text NOT NULL,
    generation int NOT NULL,
    -- attempted: a post was sent whose outcome is not known yet; ts empty.
    attempted  boolean NOT NULL DEFAULT false,
    ts         text,
    file_id    text,
    posted_at  timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (digest_id, kind, part)
);

-- +goose Down
DROP TABLE digest_messages;
ALTER TABLE digests DROP CONSTRAINT digests_period_channel_key;
DELETE FROM digests WHERE channel <> '';
ALTER TABLE digests DROP COLUMN channel, DROP COLUMN status, DROP COLUMN generation, DROP COLUMN due_at,
    DROP COLUMN waiting_since, DROP COLUMN last_error, DROP COLUMN updated_at;
ALTER TABLE digests ADD CONSTRAINT digests_period_audience_language_key UNIQUE (period, audience, language);
