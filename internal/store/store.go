// Package store is Relais' only door to PostgreSQL: raw SQL through sqlx, one
// function per query over a queryer (the pool or a transaction), a context on
// every call, errors wrapped with %w and constraint violations turned into
// domain errors. Every write runs in a transaction that names its actor, and
// triggers record it in audit_log. Store runs each operation on its own; InTx
// composes any of them in one transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// Store wraps the database pool: each operation runs on its own.
type Store struct {
	ops
}

// Tx is one transaction with Store's operations, from InTx: what is written
// through it is read back through it, and commits with the rest or not at all.
type Tx struct {
	ops
}

// SQL is the transaction itself, for River's inserts (jobs.InsertTx): a job
// written beside a state change commits with it or not at all. Queries go
// through Tx's methods.
func (t *Tx) SQL() *sqlx.Tx { return t.tx }

// queryer is what both the pool and a transaction offer, so each query is
// written once for both.
type queryer interface {
	sqlx.ExtContext
}

// ops holds every operation, written once and embedded in Store and Tx. On
// Store, a write or a multi-statement read begins its own transaction; on Tx
// it joins the caller's.
type ops struct {
	db    *sqlx.DB // the pool (Store)
	tx    *sqlx.Tx // the caller's transaction (Tx), nil on Store
	actor Actor    // whom the Tx writes for
}

// q is where single statements run.
func (o ops) q() queryer {
	if o.tx != nil {
		return o.tx
	}
	return o.db
}

// New wraps an open pool (tests hand in their own database).
func New(db *sqlx.DB) *Store { return &Store{ops{db: db}} }

// DB exposes the pool to the few callers that need it (health checks, tests).
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Open connects to databaseURL, creating the database first when the server
// says it does not exist, and checks that the server answers.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	db, err := connect(ctx, databaseURL)
	if isUndefinedDatabase(err) {
		if cerr := createDatabase(ctx, databaseURL); cerr != nil {
			return nil, cerr
		}
		db, err = connect(ctx, databaseURL)
	}
	if err != nil {
		return nil, err
	}
	return New(db), nil
}

func connect(ctx context.Context, databaseURL string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withoutJIT(databaseURL))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// withoutJIT turns PostgreSQL's JIT compilation off for Relais' sessions,
// unless the URL sets it: Relais' queries are short, and compiling one cost
// more than running it (157 ms of a 300 ms funding query, docs/performance.md).
// lib/pq passes unknown URL parameters to the server as settings.
func withoutJIT(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Query().Has("jit") {
		return databaseURL // a bad URL is reported by the driver
	}
	q := u.Query()
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func isUndefinedDatabase(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "3D000"
}

// createDatabase connects to the server's maintenance database and creates the
// one databaseURL names. A concurrent creation by another process is fine.
func createDatabase(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("database URL names no database")
	}
	u.Path = "/postgres"
	admin, err := connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	// Processes starting together race to create it: the loser gets
	// duplicate_database, or a unique violation on pg_database when both
	// inserted at once. Either way the database now exists.
	if err != nil && !(errors.As(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "23505")) {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Actor names who writes: "slack:U123", "seed", "system:checkin"... It is what
// audit_log.actor records.
type Actor string

// SlackActor is the actor for a Slack user.
func SlackActor(userID string) Actor { return Actor("slack:" + userID) }

// InTx runs fn in one transaction whose writes audit_log attributes to actor:
// they all commit, or none does when fn returns an error (returned as is).
func (s *Store) InTx(ctx context.Context, actor Actor, fn func(tx *Tx) error) error {
	return inTx(ctx, s.db, actor, func(tx *sqlx.Tx) error {
		return fn(&Tx{ops{tx: tx, actor: actor}})
	})
}

// inTx runs fn in a transaction whose writes audit_log attributes to actor.
func inTx(ctx context.Context, db *sqlx.DB, actor Actor, fn func(tx *sqlx.Tx) error) error {
	if actor == "" {
		return errNoActor
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "SELECT set_config('relais.actor', $1, true)", string(actor)); err != nil {
		return fmt.Errorf("set actor: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// errNoActor refuses a write audit_log could not attribute.
var errNoActor = fmt.Errorf("write without an actor: %w", domain.ErrInvalid)

// write runs fn where a write belongs: on Store, a transaction of its own for
// actor; on Tx, the caller's. A Tx writes for the actor it began with only, so
// audit_log never names someone else for the write.
func (o ops) write(ctx context.Context, actor Actor, fn func(tx *sqlx.Tx) error) error {
	if o.tx == nil {
		return inTx(ctx, o.db, actor, fn)
	}
	if actor == "" {
		return errNoActor
	}
	if actor != o.actor {
		return fmt.Errorf("write for %q in a transaction for %q: %w", actor, o.actor, domain.ErrInvalid)
	}
	return fn(o.tx)
}

// snapshotTx is how Store runs a multi-statement read: every statement sees
// the same committed data, and the read cannot write.
var snapshotTx = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

// snapshot runs fn, a read of several statements, on one snapshot: on Store a
// read-only repeatable-read transaction, on Tx the caller's transaction.
func (o ops) snapshot(ctx context.Context, fn func(q queryer) error) error {
	if o.tx != nil {
		return fn(o.tx)
	}
	tx, err := o.db.BeginTxx(ctx, snapshotTx)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end snapshot: %w", err)
	}
	return nil
}

// translate turns constraint violations into domain errors, keeping the cause.
func translate(err error) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	var kind error
	switch pqErr.Code {
	case "23505": // unique_violation
		kind = domain.ErrConflict
	case "23503", "23514", "23502", "23P01", "54000": // fk, check, not null, exclusion, value too large to index
		kind = domain.ErrInvalid
	default:
		// Class 22, data exceptions: a bad text representation, a date out
		// of range, a NUL byte or invalid UTF-8 in a text value.
		if !strings.HasPrefix(string(pqErr.Code), "22") {
			return err
		}
		kind = domain.ErrInvalid
	}
	return fmt.Errorf("%w (%v)", &domain.ConstraintError{
		Kind: kind, Constraint: pqErr.Constraint, Table: pqErr.Table, Detail: pqErr.Detail,
	}, err)
}

// wrap gives a failed query its name and translates constraint errors.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return translate(fmt.Errorf("%s: %w", op, err))
}

// notFound turns sql.ErrNoRows into a domain.NotFoundError.
func notFound(err error, entity, key string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &domain.NotFoundError{Entity: entity, Key: key}
	}
	return err
}
