package seed_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// emptyDatabase creates a database with no schema at all (testdb's are
// already migrated) and returns its URL; it is dropped when b ends.
func emptyDatabase(b *testing.B, i int) string {
	b.Helper()
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = testdb.DefaultURL
	}
	admin, err := sqlx.Open("postgres", server)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("relais_bench_%d_%d", os.Getpid(), i)
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin, err := sqlx.Open("postgres", server)
		if err != nil {
			b.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			b.Error(err)
		}
	})
	return replaceDatabase(server, name)
}

func replaceDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// BenchmarkMigrateAndSeedDemo measures what a new installation's first
// `migrate` and demo seed cost: an empty database to a loaded demo.
//
//	go test -run '^$' -bench MigrateAndSeedDemo -benchtime 5x ./internal/seed/
func BenchmarkMigrateAndSeedDemo(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		u := emptyDatabase(b, i)
		b.StartTimer()
		st, err := store.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := seed.Demo(ctx, st); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkSyntheticFull loads the full synthetic dataset into a fresh
// migrated database. It takes tens of seconds: run it alone, once.
//
//	go test -run '^$' -bench SyntheticFull -benchtime 1x -timeout 10m ./internal/seed/
func BenchmarkSyntheticFull(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := testdb.New(b)
		b.StartTimer()
		c, err := seed.Synthetic(ctx, st, seed.FullSynthetic)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if c.ProgressNotes != int64(seed.FullSynthetic.Notes) {
			b.Fatalf("counts %v", c)
		}
		b.ReportMetric(float64(c.ProgressNotes), "notes")
		b.Logf("%v", c)
		b.StartTimer()
	}
}
