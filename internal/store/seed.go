package store

// Seeding: loading reference, demo and synthetic data by natural key (slug,
// code, Slack user id, import key) rather than by id, so a data file can be
// loaded again and again. Two paths:
//
//   - Seed upserts: a repeated load of the same data issues no write at all, so
//     audit_log does not grow; a changed value is one audited update.
//   - SeedBulk only adds what is missing, switches the per-row audit off and
//     writes one summary row per table instead: for the synthetic data, where
//     100,000 audit rows would be noise and time.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// SeedTheme is a priority issue, keyed by slug.
type SeedTheme struct {
	Slug   string
	NameFr string
	NameEn string
}

// SeedQuartier is a quartier, keyed by slug; its match key is computed.
type SeedQuartier struct {
	Slug       string
	Name       string
	Borough    string
	Population int // 0: unknown
	IsSample   bool
}

// SeedOrganisation is an organisation, keyed by slug.
type SeedOrganisation struct {
	Slug           string
	Name           string
	Kind           domain.OrganisationKind
	QuartierSlug   string // "" for a regional organisation
	SlackChannelID string // "" for none
	IsSample       bool
}

// SeedPerson is a person, keyed by Slack user id.
type SeedPerson struct {
	SlackUserID      string
	DisplayName      string
	OrganisationSlug string
	Role             domain.Role
	AnswersCheckins  bool
	Language         domain.Language // "": follow the Slack locale
	Inactive         bool            // so that the zero value is an active person
	IsSample         bool
}

// SeedInitiative is an initiative, keyed by code, with its themes by slug.
type SeedInitiative struct {
	Code         string
	QuartierSlug string // "" for a regional initiative
	LeadSlug     string // lead organisation
	Title        string
	Summary      string
	Language     domain.Language         // "": French
	Strategies   []string                // in order
	Status       domain.InitiativeStatus // "": active
	StartDate    time.Time
	EndDate      time.Time // zero: open-ended
	ThemeSlugs   []string  // the initiative's whole theme set
	IsSample     bool
}

// SeedFunding is a grant or a non-financial support, keyed by code.
type SeedFunding struct {
	Code               string
	InitiativeCode     string
	FunderSlug         string
	AmountCents        int64
	Kind               domain.SupportKind
	SupportDescription string // required for non-financial support
	PeriodStart        time.Time
	PeriodEnd          time.Time
	IsSample           bool
}

// SeedNote is a progress note, keyed by import key, with its themes by slug.
type SeedNote struct {
	ImportKey        string
	OrganisationSlug string
	QuartierSlug     string // "": the organisation's quartier
	AuthorSlackID    string // "": no author
	Period           time.Time
	Body             string
	Answers          map[string]string
	Conditions       []domain.Condition
	ThemeSlugs       []string          // the note's whole theme set
	Language         domain.Language   // "": French
	Visibility       domain.Visibility // "": shared with the partnership
	IsSample         bool
}

// SeedData is everything a load writes. Rows may refer to rows of the same
// load or to rows already in the database.
type SeedData struct {
	Themes        []SeedTheme
	Quartiers     []SeedQuartier
	Organisations []SeedOrganisation
	People        []SeedPerson
	Initiatives   []SeedInitiative
	Funding       []SeedFunding
	Notes         []SeedNote
}

// RowChanges counts the rows one load wrote in one table.
type RowChanges struct {
	Inserted, Updated, Deleted int
}

// SeedChanges counts what a load changed, by table name. A repeated load of
// the same data reports nothing.
type SeedChanges map[string]RowChanges

// Total is the number of rows written, all tables together.
func (c SeedChanges) Total() int {
	n := 0
	for _, r := range c {
		n += r.Inserted + r.Updated + r.Deleted
	}
	return n
}

func (c SeedChanges) add(table string, r RowChanges) {
	if r == (RowChanges{}) {
		return
	}
	old := c[table]
	c[table] = RowChanges{old.Inserted + r.Inserted, old.Updated + r.Updated, old.Deleted + r.Deleted}
}

