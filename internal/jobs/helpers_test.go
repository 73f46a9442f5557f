package jobs

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/pic-montreal/relais/internal/store"
)

// waitFor is only a safety net: the conditions tested come quickly, with the
// client polling every few milliseconds.
const waitFor = 10 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testConfig polls fast, so pickups take milliseconds, and runs no periodic
// jobs unless the test asks for them.
func testConfig(add func(*river.Workers)) Config {
	return Config{
		Logger:            quietLogger(),
		FetchPollInterval: 20 * time.Millisecond,
		fetchCooldown:     5 * time.Millisecond,
		addWorkers:        add,
		noPeriodic:        true,
		testOnly:          true,
	}
}

// started builds and starts a client, stopped when t ends.
func started(t *testing.T, st *store.Store, cfg Config) *Jobs {
	t.Helper()
	j, err := New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return j
}

// eventually polls cond until it holds, failing after waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not true after %s: %s", waitFor, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordArgs is a test job that reports its name when it runs.
type recordArgs struct {
	Name string `json:"name"`
}

func (recordArgs) Kind() string { return "test_record" }

type recordWorker struct {
	river.WorkerDefaults[recordArgs]
	ran chan string
}

func (w *recordWorker) Work(ctx context.Context, job *river.Job[recordArgs]) error {
	w.ran <- job.Args.Name
	return nil
}

func jobState(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	var state string
	if err := st.DB().Get(&state, `SELECT state::text FROM river_job WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return state
}

// gathered reads metric values from a registry.
type gathered struct {
	t   *testing.T
	reg *prometheus.Registry
}

func newMetricsOf(t *testing.T, reg *prometheus.Registry) gathered { return gathered{t, reg} }

// value is the value of the series name{labels}, labels as "k=v,k=v" in
// label order; 0 when absent.
func (g gathered) value(name, labels string) float64 {
	g.t.Helper()
	families, err := g.reg.Gather()
	if err != nil {
		g.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(parts, ",") != labels {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// settledValue is value once it is want, or as it is after waitFor: a
// worker counts a delivery's outcome just after the commit that settles it,
// which deliveryEnv.settled may see first.
func (g gathered) settledValue(name, labels string, want float64) float64 {
	g.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		v := g.value(name, labels)
		if v == want || time.Now().After(deadline) {
			return v
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// count is how many series name has.
func (g gathered) count(name string) int {
	g.t.Helper()
	families, err := g.reg.Gather()
	if err != nil {
		g.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
