package migrations_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/pic-montreal/relais/internal/testdb"
	"github.com/pic-montreal/relais/migrations"
)

// TestRiverVersionIsRiversLatest fails after a River upgrade that ships a new
// schema version: add a goose Go migration that migrates River up to it.
func TestRiverVersionIsRiversLatest(t *testing.T) {
	m, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	all := m.AllVersions()
	if latest := all[len(all)-1].Version; latest != migrations.RiverVersion {
		t.Errorf("River's latest schema version is %d, migrations bring %d: add a migration", latest, migrations.RiverVersion)
	}
}

func TestRiverTablesComeThroughGoose(t *testing.T) {
	t.Parallel()
	st := testdb.New(t) // cloned from the template: it must hold River's tables
	ctx := context.Background()
	tables := func() map[string]bool {
		t.Helper()
		var names []string
		if err := st.DB().Select(&names, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, n := range names {
			got[n] = true
		}
		return got
	}
	got := tables()
	for _, want := range []string{"river_job", "river_leader", "river_queue", "river_migration"} {
		if !got[want] {
			t.Errorf("table %s missing after migrate", want)
		}
	}
	if got["outbox"] {
		t.Error("the unused outbox table is still there")
	}
	var riverVersion int
	if err := st.DB().Get(&riverVersion, `SELECT max(version) FROM river_migration`); err != nil || riverVersion != migrations.RiverVersion {
		t.Errorf("river_migration at version %d (%v), want %d", riverVersion, err, migrations.RiverVersion)
	}

	states, err := st.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, s := range states {
		if s.Version == 3 && s.Source == "0003_river.go" && s.Applied {
			listed = true
		}
	}
	if !listed {
		t.Errorf("migrate status does not list 0003_river.go as applied: %+v", states)
	}

	// Down: every later migration comes off, migration 3 removes River's
	// tables, migration 2 brings the outbox back; up again restores everything.
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB().DB, migrations.FS,
		goose.WithGoMigrations(migrations.Go()...), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := tables(); got["river_job"] || got["river_migration"] {
		t.Error("River's tables remain after migrating down")
	}
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !tables()["outbox"] {
		t.Error("migrating 0002 down did not restore outbox")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tables(); !got["river_job"] || got["outbox"] {
		t.Errorf("after migrating up again: river_job %v, outbox %v", got["river_job"], got["outbox"])
	}
}
