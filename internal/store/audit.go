package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// DataVersion changes whenever data changes: every write to a data table adds
// an audit_log row (bulk loads add a summary row), so its highest id tells
// what was written since. Caches use TableVersions instead: an id is taken
// before its transaction commits, so a transaction committing after a later
// one does not move the highest id.
func (o ops) DataVersion(ctx context.Context) (int64, error) { return dataVersion(ctx, o.q()) }

func dataVersion(ctx context.Context, q queryer) (int64, error) {
	var v int64
	err := sqlx.GetContext(ctx, q, &v, `SELECT coalesce(max(id), 0) FROM audit_log`)
	return v, wrap("data version", err)
}