// Seed upserts d in one transaction, in dependency order: all of it or none.
// Existing rows are updated only where a value differs, so loading the same
// data twice writes nothing and audit_log does not grow. The theme set of each
// initiative and note in d becomes exactly the one given. A reference to a
// missing row, or a value a constraint refuses, is a domain.ErrInvalid error;
// a key given twice, or a clash with another row's unique value, is a
// domain.ErrConflict error.
func (o ops) Seed(ctx context.Context, actor Actor, d SeedData) (SeedChanges, error) {
	changes := SeedChanges{}
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		steps := []func(context.Context, *sqlx.Tx, SeedData, SeedChanges) error{
			seedThemes, seedQuartiers, seedOrganisations, seedPeople, seedInitiatives, seedFunding, seedNotes,
		}
		for _, step := range steps {
			if err := step(ctx, tx, d, changes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// seedColumn is a column of a seeded table and its SQL type, as read from JSON.
type seedColumn struct{ name, typ string }

// seedUpsertSQL inserts the rows of the JSON array $1 and updates an existing row
// only when a value differs, so an identical load issues no update. RETURNING
// tells inserted rows (xmax = 0) from updated ones.
func seedUpsertSQL(table, key string, cols []seedColumn) string {
	names := make([]string, len(cols))
	defs := make([]string, len(cols))
	var sets, olds, news []string
	for i, c := range cols {
		names[i] = c.name
		defs[i] = c.name + " " + c.typ
		if c.name == key {
			continue
		}
		sets = append(sets, c.name+" = excluded."+c.name)
		olds = append(olds, "t."+c.name)
		news = append(news, "excluded."+c.name)
	}
	return fmt.Sprintf(`INSERT INTO %[1]s AS t (%[2]s)
		SELECT %[2]s FROM jsonb_to_recordset($1::jsonb) AS r(%[3]s)
		ON CONFLICT (%[4]s) DO UPDATE SET %[5]s
		WHERE (%[6]s) IS DISTINCT FROM (%[7]s)
		RETURNING (xmax = 0) AS inserted`,
		table, strings.Join(names, ", "), strings.Join(defs, ", "), key,
		strings.Join(sets, ", "), strings.Join(olds, ", "), strings.Join(news, ", "))
}

// seedUpsert runs seedUpsertSQL on rows and records what it changed.
func seedUpsert(ctx context.Context, tx *sqlx.Tx, table, key string, cols []seedColumn, rows any, changes SeedChanges) error {
	payload, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	// A string, not []byte: lib/pq would send bytes as bytea.
	res, err := tx.QueryContext(ctx, seedUpsertSQL(table, key, cols), string(payload))
	if err != nil {
		return wrap("seed "+table, err)
	}
	defer res.Close()
	var rc RowChanges
	for res.Next() {
		var inserted bool
		if err := res.Scan(&inserted); err != nil {
			return wrap("seed "+table, err)
		}
		if inserted {
			rc.Inserted++
		} else {
			rc.Updated++
		}
	}
	if err := res.Err(); err != nil {
		return wrap("seed "+table, err)
	}
	changes.add(table, rc)
	return nil
}

// seedNoDuplicates refuses a key given twice in one load: PostgreSQL would refuse
// to update the same row twice in one statement, with a less helpful error.
func seedNoDuplicates[T any](table string, rows []T, key func(T) string) error {
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		k := key(r)
		if seen[k] {
			return fmt.Errorf("seed %s: %q given twice: %w", table, k, domain.ErrConflict)
		}
		seen[k] = true
	}
	return nil
}

// seedLookup maps keys to ids with query, which selects (key, id) for the keys in
// $1; a key that is not found is a domain.ErrInvalid error.
func seedLookup(ctx context.Context, tx *sqlx.Tx, what, query string, keys []string) (map[string]int64, error) {
	ids := map[string]int64{}
	var want []string
	for _, k := range keys {
		if _, ok := ids[k]; !ok && k != "" {
			ids[k] = 0
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return ids, nil
	}
	rows, err := tx.QueryContext(ctx, query, pq.Array(want))
	if err != nil {
		return nil, wrap("look up "+what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, wrap("look up "+what, err)
		}
		ids[k] = id
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("look up "+what, err)
	}
	for _, k := range want {
		if ids[k] == 0 {
			return nil, fmt.Errorf("unknown %s %q: %w", what, k, domain.ErrInvalid)
		}
	}
	return ids, nil
}

const (
	seedQuartierIDs     = `SELECT slug, id FROM quartiers WHERE slug = ANY($1)`
	seedOrganisationIDs = `SELECT slug, id FROM organisations WHERE slug = ANY($1)`
	seedPersonIDs       = `SELECT slack_user_id, id FROM people WHERE slack_user_id = ANY($1)`
	seedThemeIDs        = `SELECT slug, id FROM themes WHERE slug = ANY($1)`
	seedInitiativeIDs   = `SELECT code, id FROM initiatives WHERE code = ANY($1)`
	seedNoteIDs         = `SELECT import_key, id FROM progress_notes WHERE import_key = ANY($1)`
)

// seedOptID is the id of an optional reference: nil for "".
func seedOptID(ids map[string]int64, key string) *int64 {
	if key == "" {
		return nil
	}
	id := ids[key]
	return &id
}

func seedOptText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func seedDefault[T ~string](v, def T) T {
	if v == "" {
		return def
	}
	return v
}

// seedDate formats a date for PostgreSQL; a zero date, which would be stored
// as year 1, is refused.
func seedDate(what, key string, t time.Time) (string, error) {
	if t.IsZero() {
		return "", fmt.Errorf("%s %q: date missing: %w", what, key, domain.ErrInvalid)
	}
	return t.Format(time.DateOnly), nil
}

func seedOptDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// seedNonNil keeps an empty list an empty array: JSON null would not fit a NOT
// NULL array column.
func seedNonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func seedThemes(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Themes) == 0 {
		return nil
	}
	if err := seedNoDuplicates("themes", d.Themes, func(r SeedTheme) string { return r.Slug }); err != nil {
		return err
	}
	type row struct {
		Slug   string `json:"slug"`
		NameFr string `json:"name_fr"`
		NameEn string `json:"name_en"`
	}
	rows := make([]row, len(d.Themes))
	for i, r := range d.Themes {
		rows[i] = row{r.Slug, r.NameFr, r.NameEn}
	}
	return seedUpsert(ctx, tx, "themes", "slug", []seedColumn{
		{"slug", "text"}, {"name_fr", "text"}, {"name_en", "text"},
	}, rows, changes)
}

func seedQuartiers(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Quartiers) == 0 {
		return nil
	}
	if err := seedNoDuplicates("quartiers", d.Quartiers, func(r SeedQuartier) string { return r.Slug }); err != nil {
		return err
	}
	type row struct {
		Slug       string `json:"slug"`
		Name       string `json:"name"`
		MatchKey   string `json:"match_key"`
		Borough    string `json:"borough"`
		Population *int   `json:"population"`
		IsSample   bool   `json:"is_sample"`
	}
	rows := make([]row, len(d.Quartiers))
	for i, r := range d.Quartiers {
		rows[i] = row{Slug: r.Slug, Name: r.Name, MatchKey: domain.MatchKey(r.Name), Borough: r.Borough, IsSample: r.IsSample}
		if r.Population != 0 {
			rows[i].Population = &r.Population
		}
	}
	return seedUpsert(ctx, tx, "quartiers", "slug", []seedColumn{
		{"slug", "text"}, {"name", "text"}, {"match_key", "text"}, {"borough", "text"},
		{"population", "integer"}, {"is_sample", "boolean"},
	}, rows, changes)
}

func seedOrganisations(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Organisations) == 0 {
		return nil
	}
	if err := seedNoDuplicates("organisations", d.Organisations, func(r SeedOrganisation) string { return r.Slug }); err != nil {
		return err
	}
	slugs := make([]string, len(d.Organisations))
	for i, r := range d.Organisations {
		slugs[i] = r.QuartierSlug
	}
	quartiers, err := seedLookup(ctx, tx, "quartier", seedQuartierIDs, slugs)
	if err != nil {
		return err
	}
	type row struct {
		Slug           string  `json:"slug"`
		Name           string  `json:"name"`
		Kind           string  `json:"kind"`
		QuartierID     *int64  `json:"quartier_id"`
		SlackChannelID *string `json:"slack_channel_id"`
		IsSample       bool    `json:"is_sample"`
	}
	rows := make([]row, len(d.Organisations))
	for i, r := range d.Organisations {
		rows[i] = row{r.Slug, r.Name, string(r.Kind), seedOptID(quartiers, r.QuartierSlug), seedOptText(r.SlackChannelID), r.IsSample}
	}
	return seedUpsert(ctx, tx, "organisations", "slug", []seedColumn{
		{"slug", "text"}, {"name", "text"}, {"kind", "organisation_kind"}, {"quartier_id", "bigint"},
		{"slack_channel_id", "text"}, {"is_sample", "boolean"},
	}, rows, changes)
}

