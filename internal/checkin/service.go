package checkin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// TickActor is who audit_log says opened the rounds the tick opened.
const TickActor = store.Actor("system:checkin")

// Message kinds and alert kinds this package queues.
const (
	KindPrompt       = "prompt"
	KindNoRespondent = "no_respondent"
)

// Service opens check-in rounds. Store, Enqueuer and Alerter are required;
// the real Enqueuer and Alerter come from internal/jobs and
// delivery.NewAlerter, tests pass recording ones.
type Service struct {
	Store    *store.Store
	Enqueuer delivery.Enqueuer
	Alerter  delivery.Alerter
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Location is the partnership's zone, for "today" (who is away); nil
	// is America/Montreal.
	Location *time.Location
	Logger   *slog.Logger
	// OnNote, when set, runs in the transaction that stored a Table's note
	// or outcome (orgID is the Table): relais serve queues the refresh of
	// the App Homes that show it there, so they commit together.
	OnNote func(ctx context.Context, tx *store.Tx, orgID int64) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

var montreal = func() *time.Location {
	loc, err := time.LoadLocation(schedule.DefaultTimeZone)
	if err != nil {
		panic(err) // main imports time/tzdata
	}
	return loc
}()

func (s *Service) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return montreal
}

// Opened is a round just opened.
type Opened struct {
	RoundID    int64
	ScheduleID int64
	Key        schedule.Key
	Period     schedule.Date
	OpenedAt   time.Time
	ClosesAt   time.Time
	Late       bool
	Early      bool
	Prompts    int // one per Table
	Messages   int // one per respondent
	Alerts     int // Tables with no respondent
}

// AlreadyOpenError is a run-now whose occurrence already has a round: a
// period is never asked twice.
type AlreadyOpenError struct {
	Schedule string
	Key      string
	RoundID  int64
}

func (e *AlreadyOpenError) Error() string {
	return fmt.Sprintf("schedule %s: the round of %s is already open (round %d)", e.Schedule, e.Key, e.RoundID)
}

// Is makes an AlreadyOpenError a domain.ErrConflict.
func (e *AlreadyOpenError) Is(target error) bool { return target == domain.ErrConflict }

// ErrNoNextOccurrence is a run-now on a schedule that never occurs again
// (paused without end).
var ErrNoNextOccurrence = fmt.Errorf("schedule has no next occurrence: %w", domain.ErrInvalid)

// errRoundExists ends opening a round that another transaction opened.
var errRoundExists = errors.New("round already exists")

