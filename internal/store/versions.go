package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// TableVersions returns each audited table's change counter (table_versions,
// migration 5): it moves once for every committed transaction that wrote the
// table, bulk loads included, and never goes back. Tables not audited
// (slack_events, deliveries) have none. One small read, for caches that
// outdate only what read a changed table.
func (o ops) TableVersions(ctx context.Context) (map[string]int64, error) {
	return tableVersions(ctx, o.q())
}

func tableVersions(ctx context.Context, q queryer) (map[string]int64, error) {
	var rows []struct {
		Table   string `db:"table_name"`
		Version int64  `db:"version"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT table_name, version FROM table_versions`); err != nil {
		return nil, wrap("table versions", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Table] = r.Version
	}
	return out, nil
}
