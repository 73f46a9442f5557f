package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

const seedActor = store.Actor("seed")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seedBase is a small consistent dataset the tests change one field of.
func seedBase() store.SeedData {
	return store.SeedData{
		Themes: []store.SeedTheme{
			{Slug: "logement", NameFr: "logement", NameEn: "housing"},
			{Slug: "emploi", NameFr: "emploi", NameEn: "employment"},
		},
		Quartiers: []store.SeedQuartier{
			{Slug: "verdun", Name: "Verdun", Borough: "Verdun", Population: 69000, IsSample: true},
			{Slug: "saint-michel", Name: "Saint-Michel", Population: 55000, IsSample: true},
		},
		Organisations: []store.SeedOrganisation{
			{Slug: "table-verdun", Name: "Table de Verdun (fictive)", Kind: domain.KindTableDeQuartier,
				QuartierSlug: "verdun", SlackChannelID: "C0TEST1"},
			{Slug: "fondation-test", Name: "Fondation Test (fictive)", Kind: domain.KindFunder},
		},
		People: []store.SeedPerson{
			{SlackUserID: "UTEST1", DisplayName: "Test (fictif)", OrganisationSlug: "table-verdun",
				Role: domain.RoleTableMember, AnswersCheckins: true, Language: domain.French},
		},
		Initiatives: []store.SeedInitiative{
			{Code: "T-VER-01", QuartierSlug: "verdun", LeadSlug: "table-verdun", Title: "Comité logement",
				Strategies: []string{"mobiliser", "documenter"}, StartDate: day("2016-01-01"),
				ThemeSlugs: []string{"logement"}},
		},
		Funding: []store.SeedFunding{
			{Code: "F-T-01", InitiativeCode: "T-VER-01", FunderSlug: "fondation-test", AmountCents: 10_000_00,
				Kind: domain.Financial, PeriodStart: day("2016-01-01"), PeriodEnd: day("2018-12-31")},
		},
		Notes: []store.SeedNote{
			{ImportKey: "t-2026-08-verdun", OrganisationSlug: "table-verdun", AuthorSlackID: "UTEST1",
				Period: day("2026-08-01"), Body: "La cuisine collective a repris.",
				Conditions: []domain.Condition{domain.Relationships}, ThemeSlugs: []string{"logement", "emploi"}},
		},
	}
}

func auditCount(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedIdempotentAndAudited(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	changes, err := st.Seed(ctx, seedActor, seedBase())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"themes": 2, "quartiers": 2, "organisations": 2, "people": 1, "initiatives": 1,
		"initiative_themes": 1, "funding": 1, "progress_notes": 1, "progress_note_themes": 2}
	for table, n := range want {
		if changes[table].Inserted != n {
			t.Errorf("%s: inserted %d, want %d", table, changes[table].Inserted, n)
		}
	}
	audited := auditCount(t, st)
	if audited != changes.Total() {
		t.Errorf("audit_log has %d rows for %d writes", audited, changes.Total())
	}
	var seedRows int
	if err := st.DB().Get(&seedRows, `SELECT count(*) FROM audit_log WHERE actor = 'seed'`); err != nil {
		t.Fatal(err)
	}
	if seedRows != audited {
		t.Errorf("%d of %d audit rows name the actor seed", seedRows, audited)
	}

	again, err := st.Seed(ctx, seedActor, seedBase())
	if err != nil {
		t.Fatal(err)
	}
	if again.Total() != 0 {
		t.Errorf("second identical load changed %v", again)
	}
	if n := auditCount(t, st); n != audited {
		t.Errorf("second identical load: audit_log went from %d to %d rows", audited, n)
	}
}