// Tick opens, for every active schedule, the round of the latest due
// occurrence, and logs the ones skipped. Each schedule is handled in its own
// transaction with its row locked, so one failing leaves the others ticking
// and two ticks at once open nothing twice. It returns every schedule's error.
func (s *Service) Tick(ctx context.Context) error {
	ids, err := s.Store.ActiveScheduleIDs(ctx)
	if err != nil {
		return fmt.Errorf("check-in tick: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if _, err := s.TickSchedule(ctx, id); err != nil {
			s.logger().ErrorContext(ctx, "check-in tick failed", "schedule_id", id, "err", err)
			errs = append(errs, fmt.Errorf("schedule %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// TickSchedule does Tick's work for one schedule; it returns the round it
// opened, or nil.
func (s *Service) TickSchedule(ctx context.Context, id int64) (*Opened, error) {
	now := s.now()
	var opened *Opened
	err := s.Store.InTx(ctx, TickActor, func(tx *store.Tx) error {
		sc, err := tx.LockSchedule(ctx, id)
		if err != nil || !sc.Active {
			return err // paused since it was listed: nothing to do
		}
		opened, _, err = s.openDue(ctx, tx, TickActor, sc, now)
		return err
	})
	return opened, err
}

// openDue opens the round of sc's latest due occurrence, if any, and moves
// last_occurrence past what it handled. sc's row is locked by tx.
func (s *Service) openDue(ctx context.Context, tx *store.Tx, actor store.Actor, sc store.Schedule, now time.Time) (*Opened, compiledState, error) {
	st, err := s.state(ctx, tx, sc)
	if err != nil {
		return nil, st, err
	}
	latest, skipped := st.sched.Due(st.last, now, st.closing, st.pauses...)
	for _, o := range skipped {
		s.logger().InfoContext(ctx, "check-in occurrence skipped", "schedule", sc.Slug, "occurrence", o.Key.String(),
			"reason", string(o.Skip), "at", o.At)
	}
	var handled *schedule.Key
	var opened *Opened
	switch {
	case latest != nil && st.last == nil && latest.At.Before(sc.CreatedAt):
		// Due before the schedule existed: nobody expected that round.
		handled = &latest.Key
		s.logger().InfoContext(ctx, "check-in occurrence skipped", "schedule", sc.Slug,
			"occurrence", latest.Key.String(), "reason", "before_schedule", "at", latest.At)
	case latest != nil:
		handled = &latest.Key
		opened, err = s.open(ctx, tx, actor, sc, *latest, st.closing.ClosesAt(latest.At), now, false)
		if errors.Is(err, errRoundExists) {
			// Opened early by a run-now whose key last_occurrence missed: nothing to add.
			err = nil
		}
		if err != nil {
			return nil, st, err
		}
	case len(skipped) > 0:
		handled = &skipped[len(skipped)-1].Key
	}
	if handled != nil && (st.last == nil || handled.Compare(*st.last) > 0) {
		if err := tx.SetLastOccurrence(ctx, actor, sc.ID, handled.String()); err != nil {
			return nil, st, err
		}
		st.last = handled
	}
	return opened, st, nil
}

// compiledState is a locked schedule ready for Due and Next.
type compiledState struct {
	compiled
	last   *schedule.Key
	pauses []schedule.Pause
}

func (s *Service) state(ctx context.Context, tx *store.Tx, sc store.Schedule) (compiledState, error) {
	var st compiledState
	var err error
	if st.compiled, err = compileStored(sc); err != nil {
		return st, fmt.Errorf("schedule %s: %w", sc.Slug, err)
	}
	if sc.LastOccurrence != nil {
		k, err := schedule.ParseKey(*sc.LastOccurrence)
		if err != nil {
			return st, fmt.Errorf("schedule %s: %w", sc.Slug, err)
		}
		st.last = &k
	}
	ps, err := tx.ListPauses(ctx)
	if err != nil {
		return st, err
	}
	for _, p := range ps {
		st.pauses = append(st.pauses, schedule.Pause{From: schedule.DateOf(p.From), To: schedule.DateOf(p.To)})
	}
	return st, nil
}

// RunNow opens a schedule's next round at once, for actor ("slack:U…",
// "cli"). An occurrence already due and not yet handled opens first, as the
// tick would open it; otherwise the next occurrence opens early under its own
// key, so the tick will not open it again. A second run-now for the same
// occurrence is an *AlreadyOpenError.
func (s *Service) RunNow(ctx context.Context, actor store.Actor, slug string) (*Opened, error) {
	now := s.now()
	cur, err := s.Store.ScheduleBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	var opened *Opened
	err = s.Store.InTx(ctx, actor, func(tx *store.Tx) error {
		sc, err := tx.LockSchedule(ctx, cur.ID)
		if err != nil {
			return err
		}
		var st compiledState
		if sc.Active {
			if opened, st, err = s.openDue(ctx, tx, actor, sc, now); err != nil || opened != nil {
				return err
			}
		} else if st, err = s.state(ctx, tx, sc); err != nil {
			// A paused schedule's missed occurrences stay missed: only the next one opens.
			return err
		}
		next, ok := st.sched.Next(now, st.pauses...)
		if !ok {
			return ErrNoNextOccurrence
		}
		if r, err := tx.RoundByKey(ctx, sc.ID, next.Key.String()); err == nil {
			return &AlreadyOpenError{Schedule: sc.Slug, Key: next.Key.String(), RoundID: r.ID}
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		opened, err = s.open(ctx, tx, actor, sc, next, st.closing.ClosesAt(now.In(st.sched.Location())), now, true)
		if err != nil {
			return err
		}
		if st.last == nil || next.Key.Compare(*st.last) > 0 {
			return tx.SetLastOccurrence(ctx, actor, sc.ID, next.Key.String())
		}
		return nil
	})
	return opened, err
}

// open writes a round for occurrence o, its prompts, recipients, DMs and
// alerts, in tx: all of it commits together or not at all. The DMs are
// queued as RenderPrompt messages, written when they are sent.
func (s *Service) open(ctx context.Context, tx *store.Tx, actor store.Actor, sc store.Schedule, o schedule.Occurrence,
	closesAt, now time.Time, early bool) (*Opened, error) {
	loc := o.At.Location()
	closesAt = closesAt.In(loc)
	late := !early && o.Late
	rid, created, err := tx.InsertRound(ctx, actor, store.RoundInput{
		ScheduleID: sc.ID, OccurrenceKey: o.Key.String(), ScheduledFor: o.At, Period: dateTime(o.Period),
		OpenedAt: now, ClosesAt: closesAt, Late: late, Early: early,
	})
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, errRoundExists
	}
	tables, err := tx.AudienceRespondents(ctx, sc.ID, dateTime(schedule.DateOf(now.In(s.location()))))
	if err != nil {
		return nil, err
	}
	orgIDs := make([]int64, len(tables))
	for i, t := range tables {
		orgIDs[i] = t.OrganisationID
	}
	prompts, err := tx.InsertPrompts(ctx, actor, rid, orgIDs)
	if err != nil {
		return nil, err
	}
	var keys []store.RecipientKey
	for _, t := range tables {
		for _, p := range t.Respondents {
			keys = append(keys, store.RecipientKey{PromptID: prompts[t.OrganisationID], PersonID: p.PersonID})
		}
	}
	recipients, err := tx.InsertRecipients(ctx, actor, keys)
	if err != nil {
		return nil, err
	}
	res := &Opened{RoundID: rid, ScheduleID: sc.ID, Key: o.Key, Period: o.Period, OpenedAt: now, ClosesAt: closesAt,
		Late: late, Early: early, Prompts: len(prompts)}
	msgs := make([]delivery.Message, 0, len(keys))
	for _, t := range tables {
		pid := prompts[t.OrganisationID]
		if len(t.Respondents) == 0 {
			if err := s.Alerter.RaiseTx(ctx, tx, noRespondentAlert(rid, sc.Name, t, o.Period)); err != nil {
				return nil, fmt.Errorf("alert no respondent for %s: %w", t.Name, err)
			}
			res.Alerts++
			continue
		}
		for _, p := range t.Respondents {
			// Written when it is sent (PromptRenderer): opening a round
			// renders and stores no DM.
			msgs = append(msgs, delivery.Message{ // the Enqueuer checks each message
				Key:  "prompt:" + strconv.FormatInt(pid, 10) + ":" + p.SlackUserID,
				Kind: KindPrompt, To: p.SlackUserID, Fallback: t.SlackChannelID, Render: RenderPrompt,
				RecipientID: recipients[store.RecipientKey{PromptID: pid, PersonID: p.PersonID}],
			})
		}
	}
	if len(msgs) > 0 {
		if err := s.Enqueuer.EnqueueTx(ctx, tx, msgs...); err != nil {
			return nil, fmt.Errorf("enqueue prompts: %w", err)
		}
	}
	res.Messages = len(msgs)
	s.logger().InfoContext(ctx, "check-in round opened", "schedule", sc.Slug, "round_id", rid,
		"occurrence", o.Key.String(), "late", late, "early", early, "prompts", res.Prompts,
		"messages", res.Messages, "tables_without_respondent", res.Alerts)
	return res, nil
}
