package checkin_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// benchEnqueuers are the Enqueuers the round benchmarks run on: one that
// records, for our writes alone, and the real one (deliveries rows and
// River jobs).
var benchEnqueuers = []struct {
	name string
	enq  func(st *store.Store) (delivery.Enqueuer, error)
}{
	{"recording", func(*store.Store) (delivery.Enqueuer, error) { return &recorder{}, nil }},
	{"river", func(st *store.Store) (delivery.Enqueuer, error) {
		j, err := jobs.New(st, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return nil, err
		}
		return jobs.NewEnqueuer(j), nil
	}},
}

type benchSchedule struct {
	st   *store.Store
	svc  *checkin.Service
	clk  *clock
	id   int64 // the schedule's
	rule *schedule.Schedule
}

// newBenchSchedule is the synthetic 1,000 Tables (one respondent each) and
// a schedule for all of them on the first Tuesday of the month, with its
// rule: an iteration ticks at the next occurrence, which opens its round.
// The clock starts the day before the first, Monday January 4, 2027.
func newBenchSchedule(b *testing.B, newEnq func(*store.Store) (delivery.Enqueuer, error)) benchSchedule {
	b.Helper()
	st := testdb.New(b)
	if _, err := seed.Synthetic(ctx, st, seed.SyntheticOptions{Quartiers: 1000, Initiatives: 1, Funding: 1, Notes: 1}); err != nil {
		b.Fatal(err)
	}
	enq, err := newEnq(st)
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{t: local(2027, time.January, 4, 0, 0)}
	svc := &checkin.Service{Store: st, Enqueuer: enq, Alerter: &recorder{}, Now: clk.Now, Location: montreal,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s, err := svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "bench", Name: "Bench", Cron: "0 9 * * *",
		NthWeekday: 1, Weekday: time.Tuesday})
	if err != nil {
		b.Fatal(err)
	}
	rule, err := schedule.Compile(schedule.Rule{Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday})
	if err != nil {
		b.Fatal(err)
	}
	return benchSchedule{st: st, svc: svc, clk: clk, id: s.ID, rule: rule}
}

// BenchmarkOpenRound opens one round for the synthetic 1,000 Tables (one
// respondent each) per iteration: the round, 1,000 prompts, 1,000 recipients
// and 1,000 DMs handed to the Enqueuer, in one transaction. The DMs are
// rendered when sent (checkin.PromptRenderer), not here. "recording"
// measures our writes alone; "river" adds the real Enqueuer's deliveries
// rows and River jobs (the goal, issue 7: ≤ 200 ms).
//
//	go test -run '^$' -bench OpenRound -benchtime 20x ./internal/checkin/
func BenchmarkOpenRound(b *testing.B) {
	for _, c := range benchEnqueuers {
		b.Run(c.name, func(b *testing.B) {
			bs := newBenchSchedule(b, c.enq)
			at := bs.clk.Now()
			var prompts, messages int
			i := 0
			for b.Loop() {
				i++
				next, _ := bs.rule.Next(at)
				at = next.At
				bs.clk.Set(at)
				o, err := bs.svc.TickSchedule(ctx, bs.id)
				if err != nil {
					b.Fatal(err)
				}
				if o == nil {
					b.Fatalf("tick %d opened nothing", i)
				}
				prompts, messages = o.Prompts, o.Messages
			}
			if prompts != 1000 || messages != 1000 {
				b.Fatalf("%d prompts, %d messages per round, want 1,000 each", prompts, messages)
			}
			b.ReportMetric(float64(prompts), "prompts/op")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(i), "ms/round")
		})
	}
}

// BenchmarkRemind1000 queues the first reminder of a round of the synthetic
// 1,000 Tables (one respondent each, none answered) per iteration: the
// round locked, 1,000 checkin_reminders rows and 1,000 reminder DMs handed
// to the Enqueuer, in one transaction. Opening the round and marking its
// prompts posted is not timed. "river" includes the real Enqueuer's
// deliveries rows and River jobs (the goal, issue 8: ≤ 200 ms).
//
//	go test -run '^$' -bench Remind1000 -benchtime 10x ./internal/checkin/
func BenchmarkRemind1000(b *testing.B) {
	for _, c := range benchEnqueuers {
		b.Run(c.name, func(b *testing.B) {
			bs := newBenchSchedule(b, c.enq)
			at := bs.clk.Now()
			var messages int
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				next, _ := bs.rule.Next(at)
				at = next.At
				bs.clk.Set(at)
				o, err := bs.svc.TickSchedule(ctx, bs.id)
				if err != nil || o == nil {
					b.Fatalf("tick %d: %+v, %v", i, o, err)
				}
				// As the deliver worker records the prompts it posted.
				if _, err := bs.st.DB().Exec(`UPDATE checkin_recipients r SET state = 'sent', channel_id = 'D' || r.id,
					message_ts = '1767000000.' || r.id FROM checkin_prompts p WHERE p.id = r.prompt_id AND p.round_id = $1`, o.RoundID); err != nil {
					b.Fatal(err)
				}
				due, err := schedule.AddWorkingDays(at, 2)
				if err != nil {
					b.Fatal(err)
				}
				bs.clk.Set(due)
				b.StartTimer()
				res, err := bs.svc.Remind(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(res) != 1 {
					b.Fatalf("iteration %d reminded %+v, want one round", i, res)
				}
				messages = res[0].Messages
			}
			if messages != 1000 {
				b.Fatalf("%d reminders per round, want 1,000", messages)
			}
			b.ReportMetric(float64(messages), "reminders/op")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(i), "ms/round")
		})
	}
}
