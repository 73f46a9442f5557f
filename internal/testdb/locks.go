package testdb

import (
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/store"
)

// WaitForLockWait waits until a session on st's database waits for a lock:
// a test of what a transaction sees once the lock it waited for is
// released starts the second transaction, waits here, then releases the
// first. It fails the test after 10 s.
func WaitForLockWait(t testing.TB, st *store.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := st.DB().Get(&waiting, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE NOT l.granted AND a.datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("testdb: nobody waited for a lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
