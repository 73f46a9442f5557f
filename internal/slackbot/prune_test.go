package slackbot

import (
	"context"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/testdb"
)

func TestPruneEventsForgetsOldIDsOnly(t *testing.T) {
	st := testdb.New(t)
	ctx := context.Background()
	for _, id := range []string{"Ev-old", "Ev-new"} {
		if _, err := st.MarkEventProcessed(ctx, id, "T1", "message"); err != nil {
			t.Fatal(err)
		}
	}
	st.DB().MustExec(`UPDATE slack_events SET received_at = now() - interval '25 hours' WHERE event_id = 'Ev-old'`)
	logger, _ := testLogger()
	pruneOnce(ctx, st, time.Now(), logger)
	// The old id is forgotten (a redelivery would be new); the recent one is kept.
	if first, _ := st.MarkEventProcessed(ctx, "Ev-old", "T1", "message"); !first {
		t.Error("an id older than a day was kept")
	}
	if first, _ := st.MarkEventProcessed(ctx, "Ev-new", "T1", "message"); first {
		t.Error("a recent id was forgotten")
	}
}

func TestPruneEventsStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logger, _ := testLogger()
	PruneEvents(ctx, testdb.New(t), time.Hour, time.Now, logger) // returns, or the test times out
}
