package commands

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// once commits an event's effect together with the record that it was
// processed: a failed effect leaves the event unrecorded, so its retry runs;
// a processed event's retry changes nothing.
func TestEventEffectAndRecordCommitTogether(t *testing.T) {
	ctx := context.Background()
	st := testdb.WithFixture(t)
	rt := New(st, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ev := Event{ID: "Ev0ONCE", TeamID: "T1", Type: "message", User: "UCOORD"}
	rename := func(name string, fail error) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			if err := tx.ExecAsForTest(ctx, eventActor(ev), `UPDATE people SET display_name = $1 WHERE slack_user_id = 'UCOORD'`, name); err != nil {
				return err
			}
			return fail
		}
	}
	name := func() string {
		t.Helper()
		var n string
		if err := st.DB().Get(&n, `SELECT display_name FROM people WHERE slack_user_id = 'UCOORD'`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The effect fails after writing (a crash before the commit): neither
	// the write nor the record remain.
	boom := errors.New("boom")
	if ran, err := rt.once(ctx, ev, eventActor(ev), rename("premier", boom)); ran || !errors.Is(err, boom) {
		t.Fatalf("failed effect: ran %v, err %v", ran, err)
	}
	if got := name(); got != "Coordination" {
		t.Fatalf("a failed effect left its write: %q", got)
	}
	// Slack's retry is processed, once.
	if ran, err := rt.once(ctx, ev, eventActor(ev), rename("deuxième", nil)); !ran || err != nil {
		t.Fatalf("retry: ran %v, err %v", ran, err)
	}
	if ran, err := rt.once(ctx, ev, eventActor(ev), rename("troisième", nil)); ran || err != nil {
		t.Fatalf("second retry: ran %v, err %v", ran, err)
	}
	if got := name(); got != "deuxième" {
		t.Errorf("display name %q, want the first successful delivery's", got)
	}
}

// Whatever a button's handler answers, only a partnership view may reach a
// message others see: anything else goes to the clicker alone.
func TestOnlyThePartnershipViewReachesOthers(t *testing.T) {
	st := testdb.WithFixture(t)
	rt := New(st, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rt.buttons = append(rt.buttons, Interaction{ActionID: "test:leaky", Run: func(context.Context, ActionInvocation) Reply {
		return Reply{Text: "secret", InChannel: true, ReplaceOriginal: true}
	}})
	for _, surface := range []Surface{SurfaceShared, SurfacePrivate} {
		r := rt.Action(context.Background(), ActionInvocation{Caller: Caller{SlackUserID: "UCOORD"}, ActionID: "test:leaky", Surface: surface})
		if r.InChannel || r.ReplaceOriginal {
			t.Errorf("surface %d: in channel %v, replace %v", surface, r.InChannel, r.ReplaceOriginal)
		}
	}
}
