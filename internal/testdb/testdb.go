// Package testdb gives each test a fresh, migrated PostgreSQL database, cloned
// from a template that is built once per schema version. It is safe when `go
// test ./...` runs packages in parallel processes: an advisory lock guards the
// template. It never skips: with no server, the test fails and says how to
// start one.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver

	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/migrations"
)

// DefaultURL is the server the tests use when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const howToStart = `Start PostgreSQL and try again:
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
or point TEST_DATABASE_URL at a server where the user may create databases
(see README.md, "Tests").`

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a Store on a fresh migrated database, dropped when t ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	u := NewURL(t)
	st, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// NewURL creates a fresh migrated database and returns its URL; the database
// is dropped when t ends.
func NewURL(t testing.TB) string {
	t.Helper()
	admin := serverURL()
	templateOnce.Do(func() { templateName, templateErr = buildTemplate(admin) })
	if templateErr != nil {
		t.Fatalf("test database template: %v\n%s", templateErr, howToStart)
	}
	name := "relais_test_" + randomSuffix()
	db, err := openAdmin(admin)
	if err != nil {
		t.Fatalf("%v\n%s", err, howToStart)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, templateName)); err != nil {
		t.Fatalf("clone test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := openAdmin(admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// serverURL is the maintenance database of the test server.
func serverURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL is not a URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func openAdmin(u string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		return nil, fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL does not answer at %s: %w", redact(u), err)
	}
	return db, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// buildTemplate makes sure a template database with the current migrations
// exists. Its name carries a hash of the migrations, so a schema change builds
// a new one and no test runs on a stale schema.
func buildTemplate(admin string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "relais_template_" + sum[:12]
	db, err := openAdmin(admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := db.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// One process builds; the others wait, then find it built.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7301202601)`); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7301202601)`) //nolint:errcheck
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under another name and rename when complete, so a crash mid-build
	// never leaves a half-migrated template behind.
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, building)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	st, err := store.Open(ctx, withDatabase(admin, building))
	if err != nil {
		return "", err
	}
	_, err = st.Migrate(ctx)
	st.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q RENAME TO %q`, building, name)); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	return name, nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	// River's tables come from its own SQL (migration 3): a River upgrade or a
	// new RiverVersion changes the schema as surely as an edited file.
	river, err := migrations.RiverMigrations()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "river %d", migrations.RiverVersion)
	for _, m := range river {
		fmt.Fprintf(h, "%d %s", m.Version, m.SQLUp)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randomSuffix() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
