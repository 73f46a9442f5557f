package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// holdsSampleDataSQL asks every data table with an is_sample column (a test
// checks none is missing) and stops at the first sample row found.
const holdsSampleDataSQL = `SELECT
	EXISTS (SELECT 1 FROM quartiers WHERE is_sample)
	OR EXISTS (SELECT 1 FROM organisations WHERE is_sample)
	OR EXISTS (SELECT 1 FROM people WHERE is_sample)
	OR EXISTS (SELECT 1 FROM initiatives WHERE is_sample)
	OR EXISTS (SELECT 1 FROM funding WHERE is_sample)
	OR EXISTS (SELECT 1 FROM progress_notes WHERE is_sample)`

// HoldsSampleData reports whether the database holds any of the fictional
// sample data (relais seed), which Slack must never see.
func (o ops) HoldsSampleData(ctx context.Context) (bool, error) {
	return holdsSampleData(ctx, o.q())
}

func holdsSampleData(ctx context.Context, q queryer) (bool, error) {
	var found bool
	if err := sqlx.GetContext(ctx, q, &found, holdsSampleDataSQL); err != nil {
		return false, wrap("holds sample data", err)
	}
	return found, nil
}