func seedPeople(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.People) == 0 {
		return nil
	}
	if err := seedNoDuplicates("people", d.People, func(r SeedPerson) string { return r.SlackUserID }); err != nil {
		return err
	}
	slugs := make([]string, len(d.People))
	for i, r := range d.People {
		if r.OrganisationSlug == "" {
			return fmt.Errorf("seed person %q: no organisation: %w", r.SlackUserID, domain.ErrInvalid)
		}
		slugs[i] = r.OrganisationSlug
	}
	orgs, err := seedLookup(ctx, tx, "organisation", seedOrganisationIDs, slugs)
	if err != nil {
		return err
	}
	type row struct {
		SlackUserID     string  `json:"slack_user_id"`
		DisplayName     string  `json:"display_name"`
		OrganisationID  int64   `json:"organisation_id"`
		Role            string  `json:"role"`
		AnswersCheckins bool    `json:"answers_checkins"`
		Language        *string `json:"language"`
		Active          bool    `json:"active"`
		IsSample        bool    `json:"is_sample"`
	}
	rows := make([]row, len(d.People))
	for i, r := range d.People {
		rows[i] = row{r.SlackUserID, r.DisplayName, orgs[r.OrganisationSlug], string(r.Role), r.AnswersCheckins,
			seedOptText(string(r.Language)), !r.Inactive, r.IsSample}
	}
	return seedUpsert(ctx, tx, "people", "slack_user_id", []seedColumn{
		{"slack_user_id", "text"}, {"display_name", "text"}, {"organisation_id", "bigint"}, {"role", "person_role"},
		{"answers_checkins", "boolean"}, {"language", "language_code"}, {"active", "boolean"}, {"is_sample", "boolean"},
	}, rows, changes)
}

func seedInitiatives(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Initiatives) == 0 {
		return nil
	}
	if err := seedNoDuplicates("initiatives", d.Initiatives, func(r SeedInitiative) string { return r.Code }); err != nil {
		return err
	}
	var qSlugs, oSlugs, tSlugs, codes []string
	for _, r := range d.Initiatives {
		if r.LeadSlug == "" {
			return fmt.Errorf("seed initiative %q: no lead organisation: %w", r.Code, domain.ErrInvalid)
		}
		qSlugs = append(qSlugs, r.QuartierSlug)
		oSlugs = append(oSlugs, r.LeadSlug)
		tSlugs = append(tSlugs, r.ThemeSlugs...)
		codes = append(codes, r.Code)
	}
	quartiers, err := seedLookup(ctx, tx, "quartier", seedQuartierIDs, qSlugs)
	if err != nil {
		return err
	}
	orgs, err := seedLookup(ctx, tx, "organisation", seedOrganisationIDs, oSlugs)
	if err != nil {
		return err
	}
	themes, err := seedLookup(ctx, tx, "theme", seedThemeIDs, tSlugs)
	if err != nil {
		return err
	}
	type row struct {
		Code               string   `json:"code"`
		QuartierID         *int64   `json:"quartier_id"`
		LeadOrganisationID int64    `json:"lead_organisation_id"`
		Title              string   `json:"title"`
		Summary            string   `json:"summary"`
		Language           string   `json:"language"`
		Strategies         []string `json:"strategies"`
		Status             string   `json:"status"`
		StartDate          string   `json:"start_date"`
		EndDate            *string  `json:"end_date"`
		IsSample           bool     `json:"is_sample"`
	}
	rows := make([]row, len(d.Initiatives))
	for i, r := range d.Initiatives {
		start, err := seedDate("initiative", r.Code, r.StartDate)
		if err != nil {
			return err
		}
		rows[i] = row{r.Code, seedOptID(quartiers, r.QuartierSlug), orgs[r.LeadSlug], r.Title, r.Summary,
			string(seedDefault(r.Language, domain.French)), seedNonNil(r.Strategies),
			string(seedDefault(r.Status, domain.StatusActive)), start, seedOptDate(r.EndDate), r.IsSample}
	}
	err = seedUpsert(ctx, tx, "initiatives", "code", []seedColumn{
		{"code", "text"}, {"quartier_id", "bigint"}, {"lead_organisation_id", "bigint"}, {"title", "text"},
		{"summary", "text"}, {"language", "language_code"}, {"strategies", "text[]"},
		{"status", "initiative_status"}, {"start_date", "date"}, {"end_date", "date"}, {"is_sample", "boolean"},
	}, rows, changes)
	if err != nil {
		return err
	}
	ids, err := seedLookup(ctx, tx, "initiative", seedInitiativeIDs, codes)
	if err != nil {
		return err
	}
	links := make(map[int64][]int64, len(d.Initiatives))
	for _, r := range d.Initiatives {
		links[ids[r.Code]] = seedThemeList(themes, r.ThemeSlugs)
	}
	return seedSyncThemes(ctx, tx, "initiative_themes", "initiative_id", links, changes)
}

