package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

var errAbandon = errors.New("abandon")

// languageReader is what both Store and Tx offer to read a language.
type languageReader interface {
	ChosenLanguage(ctx context.Context, slackUserID string) (domain.Language, bool, error)
}

// chosen is the language slackUserID chose, or "" for none.
func chosen(t *testing.T, r languageReader, slackUserID string) domain.Language {
	t.Helper()
	lang, _, err := r.ChosenLanguage(ctx, slackUserID)
	if err != nil {
		t.Fatalf("ChosenLanguage(%s): %v", slackUserID, err)
	}
	return lang
}

func TestInTxCommitsAllWritesOrNone(t *testing.T) {
	st := testdb.WithFixture(t)
	actor := store.SlackActor("UCOORD")
	twoWrites := func(tx *store.Tx) error {
		if err := tx.SetLanguage(ctx, actor, "UPART", domain.English); err != nil {
			return err
		}
		return tx.SetLanguage(ctx, actor, "UNEW", domain.English)
	}

	t.Run("an error from fn rolls every write back", func(t *testing.T) {
		before := auditCount(t, st)
		err := st.InTx(ctx, actor, func(tx *store.Tx) error {
			if err := twoWrites(tx); err != nil {
				t.Fatal(err)
			}
			return errAbandon
		})
		if !errors.Is(err, errAbandon) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		if l := chosen(t, st, "UPART"); l != "" {
			t.Errorf("UPART's language survived the rollback: %q", l)
		}
		if l := chosen(t, st, "UNEW"); l != "" {
			t.Errorf("UNEW's language survived the rollback: %q", l)
		}
		if after := auditCount(t, st); after != before {
			t.Errorf("audit_log went from %d to %d rows", before, after)
		}
	})

	t.Run("nil from fn commits every write, audited for the actor", func(t *testing.T) {
		before, err := st.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.InTx(ctx, actor, twoWrites); err != nil {
			t.Fatal(err)
		}
		if chosen(t, st, "UPART") != domain.English || chosen(t, st, "UNEW") != domain.English {
			t.Error("a committed write is missing")
		}
		var actors []string
		if err := st.DB().SelectContext(ctx, &actors, `SELECT actor FROM audit_log WHERE id > $1 ORDER BY id`, before); err != nil {
			t.Fatal(err)
		}
		if len(actors) != 2 || actors[0] != string(actor) || actors[1] != string(actor) {
			t.Errorf("audit actors %v, want two %s", actors, actor)
		}
	})

	t.Run("writes need the transaction's actor", func(t *testing.T) {
		called := false
		err := st.InTx(ctx, "", func(*store.Tx) error { called = true; return nil })
		if !errors.Is(err, domain.ErrInvalid) || called {
			t.Errorf("InTx without an actor: %v (fn called: %v)", err, called)
		}
		err = st.InTx(ctx, actor, func(tx *store.Tx) error {
			for _, other := range []store.Actor{"", store.SlackActor("UPART")} {
				if err := tx.SetLanguage(ctx, other, "UNEW", domain.French); !errors.Is(err, domain.ErrInvalid) {
					t.Errorf("write for %q in a transaction for %s: %v", other, actor, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if chosen(t, st, "UNEW") != domain.English {
			t.Error("a refused write was applied")
		}
	})
}

func TestTxReadsItsOwnUncommittedWrites(t *testing.T) {
	st := testdb.WithFixture(t)
	actor := store.SlackActor("UCOORD")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	err := st.InTx(ctx, actor, func(tx *store.Tx) error {
		if err := tx.SetLanguage(ctx, actor, "UNEW", domain.English); err != nil {
			return err
		}
		if l := chosen(t, tx, "UNEW"); l != domain.English {
			t.Errorf("through tx: %q, want en", l)
		}
		if l := chosen(t, st, "UNEW"); l != "" {
			t.Errorf("outside tx, before commit: %q, want none", l)
		}

		if err := tx.ExecAsForTest(ctx, actor, `INSERT INTO funding (code, initiative_id, funder_id, amount_cents,
			kind, period_start, period_end) VALUES ('F6', 2, 4, 70000000, 'financial', '2026-01-01', '2026-12-31')`); err != nil {
			return err
		}
		in, err := tx.FundingSummary(ctx, store.FundingFilter{}, now, now.AddDate(0, 3, 0))
		if err != nil {
			return err
		}
		if in.Grants != 6 || in.FinancialCents != 450000000 || len(in.EndingSoon) != 2 {
			t.Errorf("FundingSummary through tx: %d grants, %d cents, %d ending; want 6, 450000000, 2",
				in.Grants, in.FinancialCents, len(in.EndingSoon))
		}
		if out, err := st.FundingSummary(ctx, store.FundingFilter{}, now, now); err != nil || out.Grants != 5 {
			t.Errorf("FundingSummary outside tx: %d grants (%v), want 5", out.Grants, err)
		}
		if _, total, err := tx.ListInitiatives(ctx, store.InitiativeFilter{FunderID: 4}, 10, 0); err != nil || total != 4 {
			t.Errorf("ListInitiatives through tx: %d (%v), want 4", total, err)
		}
		return errAbandon
	})
	if !errors.Is(err, errAbandon) {
		t.Fatal(err)
	}
	if sum, err := st.FundingSummary(ctx, store.FundingFilter{}, now, now); err != nil || sum.Grants != 5 {
		t.Errorf("after rollback: %d grants (%v), want 5", sum.Grants, err)
	}
}

// TestMultiStatementReadsReadOneSnapshot commits a write while a read is
// between its first and second statements: a transaction holding the table
// only the second statement reads makes the read wait there, deterministically.
// Read-only is not asserted: PostgreSQL shows no sign of it from outside.
func TestMultiStatementReadsReadOneSnapshot(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	t.Run("funding summary", func(t *testing.T) {
		st := testdb.WithFixture(t)
		// Totals read funding and initiatives; the breakdown by funder then joins organisations.
		sum, err := whileWriting(t, st, "organisations",
			`INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, period_start, period_end)
			 VALUES ('F6', 2, 4, 70000000, 'financial', '2026-01-01', '2026-12-31')`,
			func() (store.FundingSummary, error) {
				return st.FundingSummary(ctx, store.FundingFilter{}, now, now.AddDate(0, 3, 0))
			})
		if err != nil {
			t.Fatal(err)
		}
		var byFunder, byQuartier int64
		for _, l := range sum.ByFunder {
			byFunder += l.Cents
		}
		for _, q := range sum.ByQuartier {
			byQuartier += q.Cents
		}
		if sum.FinancialCents != 380000000 || byFunder != sum.FinancialCents || byQuartier != sum.FinancialCents || len(sum.EndingSoon) != 1 {
			t.Errorf("totals %d, by funder %d, by quartier %d, %d ending soon: want 380000000 everywhere and 1",
				sum.FinancialCents, byFunder, byQuartier, len(sum.EndingSoon))
		}
		if after, err := st.FundingSummary(ctx, store.FundingFilter{}, now, now); err != nil || after.Grants != 6 {
			t.Errorf("the write did not commit: %d grants (%v)", after.Grants, err)
		}
	})
	t.Run("initiatives page and count", func(t *testing.T) {
		st := testdb.WithFixture(t)
		// The count reads initiatives alone; the page then joins organisations.
		type page struct {
			rows  []store.InitiativeRow
			total int
		}
		p, err := whileWriting(t, st, "organisations",
			`INSERT INTO initiatives (code, quartier_id, lead_organisation_id, title, start_date)
			 VALUES ('X-01', 3, 3, 'Projet', '2024-01-01')`,
			func() (page, error) {
				rows, total, err := st.ListInitiatives(ctx, store.InitiativeFilter{}, 10, 0)
				return page{rows, total}, err
			})
		if err != nil {
			t.Fatal(err)
		}
		if p.total != 5 || len(p.rows) != 5 {
			t.Errorf("%d rows of a total of %d, want 5 of 5", len(p.rows), p.total)
		}
	})
}

// whileWriting runs read while a transaction that locked table and made write
// is open, and commits that transaction once read waits for the lock.
func whileWriting[T any](t *testing.T, st *store.Store, table, write string, read func() (T, error)) (T, error) {
	t.Helper()
	writer, err := st.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck // a no-op after Commit
	var writerPID int
	mustExec(t, writer, `SELECT set_config('relais.actor', 'test', true)`)
	mustExec(t, writer, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`)
	mustExec(t, writer, write)
	if err := writer.GetContext(ctx, &writerPID, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}

	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		if err := st.DB().GetContext(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE $1 = ANY (pg_blocking_pids(pid)))`, writerPID); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the read finished without waiting for %s: %v", table, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read never waited for %s", table)
		}
		time.Sleep(5 * time.Millisecond) // polls a state, not a schedule
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	return r.v, r.err
}

func mustExec(t *testing.T, tx *sqlx.Tx, stmt string) {
	t.Helper()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