func TestSeedChangedValueIsOneAuditedUpdate(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	if _, err := st.Seed(ctx, seedActor, seedBase()); err != nil {
		t.Fatal(err)
	}
	before := auditCount(t, st)
	changes, err := st.Seed(ctx, store.Actor("seed:test"), store.SeedData{Quartiers: []store.SeedQuartier{
		{Slug: "verdun", Name: "Verdun", Borough: "Verdun", Population: 70500, IsSample: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := changes["quartiers"]; got != (store.RowChanges{Updated: 1}) {
		t.Errorf("changes = %+v, want one update", got)
	}
	if n := auditCount(t, st); n != before+1 {
		t.Fatalf("audit_log grew by %d, want 1", n-before)
	}
	var row struct {
		Actor  string `db:"actor"`
		Action string `db:"action"`
		Before []byte `db:"before"`
		After  []byte `db:"after"`
	}
	if err := st.DB().Get(&row, `SELECT actor, action, before, after FROM audit_log ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var b, a map[string]any
	if err := json.Unmarshal(row.Before, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(row.After, &a); err != nil {
		t.Fatal(err)
	}
	if row.Actor != "seed:test" || row.Action != "update" || b["population"] != 69000.0 || a["population"] != 70500.0 {
		t.Errorf("audit row = %s %s before %v after %v", row.Actor, row.Action, b["population"], a["population"])
	}
}

func TestSeedThemeSetIsReplaced(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	d := seedBase()
	if _, err := st.Seed(ctx, seedActor, d); err != nil {
		t.Fatal(err)
	}
	d.Initiatives[0].ThemeSlugs = []string{"emploi"}
	changes, err := st.Seed(ctx, seedActor, store.SeedData{Initiatives: d.Initiatives})
	if err != nil {
		t.Fatal(err)
	}
	if got := changes["initiative_themes"]; got != (store.RowChanges{Inserted: 1, Deleted: 1}) {
		t.Errorf("initiative_themes changes = %+v", got)
	}
	if changes["initiatives"] != (store.RowChanges{}) {
		t.Errorf("the initiative itself did not change: %+v", changes["initiatives"])
	}
	var slugs []string
	if err := st.DB().Select(&slugs, `SELECT t.slug FROM initiative_themes it JOIN themes t ON t.id = it.theme_id`); err != nil {
		t.Fatal(err)
	}
	if len(slugs) != 1 || slugs[0] != "emploi" {
		t.Errorf("themes = %v, want [emploi]", slugs)
	}
}

func TestSeedRefusesInvalidData(t *testing.T) {
	cases := []struct {
		name   string
		change func(*store.SeedData)
	}{
		{"funding ends before it starts", func(d *store.SeedData) { d.Funding[0].PeriodEnd = day("2015-01-01") }},
		{"negative amount", func(d *store.SeedData) { d.Funding[0].AmountCents = -1 }},
		{"non-financial support without description", func(d *store.SeedData) { d.Funding[0].Kind = domain.NonFinancial }},
		{"unknown support kind", func(d *store.SeedData) { d.Funding[0].Kind = "gift" }},
		{"unknown funder", func(d *store.SeedData) { d.Funding[0].FunderSlug = "nobody" }},
		{"funding without dates", func(d *store.SeedData) { d.Funding[0].PeriodStart = time.Time{} }},
		{"unknown condition", func(d *store.SeedData) { d.Notes[0].Conditions = []domain.Condition{"vibes"} }},
		{"note period not a first day", func(d *store.SeedData) { d.Notes[0].Period = day("2026-08-15") }},
		{"empty note body", func(d *store.SeedData) { d.Notes[0].Body = "  " }},
		{"unknown theme", func(d *store.SeedData) { d.Notes[0].ThemeSlugs = []string{"astrologie"} }},
		{"unknown author", func(d *store.SeedData) { d.Notes[0].AuthorSlackID = "UNOBODY" }},
		{"note of a regional organisation without quartier", func(d *store.SeedData) {
			d.Notes[0].OrganisationSlug = "fondation-test"
		}},
		{"bad slug", func(d *store.SeedData) { d.Quartiers[1].Slug = "Saint Michel" }},
		{"bad Slack id", func(d *store.SeedData) { d.People[0].SlackUserID = "bob" }},
		{"Table without quartier", func(d *store.SeedData) { d.Organisations[0].QuartierSlug = "" }},
		{"unknown quartier", func(d *store.SeedData) { d.Organisations[0].QuartierSlug = "atlantide" }},
		{"initiative ends before it starts", func(d *store.SeedData) { d.Initiatives[0].EndDate = day("2015-01-01") }},
		{"initiative without start", func(d *store.SeedData) { d.Initiatives[0].StartDate = time.Time{} }},
	}
	st := testdb.New(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := seedBase()
			c.change(&d)
			_, err := st.Seed(ctx, seedActor, d)
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want domain.ErrInvalid", err)
			}
		})
	}
	// Every load failed as a whole: nothing was written.
	if n := auditCount(t, st); n != 0 {
		t.Errorf("failed loads left %d audit rows", n)
	}
	var q int
	if err := st.DB().Get(&q, `SELECT count(*) FROM quartiers`); err != nil || q != 0 {
		t.Errorf("failed loads left %d quartiers (%v)", q, err)
	}
}

func TestSeedConflicts(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	if _, err := st.Seed(ctx, seedActor, seedBase()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		load func() error
	}{
		{"same name as another quartier", func() error {
			_, err := st.Seed(ctx, seedActor, store.SeedData{Quartiers: []store.SeedQuartier{{Slug: "st-michel", Name: "St-Michel"}}})
			return err
		}},
		{"second Table in a quartier", func() error {
			_, err := st.Seed(ctx, seedActor, store.SeedData{Organisations: []store.SeedOrganisation{
				{Slug: "autre-table-verdun", Name: "Autre Table", Kind: domain.KindTableDeQuartier, QuartierSlug: "verdun"}}})
			return err
		}},
		{"code given twice in one load", func() error {
			d := seedBase()
			d.Funding = append(d.Funding, d.Funding[0])
			_, err := st.Seed(ctx, seedActor, d)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.load(); !errors.Is(err, domain.ErrConflict) {
				t.Fatalf("err = %v, want domain.ErrConflict", err)
			}
		})
	}
}

func TestSeedRequiresActor(t *testing.T) {
	st := testdb.New(t)
	if _, err := st.Seed(context.Background(), "", seedBase()); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want domain.ErrInvalid", err)
	}
}

func TestSeedBulkAddsOnceWithOneSummaryRowPerTable(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	inserted, err := st.SeedBulk(ctx, seedActor, "synthetic", seedBase())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"themes": 2, "quartiers": 2, "organisations": 2, "people": 1, "initiatives": 1,
		"initiative_themes": 1, "funding": 1, "progress_notes": 1, "progress_note_themes": 2}
	for table, n := range want {
		if inserted[table] != n {
			t.Errorf("%s: inserted %d, want %d", table, inserted[table], n)
		}
	}
	type auditRow struct {
		Actor  string `db:"actor"`
		Action string `db:"action"`
		Entity string `db:"entity"`
		After  []byte `db:"after"`
	}
	var rows []auditRow
	if err := st.DB().Select(&rows, `SELECT actor, action, entity, after FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("audit_log has %d rows, want one per table (%d)", len(rows), len(want))
	}
	for _, r := range rows {
		var after struct {
			Rows   int64  `json:"rows"`
			Source string `json:"source"`
		}
		if err := json.Unmarshal(r.After, &after); err != nil {
			t.Fatal(err)
		}
		if r.Actor != "seed" || r.Action != "bulk" || after.Rows != want[r.Entity] || after.Source != "synthetic" {
			t.Errorf("summary row %+v %+v", r, after)
		}
	}
	var note struct {
		Quartier string `db:"quartier"`
		Author   string `db:"author"`
	}
	if err := st.DB().Get(&note, `SELECT q.slug AS quartier, p.slack_user_id AS author FROM progress_notes n
		JOIN quartiers q ON q.id = n.quartier_id JOIN people p ON p.id = n.author_id`); err != nil {
		t.Fatal(err)
	}
	if note.Quartier != "verdun" || note.Author != "UTEST1" {
		t.Errorf("bulk note resolved to %+v", note)
	}

	again, err := st.SeedBulk(ctx, seedActor, "synthetic", seedBase())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range again {
		if n != 0 {
			t.Errorf("second bulk load inserted %d %s", n, table)
		}
	}
	if n := auditCount(t, st); n != len(want) {
		t.Errorf("second bulk load: audit_log has %d rows, want %d", n, len(want))
	}
}

func TestSeedBulkRefusesUnknownReferences(t *testing.T) {
	st := testdb.New(t)
	d := seedBase()
	d.Notes[0].ThemeSlugs = []string{"astrologie"}
	if _, err := st.SeedBulk(context.Background(), seedActor, "synthetic", d); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want domain.ErrInvalid", err)
	}
	d = seedBase()
	d.Funding[0].AmountCents = -5
	if _, err := st.SeedBulk(context.Background(), seedActor, "synthetic", d); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want domain.ErrInvalid", err)
	}
}

func TestSeedCounts(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	if _, err := st.Seed(ctx, seedActor, seedBase()); err != nil {
		t.Fatal(err)
	}
	counts, err := st.SeedCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["quartiers"] != 2 || counts["progress_note_themes"] != 2 || counts["audit_log"] == 0 {
		t.Errorf("counts = %v", counts)
	}
	if len(counts) != len(store.SeedCountTables) {
		t.Errorf("counted %d tables, want %d", len(counts), len(store.SeedCountTables))
	}
}