func seedThemeList(themes map[string]int64, slugs []string) []int64 {
	out := make([]int64, 0, len(slugs))
	for _, s := range slugs {
		out = append(out, themes[s])
	}
	return out
}

// seedSyncThemes makes each owner's theme set exactly the one given, deleting and
// inserting only the links that differ.
func seedSyncThemes(ctx context.Context, tx *sqlx.Tx, table, ownerCol string, links map[int64][]int64, changes SeedChanges) error {
	owners := make([]int64, 0, len(links))
	var pairOwner, pairTheme []int64
	for owner, themes := range links {
		owners = append(owners, owner)
		for _, t := range themes {
			pairOwner = append(pairOwner, owner)
			pairTheme = append(pairTheme, t)
		}
	}
	// Table and column names are constants of this file, never input.
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %[1]s l
		WHERE l.%[2]s = ANY($1::bigint[])
		  AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS u(owner, theme)
		                  WHERE u.owner = l.%[2]s AND u.theme = l.theme_id)`, table, ownerCol),
		pq.Array(owners), pq.Array(pairOwner), pq.Array(pairTheme))
	if err != nil {
		return wrap("seed "+table, err)
	}
	deleted, _ := res.RowsAffected()
	res, err = tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s, theme_id)
		SELECT DISTINCT owner, theme FROM unnest($1::bigint[], $2::bigint[]) AS u(owner, theme)
		ON CONFLICT DO NOTHING`, table, ownerCol), pq.Array(pairOwner), pq.Array(pairTheme))
	if err != nil {
		return wrap("seed "+table, err)
	}
	inserted, _ := res.RowsAffected()
	changes.add(table, RowChanges{Inserted: int(inserted), Deleted: int(deleted)})
	return nil
}

func seedFunding(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Funding) == 0 {
		return nil
	}
	if err := seedNoDuplicates("funding", d.Funding, func(r SeedFunding) string { return r.Code }); err != nil {
		return err
	}
	var iCodes, fSlugs []string
	for _, r := range d.Funding {
		if r.InitiativeCode == "" || r.FunderSlug == "" {
			return fmt.Errorf("seed funding %q: initiative and funder are required: %w", r.Code, domain.ErrInvalid)
		}
		iCodes = append(iCodes, r.InitiativeCode)
		fSlugs = append(fSlugs, r.FunderSlug)
	}
	initiatives, err := seedLookup(ctx, tx, "initiative", seedInitiativeIDs, iCodes)
	if err != nil {
		return err
	}
	funders, err := seedLookup(ctx, tx, "organisation", seedOrganisationIDs, fSlugs)
	if err != nil {
		return err
	}
	type row struct {
		Code               string `json:"code"`
		InitiativeID       int64  `json:"initiative_id"`
		FunderID           int64  `json:"funder_id"`
		AmountCents        int64  `json:"amount_cents"`
		Kind               string `json:"kind"`
		SupportDescription string `json:"support_description"`
		PeriodStart        string `json:"period_start"`
		PeriodEnd          string `json:"period_end"`
		IsSample           bool   `json:"is_sample"`
	}
	rows := make([]row, len(d.Funding))
	for i, r := range d.Funding {
		start, err := seedDate("funding", r.Code, r.PeriodStart)
		if err != nil {
			return err
		}
		end, err := seedDate("funding", r.Code, r.PeriodEnd)
		if err != nil {
			return err
		}
		rows[i] = row{r.Code, initiatives[r.InitiativeCode], funders[r.FunderSlug], r.AmountCents, string(r.Kind),
			r.SupportDescription, start, end, r.IsSample}
	}
	return seedUpsert(ctx, tx, "funding", "code", []seedColumn{
		{"code", "text"}, {"initiative_id", "bigint"}, {"funder_id", "bigint"}, {"amount_cents", "bigint"},
		{"kind", "support_kind"}, {"support_description", "text"}, {"period_start", "date"},
		{"period_end", "date"}, {"is_sample", "boolean"},
	}, rows, changes)
}

