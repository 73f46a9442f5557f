package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ExecAsForTest runs one statement in an audited transaction, as the store's
// own writes do. Tests use it to check how the schema refuses bad rows.
func (o ops) ExecAsForTest(ctx context.Context, actor Actor, stmt string, args ...any) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, stmt, args...)
		return wrap("exec", err)
	})
}
