-- A round keeps the questions and time zone it was opened with: its DMs are
-- written when they leave, and a schedule edited meanwhile must not make one
-- round ask different questions of different Tables.

-- +goose Up
ALTER TABLE checkin_rounds
    ADD COLUMN questions jsonb CHECK (questions IS NULL OR jsonb_typeof(questions) = 'array'),
    ADD COLUMN time_zone text;

-- +goose Down
ALTER TABLE checkin_rounds DROP COLUMN questions, DROP COLUMN time_zone;