func seedNotes(ctx context.Context, tx *sqlx.Tx, d SeedData, changes SeedChanges) error {
	if len(d.Notes) == 0 {
		return nil
	}
	if err := seedNoDuplicates("progress_notes", d.Notes, func(r SeedNote) string { return r.ImportKey }); err != nil {
		return err
	}
	var oSlugs, qSlugs, authors, tSlugs, keys []string
	for _, r := range d.Notes {
		if r.ImportKey == "" || r.OrganisationSlug == "" {
			return fmt.Errorf("seed progress note %q: import key and organisation are required: %w",
				r.ImportKey, domain.ErrInvalid)
		}
		oSlugs = append(oSlugs, r.OrganisationSlug)
		qSlugs = append(qSlugs, r.QuartierSlug)
		authors = append(authors, r.AuthorSlackID)
		tSlugs = append(tSlugs, r.ThemeSlugs...)
		keys = append(keys, r.ImportKey)
	}
	orgQuartier, err := seedOrganisationQuartiers(ctx, tx, oSlugs)
	if err != nil {
		return err
	}
	orgs, err := seedLookup(ctx, tx, "organisation", seedOrganisationIDs, oSlugs)
	if err != nil {
		return err
	}
	quartiers, err := seedLookup(ctx, tx, "quartier", seedQuartierIDs, qSlugs)
	if err != nil {
		return err
	}
	people, err := seedLookup(ctx, tx, "person", seedPersonIDs, authors)
	if err != nil {
		return err
	}
	themes, err := seedLookup(ctx, tx, "theme", seedThemeIDs, tSlugs)
	if err != nil {
		return err
	}
	type row struct {
		ImportKey      string            `json:"import_key"`
		OrganisationID int64             `json:"organisation_id"`
		QuartierID     *int64            `json:"quartier_id"`
		AuthorID       *int64            `json:"author_id"`
		Period         string            `json:"period"`
		Body           string            `json:"body"`
		Answers        map[string]string `json:"answers"`
		Conditions     []string          `json:"conditions"`
		Language       string            `json:"language"`
		Visibility     string            `json:"visibility"`
		IsSample       bool              `json:"is_sample"`
	}
	rows := make([]row, len(d.Notes))
	for i, r := range d.Notes {
		period, err := seedDate("progress note", r.ImportKey, r.Period)
		if err != nil {
			return err
		}
		q := seedOptID(quartiers, r.QuartierSlug)
		if q == nil {
			q = orgQuartier[r.OrganisationSlug] // nil for a regional organisation: refused by NOT NULL
		}
		conds := make([]string, len(r.Conditions))
		for j, c := range r.Conditions {
			conds[j] = string(c)
		}
		answers := r.Answers
		if answers == nil {
			answers = map[string]string{}
		}
		rows[i] = row{r.ImportKey, orgs[r.OrganisationSlug], q, seedOptID(people, r.AuthorSlackID), period, r.Body,
			answers, conds, string(seedDefault(r.Language, domain.French)),
			string(seedDefault(r.Visibility, domain.SharedWithPartnership)), r.IsSample}
	}
	err = seedUpsert(ctx, tx, "progress_notes", "import_key", []seedColumn{
		{"import_key", "text"}, {"organisation_id", "bigint"}, {"quartier_id", "bigint"}, {"author_id", "bigint"},
		{"period", "date"}, {"body", "text"}, {"answers", "jsonb"}, {"conditions", "text[]"},
		{"language", "language_code"}, {"visibility", "note_visibility"}, {"is_sample", "boolean"},
	}, rows, changes)
	if err != nil {
		return err
	}
	ids, err := seedLookup(ctx, tx, "progress note", seedNoteIDs, keys)
	if err != nil {
		return err
	}
	links := make(map[int64][]int64, len(d.Notes))
	for _, r := range d.Notes {
		links[ids[r.ImportKey]] = seedThemeList(themes, r.ThemeSlugs)
	}
	return seedSyncThemes(ctx, tx, "progress_note_themes", "note_id", links, changes)
}

// seedOrganisationQuartiers maps organisation slugs to their quartier id (nil for
// a regional organisation); a note's quartier defaults to its Table's.
func seedOrganisationQuartiers(ctx context.Context, tx *sqlx.Tx, slugs []string) (map[string]*int64, error) {
	var rows []struct {
		Slug       string        `db:"slug"`
		QuartierID sql.NullInt64 `db:"quartier_id"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT slug, quartier_id FROM organisations WHERE slug = ANY($1)`,
		pq.Array(slugs)); err != nil {
		return nil, wrap("look up organisation quartiers", err)
	}
	out := make(map[string]*int64, len(rows))
	for _, r := range rows {
		if r.QuartierID.Valid {
			id := r.QuartierID.Int64
			out[r.Slug] = &id
		}
	}
	return out, nil
}

// SeedCountTables are the tables SeedCounts counts, in dependency order.
var SeedCountTables = []string{
	"quartiers", "organisations", "people", "themes", "initiatives", "initiative_themes",
	"funding", "progress_notes", "progress_note_themes", "audit_log",
}

// SeedCounts returns the row count of each of SeedCountTables.
func (o ops) SeedCounts(ctx context.Context) (map[string]int64, error) {
	parts := make([]string, len(SeedCountTables))
	for i, t := range SeedCountTables {
		parts[i] = fmt.Sprintf("SELECT %s, count(*) FROM %s", pq.QuoteLiteral(t), pq.QuoteIdentifier(t))
	}
	rows, err := o.q().QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, wrap("count seeded rows", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(parts))
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, wrap("count seeded rows", err)
		}
		out[t] = n
	}
	return out, wrap("count seeded rows", rows.Err())
}

