-- Per-table change counters, so that a cache outdates only the answers that
-- read the tables a write changed (issue 7): a check-in prompt marked sent no
-- longer empties every cached funding total.
--
-- A table's counter moves once per transaction that wrote it, when that
-- transaction commits. It is driven by audit_log, so every audited write is
-- counted, bulk loads included: they skip the per-row audit but write one
-- summary row per table (entity = the table). Tables without an audit
-- trigger (slack_events, deliveries, River's) have no counter: no cache may
-- read them.
--
-- Why counters in rows rather than audit_log's highest id per table: ids are
-- taken when a row is written, not when it commits, so a transaction that
-- commits after a later one leaves the highest id unchanged and its change
-- unseen. A counter is updated under its row lock, so every commit that
-- changed a table is visible as a new value. The bump runs at commit
-- (deferred), in table-name order: writers of the same table wait for each
-- other only for the commit itself, and never deadlock on the counters.

-- +goose Up
CREATE TABLE table_versions (
    table_name text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 0 CHECK (version >= 0)
);
INSERT INTO table_versions (table_name)
SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgfoid = 'audit_row'::regproc;

-- Each audit row notes its table in the transaction's list
-- (relais.changed_tables, transaction-local, so a rolled-back savepoint
-- takes its tables back with it).
-- +goose StatementBegin
CREATE FUNCTION note_changed_table() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := coalesce(current_setting('relais.changed_tables', true), '');
BEGIN
    IF changed = '' THEN
        PERFORM set_config('relais.changed_tables', NEW.entity, true);
    ELSIF NOT NEW.entity = ANY (string_to_array(changed, ',')) THEN
        PERFORM set_config('relais.changed_tables', changed || ',' || NEW.entity, true);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- At commit, the tables noted and not yet counted are counted, in name order.
-- +goose StatementBegin
CREATE FUNCTION bump_table_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[] := string_to_array(nullif(current_setting('relais.changed_tables', true), ''), ',');
    counted text[] := coalesce(string_to_array(nullif(current_setting('relais.counted_tables', true), ''), ','), '{}');
BEGIN
    IF changed IS NULL OR changed <@ counted THEN
        RETURN NULL; -- the first audit row of the transaction counted them all
    END IF;
    INSERT INTO table_versions AS v (table_name, version)
    SELECT t, 1 FROM unnest(changed) t WHERE NOT t = ANY (counted) ORDER BY t
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1;
    PERFORM set_config('relais.counted_tables', array_to_string(changed, ','), true);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Named so that it fires before the bump, should SET CONSTRAINTS make that immediate.
CREATE TRIGGER audit_log_note_table AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION note_changed_table();
CREATE CONSTRAINT TRIGGER audit_log_version_bump AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_table_versions();

-- +goose Down
DROP TRIGGER audit_log_version_bump ON audit_log;
DROP TRIGGER audit_log_note_table ON audit_log;
DROP FUNCTION bump_table_versions(), note_changed_table();
DROP TABLE table_versions;
