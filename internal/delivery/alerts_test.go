package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// queued is what an alert left in the queue: delivery keys and the job args.
type queued struct {
	Key  string `db:"key"`
	Args string `db:"args"`
}

func setup(t *testing.T) (*store.Store, delivery.Enqueuer) {
	t.Helper()
	st := testdb.New(t)
	db := st.DB()
	var org int64
	if err := db.Get(&org, `INSERT INTO organisations (slug, name, kind) VALUES ('pic', 'PIC', 'regional_partner') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO people (slack_user_id, display_name, organisation_id, role, language, active) VALUES
		('UCOORDEN', 'A', $1, 'coordinator', 'en', true),
		('UCOORDFR', 'B', $1, 'coordinator', NULL, true),
		('UCOORDOLD', 'C', $1, 'coordinator', 'fr', false),
		('UPARTNER', 'D', $1, 'partner', 'fr', true)`, org)
	j, err := jobs.New(st, jobs.Config{}) // not started: the queue is inspected as left
	if err != nil {
		t.Fatal(err)
	}
	return st, jobs.NewEnqueuer(j)
}

func raise(t *testing.T, st *store.Store, a delivery.Alerter, al delivery.Alert) {
	t.Helper()
	ctx := context.Background()
	if err := st.InTx(ctx, "system:test", func(tx *store.Tx) error { return a.RaiseTx(ctx, tx, al) }); err != nil {
		t.Fatal(err)
	}
}

func queuedMessages(t *testing.T, st *store.Store) []queued {
	t.Helper()
	var out []queued
	// Where a message goes is in its job, what it says in its deliveries row.
	if err := st.DB().Select(&out, `SELECT d.key, json_build_object('to', j.args->>'to', 'text', d.text,
			'blocks', nullif(d.blocks, '')::json)::text AS args
		FROM deliveries d JOIN river_job j ON j.args->>'key' = d.key ORDER BY d.key`); err != nil {
		t.Fatal(err)
	}
	return out
}

var noRespondent = delivery.Alert{Key: "no-respondent:round:7:org:12", Kind: "no_respondent",
	Render: delivery.CatalogAlert("delivery.alert.nobody_at_table", "Verdun")}

func TestAlertToCoordinationChannelOnceInBothLanguages(t *testing.T) {
	t.Parallel()
	st, enq := setup(t)
	a := delivery.NewAlerter(enq, "CCOORD")
	raise(t, st, a, noRespondent)
	raise(t, st, a, noRespondent) // a retry, another replica: nothing more
	got := queuedMessages(t, st)
	if len(got) != 1 || got[0].Key != "alert:no-respondent:round:7:org:12:CCOORD" {
		t.Fatalf("queued %+v, want one message to CCOORD", got)
	}
	var args struct {
		To     string          `json:"to"`
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(got[0].Args), &args); err != nil {
		t.Fatal(err)
	}
	fr, en := strings.Index(args.Text, "Personne"), strings.Index(args.Text, "Nobody")
	if args.To != "CCOORD" || fr < 0 || en < fr || !strings.Contains(string(args.Blocks), "divider") {
		t.Errorf("message %+v: want French, then English, in CCOORD", args)
	}
	var alerts int
	if err := st.DB().Get(&alerts, `SELECT count(*) FROM coordinator_alerts WHERE key = $1 AND kind = 'no_respondent'`, noRespondent.Key); err != nil || alerts != 1 {
		t.Errorf("%d alert rows (%v), want 1", alerts, err)
	}
}

func TestAlertWithoutChannelDMsActiveCoordinatorsInTheirLanguage(t *testing.T) {
	t.Parallel()
	st, enq := setup(t)
	a := delivery.NewAlerter(enq, "")
	raise(t, st, a, noRespondent)
	raise(t, st, a, noRespondent)
	got := queuedMessages(t, st)
	want := map[string]string{
		"alert:no-respondent:round:7:org:12:UCOORDEN": "Nobody at Verdun",
		"alert:no-respondent:round:7:org:12:UCOORDFR": "Personne à Verdun",
	}
	if len(got) != len(want) {
		t.Fatalf("queued %+v, want one DM per active coordinator", got)
	}
	for _, q := range got {
		if text, ok := want[q.Key]; !ok || !strings.Contains(q.Args, text) {
			t.Errorf("%s: %s, want %q", q.Key, q.Args, want[q.Key])
		}
	}
}

func TestAlertRolledBackQueuesNothing(t *testing.T) {
	t.Parallel()
	st, enq := setup(t)
	a := delivery.NewAlerter(enq, "CCOORD")
	ctx := context.Background()
	err := st.InTx(ctx, "system:test", func(tx *store.Tx) error {
		if err := a.RaiseTx(ctx, tx, noRespondent); err != nil {
			return err
		}
		return domain.ErrInvalid // the change that caused it fails
	})
	if err == nil {
		t.Fatal("the transaction did not fail")
	}
	if got := queuedMessages(t, st); len(got) != 0 {
		t.Errorf("queued %+v after a rollback", got)
	}
	raise(t, st, a, noRespondent) // and the alert can still be raised later
	if got := queuedMessages(t, st); len(got) != 1 {
		t.Errorf("queued %d after raising again, want 1", len(got))
	}
}

func TestAlertNeedsKeyAndRenderer(t *testing.T) {
	t.Parallel()
	st, enq := setup(t)
	a := delivery.NewAlerter(enq, "CCOORD")
	ctx := context.Background()
	err := st.InTx(ctx, "system:test", func(tx *store.Tx) error {
		return a.RaiseTx(ctx, tx, delivery.Alert{Key: " "})
	})
	if err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("RaiseTx without key or renderer: %v", err)
	}
}