// SeedBulk adds the rows of d whose key is not in the database yet, in one
// transaction, and leaves existing rows as they are: loading twice adds
// nothing. Rows are staged with COPY and inserted set-wise; the per-row audit
// is switched off for the transaction (relais.audit_mode = bulk) and one
// audit_log row per table that grew records the load instead: action 'bulk',
// after = {"rows": n, "source": source}. It returns the rows inserted per
// table. Links to themes are added, never removed. Rows already present are
// left out before inserting, not only by ON CONFLICT: PostgreSQL would
// otherwise compute their full-text columns before finding the conflict, and a
// repeated synthetic load would take seconds to do nothing. It is Store's
// alone, not Tx's: it switches the audit off for its whole transaction and
// analyzes the tables after the commit.
func (s *Store) SeedBulk(ctx context.Context, actor Actor, source string, d SeedData) (map[string]int64, error) {
	inserted := map[string]int64{}
	err := inTx(ctx, s.db, actor, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('relais.audit_mode', 'bulk', true)`); err != nil {
			return wrap("bulk mode", err)
		}
		steps := []func(context.Context, *sqlx.Tx, SeedData, map[string]int64) error{
			seedBulkThemes, seedBulkQuartiers, seedBulkOrganisations, seedBulkPeople, seedBulkInitiatives, seedBulkFunding, seedBulkNotes,
		}
		for _, step := range steps {
			if err := step(ctx, tx, d, inserted); err != nil {
				return err
			}
		}
		for _, table := range SeedCountTables {
			n := inserted[table]
			if n == 0 {
				continue
			}
			_, err := tx.ExecContext(ctx, `
				INSERT INTO audit_log (actor, action, entity, after)
				VALUES (current_setting('relais.actor'), 'bulk', $1,
				        jsonb_build_object('rows', $2::bigint, 'source', $3::text))`, table, n, source)
			if err != nil {
				return wrap("bulk audit", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Fresh planner statistics: without them (autovacuum may be off or late)
	// the plans chosen for a table that just grew a hundredfold can be 35
	// times slower (docs/performance.md).
	for _, table := range SeedCountTables {
		if inserted[table] > 0 && table != "audit_log" {
			if _, err := s.db.ExecContext(ctx, "ANALYZE "+pq.QuoteIdentifier(table)); err != nil {
				return inserted, wrap("analyze "+table, err)
			}
		}
	}
	return inserted, nil
}

// seedStage creates a temporary table dropped at commit and fills it with COPY.
func seedStage(ctx context.Context, tx *sqlx.Tx, table, columns string, n int, row func(i int) []any) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s (%s) ON COMMIT DROP`, table, columns)); err != nil {
		return wrap("stage "+table, err)
	}
	var names []string
	for _, def := range strings.Split(columns, ",") {
		names = append(names, strings.Fields(def)[0])
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s) FROM STDIN`, table, strings.Join(names, ", ")))
	if err != nil {
		return wrap("stage "+table, err)
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return wrap("stage "+table, err)
		}
	}
	// An empty Exec flushes the COPY stream and reports its errors.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return wrap("stage "+table, err)
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE `+table); err != nil {
		return wrap("stage "+table, err)
	}
	return nil
}

// seedMissing fails with domain.ErrInvalid when query, which selects the first
// staged reference that matches no row, finds one.
func seedMissing(ctx context.Context, tx *sqlx.Tx, what, query string) error {
	var key string
	err := tx.GetContext(ctx, &key, query)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return wrap("check "+what, err)
	}
	return fmt.Errorf("unknown %s %q: %w", what, key, domain.ErrInvalid)
}

// seedInsertCount runs an INSERT and adds its row count to inserted[table].
func seedInsertCount(ctx context.Context, tx *sqlx.Tx, table, query string, inserted map[string]int64) error {
	res, err := tx.ExecContext(ctx, query)
	if err != nil {
		return wrap("bulk "+table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("bulk "+table, err)
	}
	inserted[table] += n
	return nil
}

func seedNullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func seedBulkThemes(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Themes) == 0 {
		return nil
	}
	err := seedStage(ctx, tx, "seed_stage_themes", "slug text, name_fr text, name_en text", len(d.Themes),
		func(i int) []any { r := d.Themes[i]; return []any{r.Slug, r.NameFr, r.NameEn} })
	if err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "themes", `INSERT INTO themes (slug, name_fr, name_en)
		SELECT s.slug, s.name_fr, s.name_en FROM seed_stage_themes s
		WHERE NOT EXISTS (SELECT 1 FROM themes t WHERE t.slug = s.slug)
		ON CONFLICT (slug) DO NOTHING`, inserted)
}

func seedBulkQuartiers(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Quartiers) == 0 {
		return nil
	}
	err := seedStage(ctx, tx, "seed_stage_quartiers",
		"slug text, name text, match_key text, borough text, population integer, is_sample boolean", len(d.Quartiers),
		func(i int) []any {
			r := d.Quartiers[i]
			var pop any
			if r.Population != 0 {
				pop = int64(r.Population)
			}
			return []any{r.Slug, r.Name, domain.MatchKey(r.Name), r.Borough, pop, r.IsSample}
		})
	if err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "quartiers", `INSERT INTO quartiers (slug, name, match_key, borough, population, is_sample)
		SELECT s.slug, s.name, s.match_key, s.borough, s.population, s.is_sample FROM seed_stage_quartiers s
		WHERE NOT EXISTS (SELECT 1 FROM quartiers q WHERE q.slug = s.slug)
		ON CONFLICT (slug) DO NOTHING`, inserted)
}

