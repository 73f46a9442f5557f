package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The fixture's grants, prorated by days: F1 (Saint-Michel, 1,000,000 $ over
// 2016-2017, 731 days), F2 (Saint-Michel, 500,000 $ over 2017), F3
// (Côte-des-Neiges, 2015), F4 (non-financial), F5 (regional, no quartier).
func TestFundingPerResident(t *testing.T) {
	t.Parallel()
	st := testdb.WithFixture(t)
	// Saint-Henri: a grant that starts on the last day of June 2017, and one
	// that ends on its first day; Côte-des-Neiges: a non-financial one.
	err := st.ExecAsForTest(ctx, "test", `INSERT INTO initiatives (id, code, quartier_id, lead_organisation_id, title, summary, language, status, start_date)
		VALUES (10, 'SH-01', 4, 1, 'Jardins', 'Des jardins.', 'fr', 'active', '2017-01-01')`)
	if err != nil {
		t.Fatal(err)
	}
	err = st.ExecAsForTest(ctx, "test", `INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, support_description, period_start, period_end) VALUES
		('G1', 10, 4, 1000000, 'financial', '', '2017-06-30', '2017-07-09'),
		('G2', 10, 5, 320000, 'financial', '', '2017-05-01', '2017-06-01'),
		('G3', 3, 5, 99999999, 'non_financial', 'Locaux prêtés', '2017-01-01', '2017-12-31')`)
	if err != nil {
		t.Fatal(err)
	}

	// Timestamps in another zone than UTC still mean their calendar day.
	montreal, _ := time.LoadLocation("America/Montreal")
	first := time.Date(2017, 6, 1, 0, 0, 0, 0, montreal)
	last := time.Date(2017, 6, 30, 0, 0, 0, 0, montreal)
	rows, err := st.FundingPerResident(ctx, first, last)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ResidentFunding{
		{QuartierID: 2, Name: "Côte-des-Neiges", Population: 100000, Cents: 0},
		// G1: 1 day of 10; G2: 1 day of 32 (10,000 cents).
		{QuartierID: 4, Name: "Saint-Henri", Population: 20000, Cents: 100000 + 10000},
		// F1: 100,000,000 × 30 / 731 = 4,103,967.2; F2: 50,000,000 × 30 / 365 = 4,109,589.0.
		{QuartierID: 1, Name: "Saint-Michel", Population: 50000, Cents: 8213556},
		{QuartierID: 3, Name: "Verdun", Population: 0, Cents: 0},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows %+v, want %+v", len(rows), rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}

	per, ok := rows[2].PerResident()
	if !ok || per < 164.27 || per > 164.28 { // 8,213,556 / 50,000
		t.Errorf("Saint-Michel per resident = %v, %v", per, ok)
	}
	if _, ok := rows[3].PerResident(); ok {
		t.Error("Verdun has no population but got a per-resident figure")
	}

	// 2026-10: only the regional grant F5 is active, and it belongs to no quartier.
	rows, err = st.FundingPerResident(ctx, day("2026-10-01"), day("2026-10-31"))
	if err != nil || len(rows) != 4 {
		t.Fatalf("2026-10: %+v, %v", rows, err)
	}
	for _, r := range rows {
		if r.Cents != 0 {
			t.Errorf("2026-10: %s has %d cents, want 0", r.Name, r.Cents)
		}
	}

	if _, err := st.FundingPerResident(ctx, day("2017-06-30"), day("2017-06-01")); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a span that ends before it starts: %v, want ErrInvalid", err)
	}
}
