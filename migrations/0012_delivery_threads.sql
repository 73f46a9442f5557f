-- A delivery may carry the messages to post in its thread once it is
-- posted, in order (a digest preview: the parent, then its parts). The
-- worker that records the post queues the first of them, with the rest, in
-- the same transaction: a crash between two parts loses none and repeats
-- none.

-- +goose Up
ALTER TABLE deliveries ADD COLUMN thread jsonb
    CHECK (thread IS NULL OR jsonb_typeof(thread) = 'array');

-- +goose Down
ALTER TABLE deliveries DROP COLUMN thread;
