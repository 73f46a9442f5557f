package commands

import (
	"context"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/testdb"
)

// BenchmarkCacheHit is the cost of a fresh entry's hit, the path of almost
// every request: the data version is checked once per window, not per call.
func BenchmarkCacheHit(b *testing.B) {
	c := NewCache(testdb.WithFixture(b), time.Minute)
	ctx := context.Background()
	compute := func(context.Context) (int, error) { return 1, nil }
	if _, err := cached(ctx, c, "funding:0:0:0:0:2026-11-02", compute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cached(ctx, c, "funding:0:0:0:0:2026-11-02", compute); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkCacheVersionCheck is a hit with no freshness window: each call
// asks the database what changed, the query each replica runs once per window.
func BenchmarkCacheVersionCheck(b *testing.B) {
	c := NewCache(testdb.WithFixture(b), 0)
	ctx := context.Background()
	compute := func(context.Context) (int, error) { return 1, nil }
	if _, err := cached(ctx, c, "funding:0:0:0:0:2026-11-02", compute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := cached(ctx, c, "funding:0:0:0:0:2026-11-02", compute); err != nil {
			b.Fatal(err)
		}
	}
}
