package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// Defaults for Config.
const (
	// DefaultFetchPollInterval bounds how long an inserted job waits before a
	// worker picks it up. database/sql cannot LISTEN, so River polls; nothing
	// Relais does on its own initiative needs it faster, and one indexed query
	// every half second per replica is nothing.
	DefaultFetchPollInterval = 500 * time.Millisecond
	// DefaultMaxWorkers is how many jobs one replica runs at once.
	DefaultMaxWorkers = 10
	// jobTimeout cancels a job's context after this long; rescueStuckAfter must
	// exceed it. Our jobs take seconds, so a job still "running" after two
	// minutes belongs to a process that died: run it again (River's default
	// waits an hour).
	jobTimeout       = time.Minute
	rescueStuckAfter = 2 * time.Minute
)

// Config configures the jobs client. The zero value works.
type Config struct {
	Logger *slog.Logger
	// Registerer receives the jobs metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock workers read (time.Now when nil).
	Now               func() time.Time
	FetchPollInterval time.Duration
	MaxWorkers        int
	// RescueStuckAfter is when a job still running belongs to a process that
	// died and runs again; default 2 minutes. A job's own timeout is half of
	// it, at most a minute, so a live job never looks abandoned.
	RescueStuckAfter time.Duration

	// Sender posts deliveries. Nil (no bot token) leaves the delivery queue
	// unworked: deliveries wait in it, they do not fail.
	Sender Sender
	// CoordinationChannel receives the alerts about deliveries (C…/G…);
	// empty sends them to each active coordinator.
	CoordinationChannel string
	// DeliveryWorkers is how many deliveries run at once; default
	// DefaultDeliveryWorkers.
	DeliveryWorkers int
	// Renderers write the messages queued with a Render name
	// (delivery.Message.Render) when they are sent, by name: relais serve
	// registers checkin.RenderPrompt. A process that only queues (no
	// Sender) needs none.
	Renderers map[string]Renderer

	// Checkins opens the check-in rounds that are due, every minute
	// (checkin.Service); nil runs no check-in tick.
	Checkins CheckinTicker

	// DigestChannels receive the monthly digest (RELAIS_DIGEST_CHANNELS);
	// none runs no digest tick. Timezone is where its 9:00 is read
	// (America/Montreal when nil).
	DigestChannels []DigestChannel
	Timezone       *time.Location

	// Test hooks, set by this package's tests only.
	addWorkers    func(*river.Workers)
	noPeriodic    bool
	fetchCooldown time.Duration
	testOnly      bool // no jittered start of River's services
	afterPost     func(key string) error
	retryBase     time.Duration
	digestBuild   func(ctx context.Context, st *store.Store, m digest.Month, a digest.Audience, lang domain.Language) ([]digest.Part, []byte, error)
}

// Jobs is the River client with Relais' workers: one per process.
type Jobs struct {
	client *river.Client[*sql.Tx]
	store  *store.Store
	now    func() time.Time
	logger *slog.Logger
	// checkins ticks the check-in schedules, nil for none.
	checkins CheckinTicker

	enqueuer        *Enqueuer
	deliver         *deliverWorker
	deliveryMetrics *deliveryMetrics
	// homes republishes App Homes (home.go).
	homes *homeWorker
	// digestChannels and timezone say where and when digests go (digest.go).
	digestChannels []DigestChannel
	timezone       *time.Location
	digests        *digestWorker
}

