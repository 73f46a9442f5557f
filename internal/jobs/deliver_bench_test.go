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

// benchRateLimit is how many chat.postMessage the benchmarks' fake admits
// in any one second (real clock), as Slack does.
const benchRateLimit = 50

// benchDelivery is a jobs client delivering through a rate-limited fake
// with the Sender's default pacing, not started.
type benchDelivery struct {
	jobs *Jobs
	fake *slackfake.Server
}

func newBenchDelivery(b *testing.B, st *store.Store, renderers map[string]Renderer) benchDelivery {
	b.Helper()
	clock := epochClock()
	fake := slackfake.New(b, slackfake.Options{Now: clock})
	fake.LimitRate("chat.postMessage", benchRateLimit)
	sender := slackbot.NewSender(slackbot.SenderConfig{BotToken: fake.BotToken(), APIURL: fake.APIURL(), Logger: quietLogger()})
	j, err := New(st, Config{Logger: quietLogger(), Now: clock, Sender: sender, DeliveryWorkers: 50,
		FetchPollInterval: 50 * time.Millisecond, fetchCooldown: 10 * time.Millisecond, noPeriodic: true,
		Renderers: renderers})
	if err != nil {
		b.Fatal(err)
	}
	return benchDelivery{jobs: j, fake: fake}
}

// drain waits until no delivery is pending (at most two minutes after
// start, a safety net rather than the measure), then stops the client. It
// returns the time from start to the last delivery settled.
func (d benchDelivery) drain(b *testing.B, st *store.Store, start time.Time) time.Duration {
	b.Helper()
	deadline := start.Add(2 * time.Minute)
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
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.jobs.Stop(stopCtx); err != nil {
		b.Error(err)
	}
	return elapsed
}

// report counts, and reports with elapsed, the keys the fake never showed
// and those it showed more than once, and the posts it answered 429.
func (d benchDelivery) report(b *testing.B, keys []string, elapsed time.Duration) (lost, duplicated int) {
	b.Helper()
	counts := d.fake.CountByMetadataKey("", "key")
	for _, k := range keys {
		switch c := counts[k]; {
		case c == 0:
			lost++
		case c > 1:
			duplicated += c - 1
		}
	}
	limited := 0
	for _, c := range d.fake.Calls("chat.postMessage") {
		if c.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	b.ReportMetric(elapsed.Seconds(), "seconds")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(duplicated), "duplicated")
	b.ReportMetric(float64(limited), "429s")
	b.ReportMetric(float64(d.fake.MaxInAnyWindow("chat.postMessage", time.Second)), "max/s")
	return lost, duplicated
}

// BenchmarkDeliverFanOut1000 sends 1,000 DMs through a fake that admits 50
// chat.postMessage in any one second (real clock), with the Sender's default
// pacing: the floor is 1,000/48 ≈ 20.8 s. Run it once:
//
//	go test -run '^$' -bench DeliverFanOut1000 -benchtime 1x ./internal/jobs/
func BenchmarkDeliverFanOut1000(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		st := testdb.New(b)
		d := newBenchDelivery(b, st, nil)
		ctx := context.Background()
		if err := d.jobs.Start(ctx); err != nil {
			b.Fatal(err)
		}
		msgs := dms(fmt.Sprint(i), n)
		start := time.Now()
		if err := st.InTx(ctx, "system:bench", func(tx *store.Tx) error {
			return NewEnqueuer(d.jobs).EnqueueTx(ctx, tx, msgs...)
		}); err != nil {
			b.Fatal(err)
		}
		elapsed := d.drain(b, st, start)
		keys := make([]string, len(msgs))
		for k, m := range msgs {
			keys[k] = m.Key
		}
		lost, duplicated := d.report(b, keys, elapsed)
		if lost > 0 || duplicated > 0 || elapsed > 22*time.Second {
			b.Errorf("%d DMs in %s: %d lost, %d duplicated (want ≤ 22 s, none lost or duplicated)", n, elapsed, lost, duplicated)
		}
	}
}
