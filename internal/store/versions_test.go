package store_test

import (
	"errors"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// A table's counter moves once per committed transaction that wrote it,
// however many rows or statements; not for a rollback, nor for a savepoint
// rolled back; and not for a write that changes nothing.
func TestTableVersionsCountCommits(t *testing.T) {
	st := testdb.WithFixture(t)
	versions := func() map[string]int64 {
		t.Helper()
		v, err := st.TableVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := versions()
	if err := st.InTx(ctx, "test", func(tx *store.Tx) error {
		for _, u := range []string{"UPART", "UCDN", "UNEW"} {
			if err := tx.SetLanguage(ctx, "test", u, domain.English); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	v1 := versions()
	if v1["people"] != v0["people"]+1 || v1["slack_user_settings"] != v0["slack_user_settings"]+1 || v1["funding"] != v0["funding"] {
		t.Errorf("one transaction writing people twice and slack_user_settings once: %v -> %v", v0, v1)
	}
	boom := errors.New("boom")
	if err := st.InTx(ctx, "test", func(tx *store.Tx) error {
		if err := tx.SetLanguage(ctx, "test", "UPART", domain.French); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := st.SetLanguage(ctx, "test", "UPART", domain.English); err != nil { // unchanged: not audited
		t.Fatal(err)
	}
	tx := st.DB().MustBegin()
	tx.MustExec(`SELECT set_config('relais.actor', 'test', true)`)
	tx.MustExec(`SAVEPOINT s`)
	tx.MustExec(`UPDATE funding SET amount_cents = amount_cents + 1`)
	tx.MustExec(`ROLLBACK TO SAVEPOINT s`)
	tx.MustExec(`UPDATE themes SET name_en = name_en || '!'`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	v2 := versions()
	if v2["people"] != v1["people"] || v2["funding"] != v1["funding"] || v2["themes"] != v1["themes"]+1 {
		t.Errorf("after a rollback, a no-op and a savepoint rolled back: %v -> %v", v1, v2)
	}
}
