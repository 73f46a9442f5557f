package digest_test

import (
	"context"
	"testing"

	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/seed"
)

// BenchmarkBuildMessagesDemo is Build and Messages of October 2026 for the
// demo data (goal ≤ 50 ms; docs/performance.md).
//
//	go test -run '^$' -bench BuildMessages -benchtime 20x ./internal/digest/
func BenchmarkBuildMessagesDemo(b *testing.B) {
	st := demoStore(b)
	for b.Loop() {
		d, err := digest.Build(context.Background(), st, october, digest.Coordinators)
		if err != nil {
			b.Fatal(err)
		}
		if parts := digest.Messages(d, domain.French); len(parts) < 6 {
			b.Fatalf("%d parts", len(parts))
		}
	}
}

// BenchmarkBuildMessagesSynthetic is the same for the synthetic data: 1,000
// quartiers, 100,000 notes, 1,000 of them in October 2026 (goal ≤ 2 s).
func BenchmarkBuildMessagesSynthetic(b *testing.B) {
	st := demoStore(b)
	if _, err := seed.Synthetic(context.Background(), st, seed.FullSynthetic); err != nil {
		b.Fatal(err)
	}
	if _, err := st.DB().Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, err := digest.Build(context.Background(), st, october, digest.Coordinators)
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Highlights) < 1000 {
			b.Fatalf("%d highlights", len(d.Highlights))
		}
		digest.Messages(d, domain.French)
	}
}
