package store

import "context"

// DataVersion changes whenever data changes: every write to a data table adds
// an audit_log row (bulk loads add a summary row), so its highest id is a
// cheap version number for caches.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.GetContext(ctx, &v, `SELECT coalesce(max(id), 0) FROM audit_log`)
	return v, wrap("data version", err)
}
