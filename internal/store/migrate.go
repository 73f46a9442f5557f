package store

import (
	"context"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/pic-montreal/relais/migrations"
)

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version   int64
	Source    string
	Applied   bool
	AppliedAt time.Time
}

func (s *Store) migrationProvider() (*goose.Provider, error) {
	// The session locker holds a PostgreSQL advisory lock, so processes migrating
	// at once apply each migration once.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	// River's tables come from a Go migration, registered here beside the SQL.
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, migrations.FS, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(migrations.Go()...), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate: %w", err)
	}
	return len(results), nil
}

// MigrationStatus lists every migration with its state.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{
			Version: m.Source.Version, Source: m.Source.Path,
			Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt,
		})
	}
	return out, nil
}

// Ready reports whether the database answers and every migration is applied.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migration check: %w", err)
	}
	if pending {
		return fmt.Errorf("migrations pending")
	}
	return nil
}