// New builds the client on the store's lib/pq pool. River's tables must exist
// (store.Migrate creates them).
func New(st *store.Store, cfg Config) (*Jobs, error) {
	j := &Jobs{store: st, now: cfg.Now, logger: cfg.Logger, checkins: cfg.Checkins, deliveryMetrics: newDeliveryMetrics()}
	if j.now == nil {
		j.now = time.Now
	}
	if j.logger == nil {
		j.logger = slog.Default()
	}
	j.enqueuer = &Enqueuer{jobs: j}
	if err := j.configureDigests(cfg); err != nil {
		return nil, err
	}
	j.deliver = &deliverWorker{store: st, sender: cfg.Sender, renderers: maps.Clone(cfg.Renderers), enqueuer: j.enqueuer,
		alerts: delivery.NewAlerter(j.enqueuer, cfg.CoordinationChannel), metrics: j.deliveryMetrics,
		now: j.now, logger: j.logger, retryBase: orDefault(cfg.retryBase, time.Second), afterPost: cfg.afterPost}
	workers := river.NewWorkers()
	periodic := j.declare(workers)
	if cfg.addWorkers != nil {
		cfg.addWorkers(workers)
	}
	if cfg.noPeriodic {
		periodic = nil
	}
	m := newMetrics()
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: orDefault(cfg.MaxWorkers, DefaultMaxWorkers)}}
	if cfg.Sender != nil {
		queues[DeliveryQueue] = river.QueueConfig{MaxWorkers: orDefault(cfg.DeliveryWorkers, DefaultDeliveryWorkers)}
	}
	rescue := orDefault(cfg.RescueStuckAfter, rescueStuckAfter)
	rc := &river.Config{
		FetchPollInterval:    orDefault(cfg.FetchPollInterval, DefaultFetchPollInterval),
		FetchCooldown:        cfg.fetchCooldown,
		JobTimeout:           min(jobTimeout, rescue/2),
		RescueStuckJobsAfter: rescue,
		Logger:               j.logger.With("component", "river"),
		Middleware:           []rivertype.Middleware{m},
		PeriodicJobs:         periodic,
		Queues:               queues,
		Workers:              workers,
		TestOnly:             cfg.testOnly,
	}
	if rc.FetchCooldown > rc.FetchPollInterval {
		rc.FetchCooldown = rc.FetchPollInterval
	}
	// Poll-only on lib/pq: NewWithPgxListener would pick jobs up in ms instead
	// of FetchPollInterval, at the cost of a second pool, driver and
	// connection settings to keep in step with DATABASE_URL. Not worth it
	// while no job is latency-sensitive.
	client, err := river.NewClient(riverdatabasesql.New(st.DB().DB), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs client: %w", err)
	}
	j.client = client
	if cfg.Registerer != nil {
		if err := m.register(cfg.Registerer, st.DB(), j.logger); err != nil {
			return nil, err
		}
		if err := j.deliveryMetrics.register(cfg.Registerer); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Start begins working jobs (and, on the elected leader, periodic jobs).
// Cancelling ctx does not stop it: Stop does, letting running jobs finish.
func (j *Jobs) Start(ctx context.Context) error {
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	return nil
}

// Stop fetches no more jobs and waits for the running ones until ctx ends.
// Then it cancels those still running, so River hands them back to be run
// again at once instead of leaving them to the rescuer.
func (j *Jobs) Stop(ctx context.Context) error {
	err := j.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = j.client.StopAndCancel(cctx) //nolint:errcheck // already failing with err
	return fmt.Errorf("jobs still running at shutdown, cancelled: %w", err)
}

// Client is the River client, for what the helpers here do not cover.
func (j *Jobs) Client() *river.Client[*sql.Tx] { return j.client }

// Tx is the caller's transaction: a *sql.Tx or a *sqlx.Tx.
type Tx interface {
	Commit() error
	Rollback() error
}

func sqlTx(tx Tx) (*sql.Tx, error) {
	switch t := tx.(type) {
	case *sql.Tx:
		return t, nil
	case *sqlx.Tx:
		return t.Tx, nil
	}
	return nil, fmt.Errorf("jobs: transaction of type %T, want *sql.Tx or *sqlx.Tx", tx)
}

// InsertTx inserts a job in the caller's transaction: it exists, and runs,
// only if the transaction commits.
func (j *Jobs) InsertTx(ctx context.Context, tx Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	t, err := sqlTx(tx)
	if err != nil {
		return nil, err
	}
	res, err := j.client.InsertTx(ctx, t, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert job %s: %w", args.Kind(), err)
	}
	return res, nil
}

// InsertManyTx inserts jobs in the caller's transaction. Two identical unique
// jobs in one River batch fail the whole batch, so duplicates are dropped
// first; their results are those of the job kept, marked as skipped.
func (j *Jobs) InsertManyTx(ctx context.Context, tx Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	t, err := sqlTx(tx)
	if err != nil {
		return nil, err
	}
	kept, index, err := dedupeUnique(params, j.now())
	if err != nil {
		return nil, err
	}
	if len(kept) == 0 {
		return nil, nil
	}
	res, err := j.client.InsertManyTx(ctx, t, kept)
	if err != nil {
		return nil, fmt.Errorf("insert %d jobs: %w", len(kept), err)
	}
	out := make([]*rivertype.JobInsertResult, len(params))
	for i, k := range index {
		if k < 0 {
			out[i] = res[-k-1]
			continue
		}
		dup := *res[k]
		dup.UniqueSkippedAsDuplicate = true
		out[i] = &dup
	}
	return out, nil
}

// dedupeUnique keeps the first of unique jobs that River would give the same
// unique key. index[i] is -(position in kept)-1 for a kept job, or the
// position in kept of the job that a duplicate repeats.
func dedupeUnique(params []river.InsertManyParams, now time.Time) ([]river.InsertManyParams, []int, error) {
	kept := make([]river.InsertManyParams, 0, len(params))
	index := make([]int, len(params))
	seen := map[string]int{}
	for i, p := range params {
		key, unique, err := uniqueKey(p, now)
		if err != nil {
			return nil, nil, err
		}
		if k, ok := seen[key]; unique && ok {
			index[i] = k
			continue
		}
		if unique {
			seen[key] = len(kept)
		}
		index[i] = -len(kept) - 1
		kept = append(kept, p)
	}
	return kept, index, nil
}

// uniqueKey mirrors the parts of River's unique key: kind, args (only the
// fields tagged river:"unique" when there are some), period, queue, states.
func uniqueKey(p river.InsertManyParams, now time.Time) (string, bool, error) {
	var jobOpts river.InsertOpts
	if a, ok := p.Args.(river.JobArgsWithInsertOpts); ok {
		jobOpts = a.InsertOpts()
	}
	var opts river.InsertOpts
	if p.InsertOpts != nil {
		opts = *p.InsertOpts
	}
	u := opts.UniqueOpts
	if reflect.ValueOf(u).IsZero() {
		u = jobOpts.UniqueOpts
	}
	if reflect.ValueOf(u).IsZero() {
		return "", false, nil
	}
	var b strings.Builder
	if !u.ExcludeKind {
		b.WriteString("kind=" + p.Args.Kind())
	}
	if u.ByArgs {
		args, err := uniqueArgs(p.Args)
		if err != nil {
			return "", false, err
		}
		b.WriteString("&args=" + args)
	}
	if u.ByPeriod != 0 {
		at := now
		if !opts.ScheduledAt.IsZero() {
			at = opts.ScheduledAt
		}
		b.WriteString("&period=" + at.Truncate(u.ByPeriod).UTC().Format(time.RFC3339))
	}
	if u.ByQueue {
		b.WriteString("&queue=" + orDefault(opts.Queue, orDefault(jobOpts.Queue, river.QueueDefault)))
	}
	fmt.Fprintf(&b, "&states=%v", u.ByState)
	return b.String(), true, nil
}

// uniqueArgs is the args' JSON with sorted keys, restricted to the top-level
// fields tagged river:"unique" when the struct has any.
func uniqueArgs(args river.JobArgs) (string, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return "", fmt.Errorf("encode %s args: %w", args.Kind(), err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "", fmt.Errorf("decode %s args: %w", args.Kind(), err)
	}
	if tagged := uniqueFields(reflect.TypeOf(args)); len(tagged) > 0 {
		only := make(map[string]json.RawMessage, len(tagged))
		for _, name := range tagged {
			if v, ok := fields[name]; ok {
				only[name] = v
			}
		}
		fields = only
	}
	out, err := json.Marshal(fields) // map keys come out sorted
	if err != nil {
		return "", fmt.Errorf("encode %s unique args: %w", args.Kind(), err)
	}
	return string(out), nil
}

func uniqueFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		if !strings.Contains(f.Tag.Get("river"), "unique") {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
