-- Relais foundation schema. Operators query these tables directly, so names are
-- plain and constraints keep the data valid whatever writes it.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Accent-insensitive full-text configurations: plain `french` does not match
-- "cote" with "Côte".
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION en_unaccent (COPY = english);
ALTER TEXT SEARCH CONFIGURATION en_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- unaccent() is only STABLE (its dictionary could change); pinning the
-- dictionary makes it safe in index expressions.
-- +goose StatementBegin
CREATE FUNCTION immutable_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
-- +goose StatementEnd

CREATE TYPE language_code AS ENUM ('fr', 'en');
CREATE TYPE organisation_kind AS ENUM (
    'table_de_quartier', 'funder', 'public_institution', 'community_organisation', 'regional_partner');
CREATE TYPE person_role AS ENUM ('coordinator', 'partner', 'table_member');
CREATE TYPE initiative_status AS ENUM ('planned', 'active', 'completed', 'suspended');
CREATE TYPE support_kind AS ENUM ('financial', 'non_financial');
CREATE TYPE note_visibility AS ENUM ('partnership', 'coordinators');
CREATE TYPE round_status AS ENUM ('open', 'closed');
CREATE TYPE prompt_status AS ENUM ('pending', 'sent', 'answered', 'skipped', 'expired');
CREATE TYPE outbox_status AS ENUM ('pending', 'sent', 'failed');

-- The six conditions of systems change (Kania, Kramer & Senge, 2018).
CREATE TABLE systems_conditions (
    key      text PRIMARY KEY,
    name_fr  text NOT NULL,
    name_en  text NOT NULL,
    level    text NOT NULL CHECK (level IN ('structural', 'relational', 'transformative')),
    position smallint NOT NULL UNIQUE
);
INSERT INTO systems_conditions (key, name_fr, name_en, level, position) VALUES
    ('policies',       'politiques',              'policies',                      'structural',     1),
    ('practices',      'pratiques',               'practices',                     'structural',     2),
    ('resource_flows', 'flux de ressources',      'resource flows',                'structural',     3),
    ('relationships',  'relations et connexions', 'relationships and connections', 'relational',     4),
    ('power_dynamics', 'dynamiques de pouvoir',   'power dynamics',                'relational',     5),
    ('mental_models',  'modèles mentaux',         'mental models',                 'transformative', 6);

