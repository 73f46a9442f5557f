package store_test

import (
	"context"
	"testing"

	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/testdb"
)

// TestHoldsSampleData: a single sample row in any table with an is_sample
// column counts, whichever table it is; rows not marked sample do not.
func TestHoldsSampleData(t *testing.T) {
	ctx := context.Background()
	st := testdb.New(t)
	holds := func(what string, want bool) {
		t.Helper()
		got, err := st.HoldsSampleData(ctx)
		if err != nil {
			t.Fatalf("%s: HoldsSampleData: %v", what, err)
		}
		if got != want {
			t.Errorf("%s: HoldsSampleData = %v, want %v", what, got, want)
		}
	}
	holds("fresh database", false)
	if _, err := seed.Demo(ctx, st); err != nil {
		t.Fatal(err)
	}
	holds("demo data", true)

	// Every table the schema marks, read from the schema so that a table
	// added later is checked too.
	var tables []string
	if err := st.DB().SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'is_sample' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 6 {
		t.Fatalf("only %d tables have is_sample: %v", len(tables), tables)
	}
	unmarkAll := func() {
		t.Helper()
		for _, table := range tables {
			if err := st.ExecAsForTest(ctx, "test", `UPDATE `+table+` SET is_sample = false WHERE is_sample`); err != nil {
				t.Fatalf("unmark %s: %v", table, err)
			}
		}
	}
	unmarkAll()
	holds("demo rows no longer marked sample", false)
	for _, table := range tables {
		if err := st.ExecAsForTest(ctx, "test", `UPDATE `+table+` SET is_sample = true
			WHERE ctid = (SELECT ctid FROM `+table+` LIMIT 1)`); err != nil {
			t.Fatalf("mark one row of %s: %v", table, err)
		}
		holds("one sample row in "+table, true)
		unmarkAll()
	}
}
