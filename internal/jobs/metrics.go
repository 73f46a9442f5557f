package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// metrics counts every worked job by kind and outcome, from a worker
// middleware: it sees each attempt's result where it happens, with no event
// channel that could drop under load.
type metrics struct {
	river.MiddlewareDefaults
	finished *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{finished: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relais_jobs_finished_total",
		Help: "Job attempts worked, by kind and outcome (completed, failed, snoozed, cancelled).",
	}, []string{"kind", "outcome"})}
}

func (m *metrics) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			m.finished.WithLabelValues(job.Kind, "failed").Inc()
			panic(r) // River recovers it and records the attempt
		}
		m.finished.WithLabelValues(job.Kind, outcome(err)).Inc()
	}()
	return doInner(ctx)
}

func outcome(err error) string {
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case err == nil:
		return "completed"
	case errors.As(err, &snooze):
		return "snoozed"
	case errors.As(err, &cancel):
		return "cancelled"
	}
	return "failed"
}

func (m *metrics) register(r prometheus.Registerer, db *sqlx.DB, logger *slog.Logger) error {
	if err := r.Register(m.finished); err != nil {
		return err
	}
	return r.Register(&waitingCollector{db: db, logger: logger})
}

// waitingCollector counts jobs not yet worked, by kind and state, at scrape
// time: one grouped query on river_job's state index, no state to keep.
type waitingCollector struct {
	db     *sqlx.DB
	logger *slog.Logger
}

var waitingDesc = prometheus.NewDesc("relais_jobs_waiting",
	"Jobs waiting to run, by kind and state (available, scheduled, retryable, pending).",
	[]string{"kind", "state"}, nil)

func (c *waitingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- waitingDesc }

func (c *waitingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var rows []struct {
		Kind  string `db:"kind"`
		State string `db:"state"`
		N     int64  `db:"n"`
	}
	err := c.db.SelectContext(ctx, &rows, `
		SELECT kind, state::text AS state, count(*) AS n FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'pending')
		GROUP BY kind, state`)
	if err != nil {
		// A database outage must not fail the whole scrape: /readyz reports it.
		c.logger.Warn("jobs metrics: counting waiting jobs", "error", err)
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(r.N), r.Kind, r.State)
	}
}

// deliveryMetrics counts what the deliver worker settles, and Slack's 429s.
type deliveryMetrics struct {
	deliveries    *prometheus.CounterVec
	promptsSent   prometheus.Counter
	promptsFailed prometheus.Counter
	rateLimited   *prometheus.CounterVec
}

func newDeliveryMetrics() *deliveryMetrics {
	return &deliveryMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relais_deliveries_total",
			Help: "Deliveries settled, by kind and outcome (sent, fallback, failed, unreachable).",
		}, []string{"kind", "outcome"}),
		promptsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relais_prompts_sent_total", Help: "Check-in prompts posted (in the DM or the Table's channel).",
		}),
		promptsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relais_prompts_failed_total", Help: "Check-in prompts given up (failed or unreachable).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relais_slack_429_total", Help: "HTTP 429 answers from Slack to deliveries, by Web API method.",
		}, []string{"method"}),
	}
}

// count records one settled delivery.
func (m *deliveryMetrics) count(kind, outcome string) {
	m.deliveries.WithLabelValues(kind, outcome).Inc()
	if kind != "prompt" {
		return
	}
	if outcome == "sent" || outcome == "fallback" {
		m.promptsSent.Inc()
	} else {
		m.promptsFailed.Inc()
	}
}

func (m *deliveryMetrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.deliveries, m.promptsSent, m.promptsFailed, m.rateLimited} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