func seedBulkOrganisations(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Organisations) == 0 {
		return nil
	}
	err := seedStage(ctx, tx, "seed_stage_organisations",
		"slug text, name text, kind text, quartier_slug text, slack_channel_id text, is_sample boolean",
		len(d.Organisations), func(i int) []any {
			r := d.Organisations[i]
			return []any{r.Slug, r.Name, string(r.Kind), seedNullable(r.QuartierSlug), seedNullable(r.SlackChannelID), r.IsSample}
		})
	if err != nil {
		return err
	}
	if err := seedMissing(ctx, tx, "quartier", `SELECT s.quartier_slug FROM seed_stage_organisations s
		WHERE s.quartier_slug IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM quartiers q WHERE q.slug = s.quartier_slug) LIMIT 1`); err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "organisations", `
		INSERT INTO organisations (slug, name, kind, quartier_id, slack_channel_id, is_sample)
		SELECT s.slug, s.name, s.kind::organisation_kind, q.id, s.slack_channel_id, s.is_sample
		FROM seed_stage_organisations s LEFT JOIN quartiers q ON q.slug = s.quartier_slug
		WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.slug = s.slug)
		ON CONFLICT (slug) DO NOTHING`, inserted)
}

func seedBulkPeople(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.People) == 0 {
		return nil
	}
	err := seedStage(ctx, tx, "seed_stage_people", `slack_user_id text, display_name text, organisation_slug text,
		role text, answers_checkins boolean, language text, active boolean, is_sample boolean`,
		len(d.People), func(i int) []any {
			r := d.People[i]
			return []any{r.SlackUserID, r.DisplayName, r.OrganisationSlug, string(r.Role), r.AnswersCheckins,
				seedNullable(string(r.Language)), !r.Inactive, r.IsSample}
		})
	if err != nil {
		return err
	}
	if err := seedMissing(ctx, tx, "organisation", `SELECT coalesce(s.organisation_slug, '') FROM seed_stage_people s
		WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.slug = s.organisation_slug) LIMIT 1`); err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "people", `
		INSERT INTO people (slack_user_id, display_name, organisation_id, role, answers_checkins, language, active, is_sample)
		SELECT s.slack_user_id, s.display_name, o.id, s.role::person_role, s.answers_checkins,
		       s.language::language_code, s.active, s.is_sample
		FROM seed_stage_people s JOIN organisations o ON o.slug = s.organisation_slug
		WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.slack_user_id = s.slack_user_id)
		ON CONFLICT (slack_user_id) DO NOTHING`, inserted)
}

func seedBulkInitiatives(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Initiatives) == 0 {
		return nil
	}
	for _, r := range d.Initiatives {
		if r.StartDate.IsZero() {
			return fmt.Errorf("initiative %q: date missing: %w", r.Code, domain.ErrInvalid)
		}
	}
	err := seedStage(ctx, tx, "seed_stage_initiatives", `code text, quartier_slug text, lead_slug text, title text,
		summary text, language text, strategies text[], status text, start_date date, end_date date,
		theme_slugs text[], is_sample boolean`,
		len(d.Initiatives), func(i int) []any {
			r := d.Initiatives[i]
			var end any
			if e := seedOptDate(r.EndDate); e != nil {
				end = *e
			}
			return []any{r.Code, seedNullable(r.QuartierSlug), r.LeadSlug, r.Title, r.Summary,
				string(seedDefault(r.Language, domain.French)), pq.Array(seedNonNil(r.Strategies)),
				string(seedDefault(r.Status, domain.StatusActive)), r.StartDate.Format(time.DateOnly), end,
				pq.Array(seedNonNil(r.ThemeSlugs)), r.IsSample}
		})
	if err != nil {
		return err
	}
	checks := [][2]string{
		{"quartier", `SELECT s.quartier_slug FROM seed_stage_initiatives s WHERE s.quartier_slug IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM quartiers q WHERE q.slug = s.quartier_slug) LIMIT 1`},
		{"organisation", `SELECT s.lead_slug FROM seed_stage_initiatives s
			WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.slug = s.lead_slug) LIMIT 1`},
		{"theme", `SELECT ts FROM seed_stage_initiatives s, unnest(s.theme_slugs) ts
			WHERE NOT EXISTS (SELECT 1 FROM themes t WHERE t.slug = ts) LIMIT 1`},
	}
	for _, c := range checks {
		if err := seedMissing(ctx, tx, c[0], c[1]); err != nil {
			return err
		}
	}
	err = seedInsertCount(ctx, tx, "initiatives", `
		INSERT INTO initiatives (code, quartier_id, lead_organisation_id, title, summary, language, strategies,
		                         status, start_date, end_date, is_sample)
		SELECT s.code, q.id, o.id, s.title, s.summary, s.language::language_code, s.strategies,
		       s.status::initiative_status, s.start_date, s.end_date, s.is_sample
		FROM seed_stage_initiatives s
		JOIN organisations o ON o.slug = s.lead_slug
		LEFT JOIN quartiers q ON q.slug = s.quartier_slug
		WHERE NOT EXISTS (SELECT 1 FROM initiatives i WHERE i.code = s.code)
		ON CONFLICT (code) DO NOTHING`, inserted)
	if err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "initiative_themes", `
		INSERT INTO initiative_themes (initiative_id, theme_id)
		SELECT DISTINCT i.id, t.id
		FROM seed_stage_initiatives s
		JOIN initiatives i ON i.code = s.code
		CROSS JOIN LATERAL unnest(s.theme_slugs) AS ts(slug)
		JOIN themes t ON t.slug = ts.slug
		ON CONFLICT DO NOTHING`, inserted)
}

