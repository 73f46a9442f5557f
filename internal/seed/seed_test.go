package seed_test

import (
	"context"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// allCounts counts the rows of every table of the schema.
func allCounts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	var tables []string
	if err := st.DB().Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, table := range tables {
		var n int64
		if err := st.DB().Get(&n, `SELECT count(*) FROM "`+table+`"`); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func get[T any](t *testing.T, st *store.Store, query string, args ...any) T {
	t.Helper()
	var v T
	if err := st.DB().Get(&v, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func TestDemoTwiceChangesNothing(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	first, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	before := allCounts(t, st)
	second, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	after := allCounts(t, st)
	if first != second {
		t.Errorf("counts changed:\n first  %v\n second %v", first, second)
	}
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows after the first load, %d after the second", table, n, after[table])
		}
	}
	if before["audit_log"] == 0 || before["audit_log"] != first.AuditLog {
		t.Errorf("audit_log: %d rows, Counts says %d", before["audit_log"], first.AuditLog)
	}
	if n := get[int](t, st, `SELECT count(*) FROM audit_log WHERE actor = 'seed'`); int64(n) != first.AuditLog {
		t.Errorf("%d of %d audit rows have actor seed", n, first.AuditLog)
	}
	t.Log(first)
}

func TestDemoContent(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	c, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	atLeast := func(what string, got, want int64) {
		t.Helper()
		if got < want {
			t.Errorf("%s: %d, want at least %d", what, got, want)
		}
	}
	if c.Quartiers != 17 {
		t.Errorf("quartiers: %d, want 17", c.Quartiers)
	}
	atLeast("initiatives", c.Initiatives, 40)
	atLeast("themes", c.Themes, 8)
	if n := get[int64](t, st, `SELECT count(*) FROM organisations WHERE kind = 'table_de_quartier'`); n != 17 {
		t.Errorf("Tables de quartier: %d, want 17", n)
	}
	atLeast("regional partners", get[int64](t, st, `SELECT count(*) FROM organisations
		WHERE quartier_id IS NULL AND kind <> 'table_de_quartier'`), 8)
	atLeast("themes used by initiatives", get[int64](t, st, `SELECT count(DISTINCT theme_id) FROM initiative_themes`), 8)
	atLeast("regional initiatives", get[int64](t, st, `SELECT count(*) FROM initiatives WHERE quartier_id IS NULL`), 2)
	if n := get[int64](t, st, `SELECT count(*) FROM (SELECT q.id FROM quartiers q
		LEFT JOIN initiatives i ON i.quartier_id = q.id GROUP BY q.id HAVING count(i.id) NOT BETWEEN 2 AND 4) x`); n != 0 {
		t.Errorf("%d quartiers without 2 to 4 initiatives", n)
	}
	atLeast("English initiatives", get[int64](t, st, `SELECT count(*) FROM initiatives WHERE language = 'en'`), 2)

	// Funding: about 23 M$ in phase 1, unevenly spread, and some ending in late 2026.
	phase1 := get[int64](t, st, `SELECT sum(amount_cents) FROM funding
		WHERE kind = 'financial' AND period_start >= '2015-01-01' AND period_end <= '2023-12-31'`)
	if phase1 < 22_000_000_00 || phase1 > 24_000_000_00 {
		t.Errorf("phase 1 financial total: %d cents, want 22 to 24 M$", phase1)
	}
	atLeast("non-financial supports", get[int64](t, st, `SELECT count(*) FROM funding WHERE kind = 'non_financial'`), 5)
	atLeast("funding ending in Oct-Dec 2026", get[int64](t, st, `SELECT count(*) FROM funding
		WHERE period_end BETWEEN '2026-10-01' AND '2026-12-31'`), 1)
	atLeast("phase 2 funding", get[int64](t, st, `SELECT count(*) FROM funding WHERE period_start >= '2024-01-01'`), 20)
	ratio := get[float64](t, st, `SELECT max(per) / min(per) FROM (
		SELECT sum(f.amount_cents)::float8 / q.population AS per
		FROM funding f JOIN initiatives i ON i.id = f.initiative_id JOIN quartiers q ON q.id = i.quartier_id
		WHERE f.kind = 'financial' AND f.period_end <= '2023-12-31' GROUP BY q.id, q.population) x`)
	if ratio < 2 {
		t.Errorf("phase 1 funding per resident varies %.1f×: the inequity should show (want ≥ 2×)", ratio)
	}

	// People the docs and console use.
	type person struct {
		Role     string  `db:"role"`
		Kind     string  `db:"kind"`
		Language *string `db:"language"`
		Answers  bool    `db:"answers_checkins"`
	}
	people := map[string]person{}
	var rows []struct {
		ID string `db:"slack_user_id"`
		person
	}
	if err := st.DB().Select(&rows, `SELECT p.slack_user_id, p.role, o.kind, p.language::text AS language,
		p.answers_checkins FROM people p JOIN organisations o ON o.id = p.organisation_id`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		people[r.ID] = r.person
	}
	lang := func(l *string) string {
		if l == nil {
			return ""
		}
		return *l
	}
	for id, want := range map[string][3]string{
		"UDEMOCOORD": {"coordinator", "fr"}, "UDEMOCOORD2": {"coordinator", "en"},
		"UDEMOPARTNER": {"partner", ""}, "UDEMOPARTEN": {"partner", "en"},
		"UDEMOVERDUN": {"table_member", "fr"}, "UDEMOSTMICHEL": {"table_member", "fr"},
	} {
		p, ok := people[id]
		if !ok || p.Role != want[0] || lang(p.Language) != want[1] {
			t.Errorf("%s = %+v (lang %q), want role %s language %q", id, p, lang(p.Language), want[0], want[1])
		}
	}
	if people["UDEMOPARTNER"].Kind != "funder" || !people["UDEMOVERDUN"].Answers || !people["UDEMOSTMICHEL"].Answers {
		t.Errorf("UDEMOPARTNER at a %s, UDEMOVERDUN answers %v, UDEMOSTMICHEL answers %v",
			people["UDEMOPARTNER"].Kind, people["UDEMOVERDUN"].Answers, people["UDEMOSTMICHEL"].Answers)
	}
	if n := get[int64](t, st, `SELECT count(*) FROM organisations o WHERE o.kind = 'table_de_quartier'
		AND (SELECT count(*) FROM people p WHERE p.organisation_id = o.id AND p.answers_checkins AND p.active) <> 1`); n != 0 {
		t.Errorf("%d Tables without exactly one answering member", n)
	}
	atLeast("inactive people", get[int64](t, st, `SELECT count(*) FROM people WHERE NOT active`), 1)

	// Progress notes.
	for _, m := range []string{"2026-08-01", "2026-09-01", "2026-10-01"} {
		n := get[int64](t, st, `SELECT count(*) FROM progress_notes WHERE period = $1`, m)
		if n < 12 || n >= 17 {
			t.Errorf("%s: %d notes, want most Tables but not all", m, n)
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM progress_notes WHERE language = 'en'`,
		`SELECT count(*) FROM progress_notes WHERE language = 'fr'`,
		`SELECT count(*) FROM progress_notes WHERE visibility = 'coordinators'`,
		`SELECT count(*) FROM progress_notes WHERE visibility = 'partnership'`,
		`SELECT count(*) FROM progress_notes WHERE conditions = '{}'`,
		`SELECT count(*) FROM progress_notes WHERE round_id IS NULL AND import_key LIKE 'demo-2026-%'`,
	} {
		atLeast(q, get[int64](t, st, q), 1)
	}
	atLeast("conditions used", get[int64](t, st, `SELECT count(DISTINCT c) FROM progress_notes, unnest(conditions) c`), 6)
	if n := get[int64](t, st, `SELECT count(*) FROM progress_notes n
		WHERE n.author_id IS NULL OR cardinality(n.conditions) > 3
		   OR (SELECT count(*) FROM progress_note_themes t WHERE t.note_id = n.id) NOT BETWEEN 1 AND 3`); n != 0 {
		t.Errorf("%d notes without author, with more than 3 conditions, or without 1 to 3 themes", n)
	}
	// Accent-insensitive search has something to find.
	for _, q := range [][2]string{{"fr_unaccent", "cote"}, {"fr_unaccent", "eleves"}, {"fr_unaccent", "securite"}, {"en_unaccent", "cote"}} {
		atLeast("notes matching "+q[1], get[int64](t, st, `SELECT count(*) FROM progress_notes
			WHERE search @@ plainto_tsquery($1::regconfig, $2)`, q[0], q[1]), 1)
	}

	// Everything is marked as sample data.
	for _, table := range []string{"quartiers", "organisations", "people", "initiatives", "funding", "progress_notes"} {
		if n := get[int64](t, st, `SELECT count(*) FROM `+table+` WHERE NOT is_sample`); n != 0 {
			t.Errorf("%s: %d rows not marked is_sample", table, n)
		}
	}
}

func TestDemoEditIsOneAuditedUpdate(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	c, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	d, err := seed.DemoData()
	if err != nil {
		t.Fatal(err)
	}
	d.Notes[0].Body += " Ajout."
	changes, err := st.Seed(ctx, seed.Actor, d)
	if err != nil {
		t.Fatal(err)
	}
	if changes.Total() != 1 || changes["progress_notes"].Updated != 1 {
		t.Errorf("changes = %v, want one note updated", changes)
	}
	after, err := seed.CurrentCounts(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if after.AuditLog != c.AuditLog+1 {
		t.Errorf("audit_log grew by %d, want 1", after.AuditLog-c.AuditLog)
	}
}

func TestDemoDataSaysItIsFictional(t *testing.T) {
	if !strings.Contains(seed.Notice, "Données fictives") || !strings.Contains(seed.Notice, "Fictional data") {
		t.Errorf("Notice = %q", seed.Notice)
	}
	d, err := seed.DemoData()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range d.Organisations {
		if !strings.Contains(o.Name, "(ficti") {
			t.Errorf("organisation %q does not say it is fictional", o.Name)
		}
	}
	for _, p := range d.People {
		if !strings.Contains(p.DisplayName, "(ficti") {
			t.Errorf("person %q does not say it is fictional", p.DisplayName)
		}
	}
	for _, i := range d.Initiatives {
		if !strings.HasSuffix(i.Summary, "Exemple fictif.") && !strings.HasSuffix(i.Summary, "Fictional example.") {
			t.Errorf("initiative %s summary does not say it is fictional", i.Code)
		}
	}
}

func TestDemoDataKeys(t *testing.T) {
	d, err := seed.DemoData()
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range d.Themes {
		if domain.Slugify(th.Slug) != th.Slug || th.NameFr == "" || th.NameEn == "" {
			t.Errorf("theme %+v: slug must be ASCII, names bilingual", th)
		}
	}
	codes := regexp.MustCompile(`^PIC-[A-Z]{3}-\d{2}$`)
	for _, i := range d.Initiatives {
		if !codes.MatchString(i.Code) {
			t.Errorf("initiative code %q", i.Code)
		}
	}
	fcodes := regexp.MustCompile(`^F-[A-Z]{3}-20\d\d-\d{2}$`)
	for _, f := range d.Funding {
		if !fcodes.MatchString(f.Code) {
			t.Errorf("funding code %q", f.Code)
		}
	}
	keys := regexp.MustCompile(`^demo-2026-(08|09|10)-[a-z-]+$`)
	for _, n := range d.Notes {
		if !keys.MatchString(n.ImportKey) || n.ImportKey[13:] != strings.TrimPrefix(n.OrganisationSlug, "table-") {
			t.Errorf("note key %q for %s", n.ImportKey, n.OrganisationSlug)
		}
		if s := strings.Count(n.Body, ". ") + 1; s < 2 || s > 5 {
			t.Errorf("note %s has %d sentences, want 2 to 5", n.ImportKey, s)
		}
	}
}

// TestDemoFilesSayTheyAreFictional checks each data file starts with the
// warning, since people may read a file without reading the code.
func TestDemoFilesSayTheyAreFictional(t *testing.T) {
	files, err := fs.Glob(seed.DemoFiles(), "demo/*.csv")
	if err != nil || len(files) < 7 {
		t.Fatalf("demo files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(seed.DemoFiles(), f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# DONNÉES FICTIVES / FICTIONAL DATA") {
			t.Errorf("%s does not start with the fictional-data warning", f)
		}
	}
}

func TestSyntheticSmallIsAdditiveAndIdempotent(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	demo, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	opts := seed.SyntheticOptions{Quartiers: 20, Initiatives: 60, Funding: 150, Notes: 200}
	first, err := seed.Synthetic(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	grew := func(what string, got, base, want int64) {
		t.Helper()
		if got-base != want {
			t.Errorf("%s: grew by %d, want %d", what, got-base, want)
		}
	}
	grew("quartiers", first.Quartiers, demo.Quartiers, 20)
	grew("organisations", first.Organisations, demo.Organisations, 20+1+20+5)
	grew("people", first.People, demo.People, 20+5+20)
	grew("themes", first.Themes, demo.Themes, 12)
	grew("initiatives", first.Initiatives, demo.Initiatives, 60)
	grew("funding", first.Funding, demo.Funding, 150)
	grew("progress notes", first.ProgressNotes, demo.ProgressNotes, 200)
	if first.InitiativeThemes-demo.InitiativeThemes < 60 || first.ProgressNoteThemes-demo.ProgressNoteThemes < 200 {
		t.Errorf("theme links: %v", first)
	}
	// One summary row per table that grew, instead of a row per insert.
	grew("audit_log", first.AuditLog, demo.AuditLog, 9)
	if n := get[int64](t, st, `SELECT count(*) FROM audit_log WHERE action = 'bulk' AND actor = 'seed'
		AND after ->> 'source' = 'synthetic'`); n != 9 {
		t.Errorf("%d bulk audit rows, want 9", n)
	}
	if n := get[int64](t, st, `SELECT (after ->> 'rows')::bigint FROM audit_log
		WHERE action = 'bulk' AND entity = 'progress_notes'`); n != 200 {
		t.Errorf("bulk audit row for progress_notes says %d rows, want 200", n)
	}
	// 200 notes for 20 Tables: every Table answers each of the 10 months up to October 2026.
	var span struct {
		First string `db:"first"`
		Last  string `db:"last"`
		Per   int64  `db:"per"`
	}
	if err := st.DB().Get(&span, `SELECT min(period)::text AS first, max(period)::text AS last,
		max(c) AS per FROM (SELECT period, count(*) c FROM progress_notes WHERE import_key LIKE 'syn-%'
		GROUP BY period) x`); err != nil {
		t.Fatal(err)
	}
	if span.First != "2026-01-01" || span.Last != "2026-10-01" || span.Per != 20 {
		t.Errorf("synthetic notes span %+v", span)
	}
	if n := get[int64](t, st, `SELECT count(*) FROM progress_notes WHERE NOT is_sample`); n != 0 {
		t.Errorf("%d synthetic notes not marked is_sample", n)
	}
	atLeast := get[int64](t, st, `SELECT count(DISTINCT language) FROM progress_notes WHERE import_key LIKE 'syn-%'`)
	if atLeast != 2 {
		t.Errorf("synthetic notes in %d languages, want 2", atLeast)
	}

	second, err := seed.Synthetic(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("second synthetic load changed counts:\n first  %v\n second %v", first, second)
	}
	// The demo still loads cleanly on top, and changes nothing.
	again, err := seed.Demo(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("demo after synthetic changed counts:\n before %v\n after  %v", first, again)
	}
}

func TestSyntheticDataIsDeterministic(t *testing.T) {
	opts := seed.SyntheticOptions{Quartiers: 5, Initiatives: 10, Funding: 10, Notes: 12}
	a, b := seed.SyntheticData(opts), seed.SyntheticData(opts)
	if len(a.Notes) != 12 || a.Notes[11].Body != b.Notes[11].Body || a.Funding[9] != b.Funding[9] {
		t.Error("the same options must give the same data")
	}
	full := seed.SyntheticData(seed.SyntheticOptions{Initiatives: 10, Funding: 10, Notes: 12})
	if len(full.Quartiers) != seed.FullSynthetic.Quartiers {
		t.Errorf("zero Quartiers gave %d quartiers, want the full size", len(full.Quartiers))
	}
}
