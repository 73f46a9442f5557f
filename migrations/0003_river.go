package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverVersion is the River schema version that migration 3 brings. It is
// pinned rather than "latest" so that migration 3 always does the same thing:
// a River upgrade that ships a new schema version gets a new goose migration
// (a test fails until it does).
const RiverVersion = 8

// riverSource names migration 3 in `relais migrate status`.
const riverSource = "0003_river.go"

// Go lists the migrations written in Go, to register beside the embedded SQL.
func Go() []*goose.Migration {
	// rivermigrate runs River's own SQL and fills its river_migration table, so
	// River's tooling keeps knowing which version is installed. Transactions
	// off: rivermigrate opens its own per step.
	m := goose.NewGoMigration(3,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			return migrateRiver(ctx, db, rivermigrate.DirectionUp, RiverVersion)
		}},
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			return migrateRiver(ctx, db, rivermigrate.DirectionDown, -1)
		}},
	)
	m.Source = riverSource
	return []*goose.Migration{m}
}

func migrateRiver(ctx context.Context, db *sql.DB, dir rivermigrate.Direction, target int) error {
	// River logs each step at info; goose and `relais migrate` already report.
	mig, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := mig.Migrate(ctx, dir, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
		return fmt.Errorf("river migrate %s to %d: %w", dir, target, err)
	}
	return nil
}

// RiverMigrations returns River's migrations up to RiverVersion, so the test
// template's name can change when River's SQL does.
func RiverMigrations() ([]rivermigrate.Migration, error) {
	mig, err := rivermigrate.New(riverdatabasesql.New(nil), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	var out []rivermigrate.Migration
	for _, m := range mig.AllVersions() {
		if m.Version <= RiverVersion {
			out = append(out, m)
		}
	}
	return out, nil
}
