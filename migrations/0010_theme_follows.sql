-- Monthly digests: who follows which priority issue. A regional partner who
-- follows a theme (`/pic suivre <thème>`) is matched in the digest with the
-- quartiers whose notes act on it.

-- +goose Up
CREATE TABLE theme_follows (
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE RESTRICT,
    theme_id   bigint NOT NULL REFERENCES themes (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, theme_id)
);
-- The digest reads followers by theme.
CREATE INDEX theme_follows_theme ON theme_follows (theme_id, person_id);

CREATE TRIGGER theme_follows_audit AFTER INSERT OR UPDATE OR DELETE ON theme_follows
    FOR EACH ROW EXECUTE FUNCTION audit_row();

-- +goose Down
DROP TABLE theme_follows;