CREATE TABLE quartiers (
    id          bigserial PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    -- name folded by domain.MatchKey (no case, accents, hyphens; "St-" = "saint").
    match_key   text NOT NULL UNIQUE CHECK (match_key <> ''),
    borough     text NOT NULL DEFAULT '',
    population  integer CHECK (population > 0),
    is_sample   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- GiST rather than GIN: the typo lookup (match_key % typed OR typed <% match_key)
-- uses it where the planner judged a GIN scan dearer than computing the
-- similarity of every name (8 ms of CPU at 1,000 quartiers, 0.5 ms with GiST).
CREATE INDEX quartiers_match_key_trgm ON quartiers USING gist (match_key gist_trgm_ops);

CREATE TABLE organisations (
    id               bigserial PRIMARY KEY,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name             text NOT NULL CHECK (btrim(name) <> ''),
    kind             organisation_kind NOT NULL,
    quartier_id      bigint REFERENCES quartiers (id) ON DELETE RESTRICT,
    slack_channel_id text CHECK (slack_channel_id ~ '^[CG][A-Z0-9]+$'),
    is_sample        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT table_has_quartier CHECK (kind <> 'table_de_quartier' OR quartier_id IS NOT NULL)
);
-- One Table de quartier per quartier.
CREATE UNIQUE INDEX organisations_one_table_per_quartier
    ON organisations (quartier_id) WHERE kind = 'table_de_quartier';
CREATE INDEX organisations_kind ON organisations (kind);
CREATE INDEX organisations_name_trgm ON organisations USING gin (immutable_unaccent(lower(name)) gin_trgm_ops);

CREATE TABLE people (
    id               bigserial PRIMARY KEY,
    slack_user_id    text NOT NULL UNIQUE CHECK (slack_user_id ~ '^[UW][A-Z0-9]+$'),
    display_name     text NOT NULL CHECK (btrim(display_name) <> ''),
    organisation_id  bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    role             person_role NOT NULL,
    answers_checkins boolean NOT NULL DEFAULT false,
    -- NULL: follow the Slack locale.
    language         language_code,
    active           boolean NOT NULL DEFAULT true,
    is_sample        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_organisation ON people (organisation_id);

-- Language chosen by Slack users Relais does not know yet (`/pic langue en`).
CREATE TABLE slack_user_settings (
    slack_user_id text PRIMARY KEY CHECK (slack_user_id ~ '^[UW][A-Z0-9]+$'),
    language      language_code NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE themes (
    id         bigserial PRIMARY KEY,
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name_fr    text NOT NULL CHECK (btrim(name_fr) <> ''),
    name_en    text NOT NULL CHECK (btrim(name_en) <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE initiatives (
    id                   bigserial PRIMARY KEY,
    code                 text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]*$'),
    quartier_id          bigint REFERENCES quartiers (id) ON DELETE RESTRICT,
    lead_organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    title                text NOT NULL CHECK (btrim(title) <> ''),
    summary              text NOT NULL DEFAULT '',
    language             language_code NOT NULL DEFAULT 'fr',
    strategies           text[] NOT NULL DEFAULT '{}',
    status               initiative_status NOT NULL DEFAULT 'active',
    start_date           date NOT NULL,
    end_date             date,
    is_sample            boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    search               tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(CASE language WHEN 'en' THEN 'en_unaccent'::regconfig ELSE 'fr_unaccent'::regconfig END, title), 'A') ||
        setweight(to_tsvector(CASE language WHEN 'en' THEN 'en_unaccent'::regconfig ELSE 'fr_unaccent'::regconfig END, summary), 'B')
    ) STORED,
    CONSTRAINT initiative_dates CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX initiatives_quartier ON initiatives (quartier_id);
CREATE INDEX initiatives_lead ON initiatives (lead_organisation_id);
CREATE INDEX initiatives_search ON initiatives USING gin (search);

CREATE TABLE initiative_themes (
    initiative_id bigint NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    theme_id      bigint NOT NULL REFERENCES themes (id) ON DELETE RESTRICT,
    PRIMARY KEY (initiative_id, theme_id)
);
CREATE INDEX initiative_themes_theme ON initiative_themes (theme_id, initiative_id);

CREATE TABLE funding (
    id                  bigserial PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]*$'),
    initiative_id       bigint NOT NULL REFERENCES initiatives (id) ON DELETE RESTRICT,
    funder_id           bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    amount_cents        bigint NOT NULL CHECK (amount_cents >= 0),
    kind                support_kind NOT NULL,
    support_description text NOT NULL DEFAULT '',
    period_start        date NOT NULL,
    period_end          date NOT NULL,
    is_sample           boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT funding_period CHECK (period_end >= period_start),
    CONSTRAINT non_financial_described CHECK (kind = 'financial' OR btrim(support_description) <> '')
);
CREATE INDEX funding_initiative ON funding (initiative_id);
CREATE INDEX funding_funder ON funding (funder_id);
CREATE INDEX funding_period_end ON funding (period_end);

-- Check-ins (built in a later issue; the tables are named now).
CREATE TABLE checkin_schedules (
    id              bigserial PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    -- robfig/cron standard spec, evaluated in time_zone.
    cron_spec       text NOT NULL CHECK (btrim(cron_spec) <> ''),
    time_zone       text NOT NULL DEFAULT 'America/Montreal',
    -- [{"key": "...", "fr": "...", "en": "..."}]
    questions       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(questions) = 'array'),
    remind_after    interval NOT NULL DEFAULT '3 days',
    close_after     interval NOT NULL DEFAULT '10 days',
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE checkin_rounds (
    id            bigserial PRIMARY KEY,
    schedule_id   bigint NOT NULL REFERENCES checkin_schedules (id) ON DELETE RESTRICT,
    -- The occurrence that opened the round, local time: a round opens once per occurrence.
    scheduled_for timestamptz NOT NULL,
    period        date NOT NULL,
    status        round_status NOT NULL DEFAULT 'open',
    opened_at     timestamptz NOT NULL DEFAULT now(),
    closes_at     timestamptz NOT NULL,
    closed_at     timestamptz,
    UNIQUE (schedule_id, scheduled_for),
    CONSTRAINT round_closes_after_open CHECK (closes_at > opened_at)
);
CREATE INDEX checkin_rounds_period ON checkin_rounds (period);

CREATE TABLE checkin_prompts (
    id              bigserial PRIMARY KEY,
    round_id        bigint NOT NULL REFERENCES checkin_rounds (id) ON DELETE RESTRICT,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    person_id       bigint REFERENCES people (id) ON DELETE RESTRICT,
    status          prompt_status NOT NULL DEFAULT 'pending',
    sent_at         timestamptz,
    reminded_at     timestamptz,
    answered_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (round_id, organisation_id)
);
CREATE INDEX checkin_prompts_status ON checkin_prompts (status, round_id);

CREATE TABLE progress_notes (
    id              bigserial PRIMARY KEY,
    -- Stable reference for imported or seeded notes, so loading twice adds nothing.
    import_key      text UNIQUE,
    round_id        bigint REFERENCES checkin_rounds (id) ON DELETE RESTRICT,
    prompt_id       bigint REFERENCES checkin_prompts (id) ON DELETE RESTRICT,
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    quartier_id     bigint NOT NULL REFERENCES quartiers (id) ON DELETE RESTRICT,
    author_id       bigint REFERENCES people (id) ON DELETE RESTRICT,
    -- The month the note reports on (first day of the month).
    period          date NOT NULL CHECK (extract(day FROM period) = 1),
    body            text NOT NULL CHECK (btrim(body) <> ''),
    -- {"question_key": "answer"}
    answers         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
    conditions      text[] NOT NULL DEFAULT '{}' CHECK (conditions <@ ARRAY[
        'policies', 'practices', 'resource_flows', 'relationships', 'power_dynamics', 'mental_models']::text[]),
    language        language_code NOT NULL DEFAULT 'fr',
    visibility      note_visibility NOT NULL DEFAULT 'partnership',
    is_sample       boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    search          tsvector GENERATED ALWAYS AS (
        to_tsvector(CASE language WHEN 'en' THEN 'en_unaccent'::regconfig ELSE 'fr_unaccent'::regconfig END, body)
    ) STORED
);
CREATE INDEX progress_notes_quartier_period ON progress_notes (quartier_id, period DESC);
CREATE INDEX progress_notes_organisation_period ON progress_notes (organisation_id, period DESC);
CREATE INDEX progress_notes_period ON progress_notes (period);
CREATE INDEX progress_notes_round ON progress_notes (round_id);
CREATE INDEX progress_notes_search ON progress_notes USING gin (search);
CREATE INDEX progress_notes_conditions ON progress_notes USING gin (conditions);

CREATE TABLE progress_note_themes (
    note_id  bigint NOT NULL REFERENCES progress_notes (id) ON DELETE CASCADE,
    theme_id bigint NOT NULL REFERENCES themes (id) ON DELETE RESTRICT,
    PRIMARY KEY (note_id, theme_id)
);
CREATE INDEX progress_note_themes_theme ON progress_note_themes (theme_id, note_id);

-- Monthly digests (built in a later issue).
CREATE TABLE digests (
    id           bigserial PRIMARY KEY,
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    audience     text NOT NULL DEFAULT 'partnership' CHECK (audience IN ('partnership', 'coordinators')),
    language     language_code NOT NULL DEFAULT 'fr',
    content      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    UNIQUE (period, audience, language)
);

-- Everything Relais sends on its own initiative: written in the same transaction
-- as the change that causes it, delivered by the sender, never twice.
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

-- Slack event ids already processed: each event is handled once.
CREATE TABLE slack_events (
    event_id    text PRIMARY KEY,
    team_id     text NOT NULL DEFAULT '',
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_events_received ON slack_events (received_at);

-- Who changed what, when, before and after. Written by trigger, so no write to a
-- data table escapes it; the store names the actor with SET LOCAL relais.actor.
CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL CHECK (action IN ('insert', 'update', 'delete', 'bulk')),
    entity    text NOT NULL,
    entity_id text,
    before    jsonb,
    after     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose StatementBegin
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('relais.actor', true), ''), 'sql:' || session_user);
    old_row jsonb;
    new_row jsonb;
    row_id text;
BEGIN
    -- Bulk loads (synthetic data) write one summary row themselves.
    IF current_setting('relais.audit_mode', true) = 'bulk' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'search'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'search'; END IF;
    IF old_row IS NOT NULL AND new_row IS NOT NULL AND old_row - 'updated_at' = new_row - 'updated_at' THEN
        RETURN NULL; -- nothing changed
    END IF;
    row_id := coalesce(new_row, old_row) ->> 'id';
    IF row_id IS NULL THEN
        row_id := coalesce(new_row, old_row)::text;
    END IF;
    INSERT INTO audit_log (actor, action, entity, entity_id, before, after)
    VALUES (actor, lower(TG_OP), TG_TABLE_NAME, row_id, old_row, new_row);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['quartiers', 'organisations', 'people', 'slack_user_settings', 'themes',
        'initiatives', 'initiative_themes', 'funding', 'checkin_schedules', 'checkin_rounds',
        'checkin_prompts', 'progress_notes', 'progress_note_themes', 'digests'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION audit_row()', t || '_audit', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['quartiers', 'organisations', 'people', 'slack_user_settings',
        'initiatives', 'funding', 'checkin_schedules', 'checkin_prompts', 'progress_notes'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I
                        FOR EACH ROW EXECUTE FUNCTION touch_updated_at()', t || '_touch', t);
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE IF EXISTS audit_log, slack_events, outbox, digests, progress_note_themes, progress_notes,
    checkin_prompts, checkin_rounds, checkin_schedules, funding, initiative_themes, initiatives, themes,
    slack_user_settings, people, organisations, quartiers, systems_conditions;
DROP FUNCTION IF EXISTS audit_row(), touch_updated_at(), immutable_unaccent(text);
DROP TYPE IF EXISTS language_code, organisation_kind, person_role, initiative_status, support_kind,
    note_visibility, round_status, prompt_status, outbox_status;
DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent;
DROP TEXT SEARCH CONFIGURATION IF EXISTS en_unaccent;
