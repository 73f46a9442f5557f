-- What a delivery says lives in its deliveries row, not in its River job:
-- the row is the record of what Relais sent, and River indexes job arguments
-- with GIN, which made a round's thousand job inserts the slowest part of
-- opening it.

-- +goose Up
ALTER TABLE deliveries
    ADD COLUMN text   text NOT NULL DEFAULT '',
    ADD COLUMN blocks text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE deliveries DROP COLUMN text, DROP COLUMN blocks;
