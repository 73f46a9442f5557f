package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

var ctx = context.Background()

func TestMigrateIsIdempotentAndReady(t *testing.T) {
	st := testdb.New(t)
	n, err := st.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
	}
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	states, err := st.MigrationStatus(ctx)
	if err != nil || len(states) == 0 {
		t.Fatalf("status %v, %v", states, err)
	}
	for _, s := range states {
		if !s.Applied {
			t.Errorf("migration %d pending", s.Version)
		}
	}
}

func TestFindQuartiers(t *testing.T) {
	st := testdb.WithFixture(t)
	cases := []struct {
		typed, want, how string
	}{
		{"Saint-Michel", "Saint-Michel", store.MatchExact},
		{"st-michel", "Saint-Michel", store.MatchExact},
		{"ST MICHEL", "Saint-Michel", store.MatchExact},
		{"cote des neiges", "Côte-des-Neiges", store.MatchExact},
		{"Côte", "Côte-des-Neiges", store.MatchWords},
		{"michel", "Saint-Michel", store.MatchWords},
		{"verdum", "Verdun", store.MatchNear},
		{"cote des neige", "Côte-des-Neiges", store.MatchNear},
	}
	for _, c := range cases {
		ms, err := st.FindQuartiers(ctx, c.typed, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 || ms[0].Name != c.want || ms[0].How != c.how {
			t.Errorf("FindQuartiers(%q) = %+v, want %s by %s", c.typed, ms, c.want, c.how)
		}
	}
	ms, err := st.FindQuartiers(ctx, "saint", 5)
	if err != nil || len(ms) != 2 {
		t.Errorf("saint: %d matches (%v), want Saint-Michel and Saint-Henri", len(ms), err)
	}
	if ms, _ := st.FindQuartiers(ctx, "zzzzzz", 5); len(ms) != 0 {
		t.Errorf("nonsense matched %v", ms)
	}
	if ms, _ := st.FindQuartiers(ctx, "  %_ ", 5); len(ms) != 0 {
		t.Errorf("LIKE wildcards matched %v", ms)
	}
}

func TestListInitiatives(t *testing.T) {
	st := testdb.WithFixture(t)
	rows, total, err := st.ListInitiatives(ctx, store.InitiativeFilter{}, 2, 0)
	if err != nil || total != 5 || len(rows) != 2 {
		t.Fatalf("all: %d rows of %d, %v", len(rows), total, err)
	}
	if rows[0].Code != "CDN-01" { // ordered by quartier name, then code
		t.Errorf("first = %s", rows[0].Code)
	}
	_, total, _ = st.ListInitiatives(ctx, store.InitiativeFilter{}, 2, 4)
	if total != 5 {
		t.Errorf("total on last page = %d", total)
	}
	rows, total, err = st.ListInitiatives(ctx, store.InitiativeFilter{ThemeID: 1}, 10, 0)
	if err != nil || total != 2 || rows[0].Code != "CDN-01" || rows[1].Code != "SM-02" {
		t.Errorf("theme logement: %+v %d %v", rows, total, err)
	}
	rows, total, _ = st.ListInitiatives(ctx, store.InitiativeFilter{FunderID: 4}, 10, 0)
	if total != 3 {
		t.Errorf("funder 4: %d", total)
	}
	rows, _, _ = st.ListInitiatives(ctx, store.InitiativeFilter{QuartierID: 1}, 10, 0)
	if len(rows) != 2 || rows[0].FundingCents != 100000000 || strings.Join(rows[0].ThemeSlugs, ",") != "securite-alimentaire" {
		t.Errorf("quartier 1: %+v", rows)
	}
}

func TestFundingSummary(t *testing.T) {
	st := testdb.WithFixture(t)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sum, err := st.FundingSummary(ctx, store.FundingFilter{}, now, now.AddDate(0, 3, 0))
	if err != nil {
		t.Fatal(err)
	}
	if sum.FinancialCents != 380000000 || sum.NonFinancialCents != 1000000 || sum.NonFinancialCount != 1 || sum.Grants != 5 {
		t.Errorf("totals %+v", sum)
	}
	if sum.ByFunder[0].Name != "Fondation Exemple" || sum.ByFunder[0].Cents != 330000000 {
		t.Errorf("by funder %+v", sum.ByFunder)
	}
	// F1 spreads 1 M$ over 2016-2017 (366 + 365 days).
	years := map[int]int64{}
	for _, y := range sum.ByYear {
		years[y.Year] = y.Cents
	}
	if years[2015] != 200000000 || years[2016] != 50068399 || years[2017] != 50000000+49931601 || years[2026] != 30000000 {
		t.Errorf("by year %v", years)
	}
	if len(sum.ByQuartier) != 3 || *sum.ByQuartier[0].Name != "Côte-des-Neiges" || sum.ByQuartier[1].Initiatives != 2 {
		t.Errorf("by quartier %+v", sum.ByQuartier)
	}
	if len(sum.EndingSoon) != 1 || sum.EndingSoon[0].Code != "F5" {
		t.Errorf("ending soon %+v", sum.EndingSoon)
	}

	y, err := st.FundingSummary(ctx, store.FundingFilter{Year: 2016}, now, now)
	if err != nil || y.FinancialCents != 50068399 || len(y.ByYear) != 1 {
		t.Errorf("2016: %+v %v", y, err)
	}
	q, err := st.FundingSummary(ctx, store.FundingFilter{QuartierID: 1}, now, now)
	if err != nil || q.FinancialCents != 150000000 || q.NonFinancialCount != 1 || len(q.ByQuartier) != 1 {
		t.Errorf("quartier: %+v %v", q, err)
	}
	th, err := st.FundingSummary(ctx, store.FundingFilter{ThemeID: 1}, now, now)
	if err != nil || th.FinancialCents != 250000000 {
		t.Errorf("theme: %+v %v", th, err)
	}
}

func TestNoteVisibility(t *testing.T) {
	st := testdb.WithFixture(t)
	count := func(v store.Viewer, quartier int64) int {
		t.Helper()
		notes, err := st.LatestNotes(ctx, v, quartier, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(notes)
	}
	cases := []struct {
		name    string
		v       store.Viewer
		sm, cdn int
	}{
		{"coordinator", store.Viewer{Role: domain.RoleCoordinator}, 2, 2},
		{"coordinator in a channel", store.Viewer{Role: domain.RoleCoordinator, SharedOnly: true}, 1, 1},
		{"partner", store.Viewer{Role: domain.RolePartner, OrganisationID: 4}, 1, 1},
		{"own Table", store.Viewer{Role: domain.RoleTableMember, OrganisationID: 1}, 2, 1},
		{"other Table", store.Viewer{Role: domain.RoleTableMember, OrganisationID: 2}, 1, 2},
		{"guest", store.Viewer{Role: domain.RoleGuest}, 0, 0},
	}
	for _, c := range cases {
		if sm, cdn := count(c.v, 1), count(c.v, 2); sm != c.sm || cdn != c.cdn {
			t.Errorf("%s sees %d/%d notes, want %d/%d", c.name, sm, cdn, c.sm, c.cdn)
		}
	}
	notes, _ := st.LatestNotes(ctx, store.Viewer{Role: domain.RoleCoordinator}, 1, 1)
	if len(notes) != 1 || notes[0].Period.Month() != time.September {
		t.Errorf("latest first: %+v", notes)
	}
}

func TestSearch(t *testing.T) {
	st := testdb.WithFixture(t)
	coord := store.Viewer{Role: domain.RoleCoordinator}
	kinds := func(v store.Viewer, q string) string {
		t.Helper()
		hits, _, err := st.Search(ctx, v, q, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Kind)
		}
		return strings.Join(out, ",")
	}
	// Accents ignored, both ways.
	if got := kinds(coord, "securite alimentaire"); got != "initiative,note" && got != "note,initiative" {
		t.Errorf("securite alimentaire: %q", got)
	}
	if got := kinds(coord, "ÉPICERIE"); !strings.Contains(got, "initiative") || !strings.Contains(got, "note") {
		t.Errorf("ÉPICERIE: %q", got)
	}
	// French stemming: "logements" finds "logement"; English: "housing" finds both housing texts.
	if got := kinds(coord, "logements"); strings.Count(got, ",") < 1 {
		t.Errorf("logements: %q", got)
	}
	if got := kinds(coord, "meeting"); got != "note" {
		t.Errorf("meeting (stem of meetings): %q", got)
	}
	// Visibility: the confidential note is for coordinators and its Table.
	if got := kinds(coord, "confidentielle"); got != "note" {
		t.Errorf("coordinator: %q", got)
	}
	for _, v := range []store.Viewer{{Role: domain.RolePartner}, {Role: domain.RoleGuest}, {Role: domain.RoleTableMember, OrganisationID: 2}} {
		if got := kinds(v, "confidentielle"); got != "" {
			t.Errorf("%s sees %q", v.Role, got)
		}
	}
	if got := kinds(store.Viewer{Role: domain.RoleGuest}, "épicerie"); got != "initiative" {
		t.Errorf("guest: %q", got)
	}
	// Excerpts mark the matched words; pagination says when there is more.
	hits, more, err := st.Search(ctx, coord, "logement", 1, 0)
	if err != nil || len(hits) != 1 || !more || !strings.Contains(hits[0].Excerpt, store.MatchStart) {
		t.Errorf("page 1: %+v more=%v err=%v", hits, more, err)
	}
	hits2, _, _ := st.Search(ctx, coord, "logement", 1, 1)
	if len(hits2) != 1 || hits2[0].ID == hits[0].ID && hits2[0].Kind == hits[0].Kind {
		t.Errorf("page 2 repeats page 1: %+v", hits2)
	}
	// Only stop words, or operators: no error, no hit.
	for _, q := range []string{"le la les", `" & | ! ( )`, "-"} {
		if _, _, err := st.Search(ctx, coord, q, 5, 0); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
}

func TestSetLanguageAndAudit(t *testing.T) {
	st := testdb.WithFixture(t)
	before, _ := st.DataVersion(ctx)
	// A known person: stored on the person, audited with before and after.
	if err := st.SetLanguage(ctx, store.SlackActor("UPART"), "UPART", domain.English); err != nil {
		t.Fatal(err)
	}
	lang, ok, err := st.ChosenLanguage(ctx, "UPART")
	if err != nil || !ok || lang != domain.English {
		t.Errorf("chosen = %v %v %v", lang, ok, err)
	}
	var audit struct {
		Actor  string `db:"actor"`
		Action string `db:"action"`
		Before string `db:"before"`
		After  string `db:"after"`
	}
	err = st.DB().GetContext(ctx, &audit, `SELECT actor, action, before::text, after::text FROM audit_log
		WHERE entity = 'people' AND entity_id = '2' ORDER BY id DESC LIMIT 1`)
	if err != nil || audit.Actor != "slack:UPART" || audit.Action != "update" ||
		!strings.Contains(audit.Before, `"language": null`) || !strings.Contains(audit.After, `"language": "en"`) {
		t.Errorf("audit %+v %v", audit, err)
	}
	if after, _ := st.DataVersion(ctx); after <= before {
		t.Errorf("data version did not move: %d -> %d", before, after)
	}
	// An unknown user: kept in slack_user_settings.
	if err := st.SetLanguage(ctx, store.SlackActor("UNEW"), "UNEW", domain.English); err != nil {
		t.Fatal(err)
	}
	if lang, ok, _ := st.ChosenLanguage(ctx, "UNEW"); !ok || lang != domain.English {
		t.Errorf("unknown user's language = %v %v", lang, ok)
	}
	if _, ok, _ := st.ChosenLanguage(ctx, "UNOBODY"); ok {
		t.Error("a user who chose nothing has a language")
	}
	// Setting the same language again writes no audit row.
	v1, _ := st.DataVersion(ctx)
	st.SetLanguage(ctx, store.SlackActor("UNEW"), "UNEW", domain.English)
	st.SetLanguage(ctx, store.SlackActor("UPART"), "UPART", domain.English)
	if v2, _ := st.DataVersion(ctx); v2 != v1 {
		t.Errorf("a write that changes nothing was audited")
	}
	if err := st.SetLanguage(ctx, "", "UNEW", domain.French); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("write without actor: %v", err)
	}
}

func TestPeopleDirectory(t *testing.T) {
	st := testdb.WithFixture(t)
	p, err := st.PersonBySlackID(ctx, "USM")
	if err != nil || p.Role != domain.RoleTableMember || p.OrganisationID != 1 || p.Language == nil || *p.Language != domain.English {
		t.Errorf("USM: %+v %v", p, err)
	}
	if _, err := st.PersonBySlackID(ctx, "UNOBODY"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	st.DB().MustExec(`SELECT set_config('relais.actor','test',false); UPDATE people SET active = false WHERE slack_user_id = 'UCDN'`)
	if _, err := st.PersonBySlackID(ctx, "UCDN"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("inactive person resolved: %v", err)
	}
	rows, total, err := st.ListPeople(ctx, 10, 0)
	if err != nil || total != 4 || len(rows) != 4 || rows[3].SlackUserID != "UCDN" {
		t.Errorf("people: %d %v (last %+v)", total, err, rows[len(rows)-1])
	}
	o, err := st.TableOfQuartier(ctx, 1)
	if err != nil || o.SlackChannelID == nil || *o.SlackChannelID != "C0SM" {
		t.Errorf("table: %+v %v", o, err)
	}
	if _, err := st.TableOfQuartier(ctx, 4); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("quartier without Table: %v", err)
	}
	fs, err := st.FindFunders(ctx, "fondation", 5)
	if err != nil || len(fs) != 1 || fs[0].Slug != "fondation-exemple" {
		t.Errorf("funders: %+v %v", fs, err)
	}
	if fs, _ := st.FindFunders(ctx, "Table de Saint-Michel", 5); len(fs) != 0 {
		t.Errorf("a Table is not a funder: %+v", fs)
	}
}

func TestConstraintsBecomeDomainErrors(t *testing.T) {
	st := testdb.WithFixture(t)
	bad := map[string]error{
		`INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
		 VALUES ('FX', 1, 4, 10, 'financial', '2020-01-01', '2019-01-01')`: domain.ErrInvalid,
		`INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
		 VALUES ('FX', 1, 4, -1, 'financial', '2020-01-01', '2020-01-01')`: domain.ErrInvalid,
		`INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
		 VALUES ('FX', 1, 4, 1, 'non_financial', '2020-01-01', '2020-01-01')`: domain.ErrInvalid,
		`INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
		 VALUES ('F1', 1, 4, 1, 'financial', '2020-01-01', '2020-01-01')`: domain.ErrConflict,
		`INSERT INTO progress_notes (organisation_id, quartier_id, period, body, conditions)
		 VALUES (1, 1, '2026-08-01', 'x', '{vibes}')`: domain.ErrInvalid,
		`INSERT INTO progress_notes (organisation_id, quartier_id, period, body)
		 VALUES (1, 1, '2026-08-15', 'x')`: domain.ErrInvalid,
		`INSERT INTO organisations (slug, name, kind) VALUES ('t', 'T', 'table_de_quartier')`:                        domain.ErrInvalid,
		`INSERT INTO organisations (slug, name, kind, quartier_id) VALUES ('t2', 'T', 'table_de_quartier', 1)`:       domain.ErrConflict,
		`INSERT INTO people (slack_user_id, display_name, organisation_id, role) VALUES ('UX', 'X', 999, 'partner')`: domain.ErrInvalid,
	}
	for stmt, want := range bad {
		err := st.ExecAsForTest(ctx, "test", stmt)
		var ce *domain.ConstraintError
		if !errors.Is(err, want) || !errors.As(err, &ce) || ce.Constraint == "" && ce.Table == "" {
			t.Errorf("%s\n  err = %v, want %v", stmt, err, want)
		}
	}
}

func TestSlackEventsProcessedOnce(t *testing.T) {
	st := testdb.New(t)
	first, err := st.MarkEventProcessed(ctx, "Ev1", "T1", "app_mention")
	if err != nil || !first {
		t.Fatalf("first delivery: %v %v", first, err)
	}
	again, err := st.MarkEventProcessed(ctx, "Ev1", "T1", "app_mention")
	if err != nil || again {
		t.Fatalf("retry: %v %v", again, err)
	}
	n, err := st.ForgetEventsBefore(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("forget: %d %v", n, err)
	}
}

func TestSessionsRunWithoutJIT(t *testing.T) {
	st := testdb.New(t)
	var jit string
	if err := st.DB().GetContext(ctx, &jit, `SHOW jit`); err != nil || jit != "off" {
		t.Errorf("jit = %q, %v", jit, err)
	}
}
