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

// BenchmarkOpenRound opens one round for the synthetic 1,000 Tables (one
// respondent each) per iteration: the round, 1,000 prompts, 1,000 recipients
// and 1,000 DMs handed to the Enqueuer, in one transaction. The DMs are
// rendered when sent (checkin.PromptRenderer), not here. "recording"
// measures our writes alone; "river" adds the real Enqueuer's deliveries
// rows and River jobs (the goal, issue 7: ≤ 200 ms).
//
//	go test -run '^$' -bench OpenRound -benchtime 20x ./internal/checkin/
func BenchmarkOpenRound(b *testing.B) {
	for _, c := range []struct {
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
	} {
		b.Run(c.name, func(b *testing.B) {
			st := testdb.New(b)
			if _, err := seed.Synthetic(ctx, st, seed.SyntheticOptions{Quartiers: 1000, Initiatives: 1, Funding: 1, Notes: 1}); err != nil {
				b.Fatal(err)
			}
			enq, err := c.enq(st)
			if err != nil {
				b.Fatal(err)
			}
			// The partnership's schedule, the first Tuesday of the month: each
			// iteration ticks at the next one, which opens its round.
			start := local(2027, time.January, 4, 0, 0)
			clk := &clock{t: start}
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
			at := start
			var prompts, messages int
			i := 0
			for b.Loop() {
				i++
				next, _ := rule.Next(at)
				at = next.At
				clk.Set(at)
				o, err := svc.TickSchedule(ctx, s.ID)
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
	for _, c := range []struct {
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
	} {
		b.Run(c.name, func(b *testing.B) {
			st := testdb.New(b)
			if _, err := seed.Synthetic(ctx, st, seed.SyntheticOptions{Quartiers: 1000, Initiatives: 1, Funding: 1, Notes: 1}); err != nil {
				b.Fatal(err)
			}
			enq, err := c.enq(st)
			if err != nil {
				b.Fatal(err)
			}
			start := local(2027, time.January, 4, 0, 0)
			clk := &clock{t: start}
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
			at := start
			var messages int
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				next, _ := rule.Next(at)
				at = next.At
				clk.Set(at)
				o, err := svc.TickSchedule(ctx, s.ID)
				if err != nil || o == nil {
					b.Fatalf("tick %d: %+v, %v", i, o, err)
				}
				// As the deliver worker records the prompts it posted.
				if _, err := st.DB().Exec(`UPDATE checkin_recipients r SET state = 'sent', channel_id = 'D' || r.id,
					message_ts = '1767000000.' || r.id FROM checkin_prompts p WHERE p.id = r.prompt_id AND p.round_id = $1`, o.RoundID); err != nil {
					b.Fatal(err)
				}
				due, err := schedule.AddWorkingDays(at, 2)
				if err != nil {
					b.Fatal(err)
				}
				clk.Set(due)
				b.StartTimer()
				res, err := svc.Remind(ctx)
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