func seedBulkFunding(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Funding) == 0 {
		return nil
	}
	for _, r := range d.Funding {
		if r.PeriodStart.IsZero() || r.PeriodEnd.IsZero() {
			return fmt.Errorf("funding %q: date missing: %w", r.Code, domain.ErrInvalid)
		}
	}
	err := seedStage(ctx, tx, "seed_stage_funding", `code text, initiative_code text, funder_slug text,
		amount_cents bigint, kind text, support_description text, period_start date, period_end date,
		is_sample boolean`,
		len(d.Funding), func(i int) []any {
			r := d.Funding[i]
			return []any{r.Code, r.InitiativeCode, r.FunderSlug, r.AmountCents, string(r.Kind), r.SupportDescription,
				r.PeriodStart.Format(time.DateOnly), r.PeriodEnd.Format(time.DateOnly), r.IsSample}
		})
	if err != nil {
		return err
	}
	checks := [][2]string{
		{"initiative", `SELECT s.initiative_code FROM seed_stage_funding s
			WHERE NOT EXISTS (SELECT 1 FROM initiatives i WHERE i.code = s.initiative_code) LIMIT 1`},
		{"organisation", `SELECT s.funder_slug FROM seed_stage_funding s
			WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.slug = s.funder_slug) LIMIT 1`},
	}
	for _, c := range checks {
		if err := seedMissing(ctx, tx, c[0], c[1]); err != nil {
			return err
		}
	}
	return seedInsertCount(ctx, tx, "funding", `
		INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, support_description,
		                     period_start, period_end, is_sample)
		SELECT s.code, i.id, o.id, s.amount_cents, s.kind::support_kind, s.support_description,
		       s.period_start, s.period_end, s.is_sample
		FROM seed_stage_funding s
		JOIN initiatives i ON i.code = s.initiative_code
		JOIN organisations o ON o.slug = s.funder_slug
		WHERE NOT EXISTS (SELECT 1 FROM funding f WHERE f.code = s.code)
		ON CONFLICT (code) DO NOTHING`, inserted)
}

func seedBulkNotes(ctx context.Context, tx *sqlx.Tx, d SeedData, inserted map[string]int64) error {
	if len(d.Notes) == 0 {
		return nil
	}
	for _, r := range d.Notes {
		if r.ImportKey == "" || r.Period.IsZero() {
			return fmt.Errorf("progress note %q: import key and period are required: %w", r.ImportKey, domain.ErrInvalid)
		}
	}
	var encodeErr error
	err := seedStage(ctx, tx, "seed_stage_notes", `import_key text, organisation_slug text, quartier_slug text,
		author_slack_id text, period date, body text, answers jsonb, conditions text[], language text,
		visibility text, theme_slugs text[], is_sample boolean`,
		len(d.Notes), func(i int) []any {
			r := d.Notes[i]
			answers := "{}"
			if len(r.Answers) > 0 {
				b, err := json.Marshal(r.Answers)
				if err != nil {
					encodeErr = err
				}
				answers = string(b)
			}
			conds := make([]string, len(r.Conditions))
			for j, c := range r.Conditions {
				conds[j] = string(c)
			}
			return []any{r.ImportKey, r.OrganisationSlug, seedNullable(r.QuartierSlug), seedNullable(r.AuthorSlackID),
				r.Period.Format(time.DateOnly), r.Body, answers, pq.Array(conds),
				string(seedDefault(r.Language, domain.French)),
				string(seedDefault(r.Visibility, domain.SharedWithPartnership)), pq.Array(seedNonNil(r.ThemeSlugs)), r.IsSample}
		})
	if err != nil {
		return err
	}
	if encodeErr != nil {
		return fmt.Errorf("progress note answers: %w", encodeErr)
	}
	checks := [][2]string{
		{"organisation", `SELECT s.organisation_slug FROM seed_stage_notes s
			WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.slug = s.organisation_slug) LIMIT 1`},
		{"quartier", `SELECT s.quartier_slug FROM seed_stage_notes s WHERE s.quartier_slug IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM quartiers q WHERE q.slug = s.quartier_slug) LIMIT 1`},
		{"person", `SELECT s.author_slack_id FROM seed_stage_notes s WHERE s.author_slack_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM people p WHERE p.slack_user_id = s.author_slack_id) LIMIT 1`},
		{"theme", `SELECT ts FROM seed_stage_notes s, unnest(s.theme_slugs) ts
			WHERE NOT EXISTS (SELECT 1 FROM themes t WHERE t.slug = ts) LIMIT 1`},
	}
	for _, c := range checks {
		if err := seedMissing(ctx, tx, c[0], c[1]); err != nil {
			return err
		}
	}
	err = seedInsertCount(ctx, tx, "progress_notes", `
		INSERT INTO progress_notes (import_key, organisation_id, quartier_id, author_id, period, body, answers,
		                            conditions, language, visibility, is_sample)
		SELECT s.import_key, o.id, coalesce(q.id, o.quartier_id), p.id, s.period, s.body, s.answers,
		       s.conditions, s.language::language_code, s.visibility::note_visibility, s.is_sample
		FROM seed_stage_notes s
		JOIN organisations o ON o.slug = s.organisation_slug
		LEFT JOIN quartiers q ON q.slug = s.quartier_slug
		LEFT JOIN people p ON p.slack_user_id = s.author_slack_id
		WHERE NOT EXISTS (SELECT 1 FROM progress_notes n WHERE n.import_key = s.import_key)
		ON CONFLICT (import_key) DO NOTHING`, inserted)
	if err != nil {
		return err
	}
	return seedInsertCount(ctx, tx, "progress_note_themes", `
		INSERT INTO progress_note_themes (note_id, theme_id)
		SELECT DISTINCT n.id, t.id
		FROM seed_stage_notes s
		JOIN progress_notes n ON n.import_key = s.import_key
		CROSS JOIN LATERAL unnest(s.theme_slugs) AS ts(slug)
		JOIN themes t ON t.slug = ts.slug
		ON CONFLICT DO NOTHING`, inserted)
}
