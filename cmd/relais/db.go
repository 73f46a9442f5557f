package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/store"
)

// connectTimeout bounds the first connection, so that a server behind a
// firewall that drops packets fails in seconds, not minutes.
const connectTimeout = 15 * time.Second

// startHint is how to start the PostgreSQL server of a Debian machine.
const startHint = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// openStore connects to cfg.DatabaseURL (creating the database if missing)
// and turns failures into one line that says what to do.
func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	st, err := store.Open(cctx, cfg.DatabaseURL)
	if err != nil {
		return nil, dbError(cfg, err)
	}
	return st, nil
}

// dbError rewrites a database error for a person at a terminal: where the
// server is, what went wrong and, for a local server that is down, how to
// start it. The password never appears, even if a driver echoes it.
func dbError(cfg config.Config, err error) error {
	u, _ := url.Parse(cfg.DatabaseURL) // validated by config.Load
	where := "PostgreSQL at " + serverAddr(u)
	var msg string
	var pqErr *pq.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), isDialError(err), errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("cannot reach %s (%s)", where, cause(err))
		if isLocal(u) {
			// A local server may be down, or the wrong one: say both fixes.
			msg += "; start it with: " + startHint + " or set " + config.EnvDatabaseURL + " to a server that runs"
		} else {
			msg += "; check that it runs and that " + config.EnvDatabaseURL + " is right"
		}
	case errors.As(err, &pqErr) && (pqErr.Code == "28P01" || pqErr.Code == "28000"):
		msg = fmt.Sprintf("%s refused the login of user %q (%s); check the user and password in %s",
			where, u.User.Username(), pqErr.Message, config.EnvDatabaseURL)
	case errors.As(err, &pqErr) && pqErr.Code == "42501":
		msg = fmt.Sprintf("%s: user %q lacks a privilege (%s); create database %q beforehand or grant CREATEDB",
			where, u.User.Username(), pqErr.Message, strings.TrimPrefix(u.Path, "/"))
	default:
		msg = fmt.Sprintf("database %s: %v", config.RedactDatabaseURL(cfg.DatabaseURL), err)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	if pw := u.Query().Get("password"); pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return errors.New(msg)
}

func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// cause is the innermost error's text: "connection refused", not the chain.
func cause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", connectTimeout)
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func serverAddr(u *url.URL) string {
	if u.Host == "" {
		if h := u.Query().Get("host"); h != "" {
			return h
		}
		return "the default Unix socket"
	}
	if u.Port() == "" {
		return u.Host + ":5432"
	}
	return u.Host
}

func isLocal(u *url.URL) bool {
	switch h := u.Hostname(); h {
	case "", "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// databaseName is the database a URL names (config.Load checked it names one).
func databaseName(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// setupStore is setup, then openMigratedStore: how a subcommand that works
// on the database starts. The caller closes the store.
func setupStore(ctx context.Context, e *env) (config.Config, *slog.Logger, *store.Store, error) {
	cfg, logger, err := setup(e)
	if err != nil {
		return cfg, nil, nil, err
	}
	st, err := openMigratedStore(ctx, cfg)
	return cfg, logger, st, err
}

// openMigratedStore opens the store and applies pending migrations, for the
// subcommands that need the schema before they start.
func openMigratedStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", dbError(cfg, err))
	}
	return st, nil
}
