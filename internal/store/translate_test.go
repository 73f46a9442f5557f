package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/testdb"
)

// Values PostgreSQL cannot store are the caller's mistake (ErrInvalid), not
// an outage: a NUL byte, and a value too large for its index.
func TestUnstorableValuesAreInvalid(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	for name, id := range map[string]string{"NUL byte": "Ev\x00x", "too large to index": strings.Repeat("é", 200000)} {
		_, err := st.MarkEventProcessed(ctx, id, "T1", "app_home_opened")
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
