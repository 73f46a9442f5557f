package jobs

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// BenchmarkDeliverFanOut1000 sends 1,000 DMs through a fake that admits 50
// chat.postMessage in any one second (real clock), with the Sender's default
// pacing: the floor is 1,000/48 ≈ 20.8 s. Run it once:
//
//	go test -run '^$' -bench DeliverFanOut1000 -benchtime 1x ./internal/jobs/
func BenchmarkDeliverFanOut1000(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		st := testdb.New(b)
		clock := epochClock()
		fake := slackfake.New(b, slackfake.Options{Now: clock})
		fake.LimitRate("chat.postMessage", 50)
		sender := slackbot.NewSender(slackbot.SenderConfig{BotToken: fake.BotToken(), APIURL: fake.APIURL(), Logger: quietLogger()})
		j, err := New(st, Config{Logger: quietLogger(), Now: clock, Sender: sender, DeliveryWorkers: 50,
			FetchPollInterval: 50 * time.Millisecond, fetchCooldown: 10 * time.Millisecond, noPeriodic: true})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := j.Start(ctx); err != nil {
			b.Fatal(err)
		}
		msgs := dms(fmt.Sprint(i), n)
		start := time.Now()
		if err := st.InTx(ctx, "system:bench", func(tx *store.Tx) error {
			return NewEnqueuer(j).EnqueueTx(ctx, tx, msgs...)
		}); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(2 * time.Minute) // a safety net, not the measure
		for {
			var pending int
			if err := st.DB().Get(&pending, `SELECT count(*) FROM deliveries WHERE status = 'pending'`); err != nil {
				b.Fatal(err)
			}
			if pending == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := j.Stop(stopCtx); err != nil {
			b.Error(err)
		}
		cancel()

		counts := fake.CountByMetadataKey("", "key")
		lost, duplicated := 0, 0
		for _, m := range msgs {
			switch c := counts[m.Key]; {
			case c == 0:
				lost++
			case c > 1:
				duplicated += c - 1
			}
		}
		limited := 0
		for _, c := range fake.Calls("chat.postMessage") {
			if c.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		b.ReportMetric(elapsed.Seconds(), "seconds")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(duplicated), "duplicated")
		b.ReportMetric(float64(limited), "429s")
		b.ReportMetric(float64(fake.MaxInAnyWindow("chat.postMessage", time.Second)), "max/s")
		if lost > 0 || duplicated > 0 || elapsed > 22*time.Second {
			b.Errorf("%d DMs in %s: %d lost, %d duplicated (want ≤ 22 s, none lost or duplicated)", n, elapsed, lost, duplicated)
		}
	}
}
