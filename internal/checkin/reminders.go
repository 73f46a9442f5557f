package checkin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// KindReminder is the delivery kind of reminder DMs: the deliver worker
// records their posts in checkin_reminders, not in the prompt's row.
const KindReminder = store.KindReminder

// RenderReminder is the renderer (delivery.Message.Render) of reminder DMs:
// relais serve registers ReminderRenderer under it (jobs.Config.Renderers).
const RenderReminder = "checkin.reminder"

// ReminderKey is the delivery key of reminder n (1-based, the index of its
// offset in the schedule's reminder_working_days) of a prompt to a person:
// store.QueueReminders writes the same.
func ReminderKey(promptID int64, slackUserID string, n int) string {
	return fmt.Sprintf("reminder:%d:%s:%d", promptID, slackUserID, n)
}

// ReminderMessage is a reminder DM: the prompt (PromptMessage, the same
// questions, deadline and three buttons) under a "Rappel / Reminder" header
// and a line saying the Table has not answered yet and until when it can.
// It is a new top-level DM, not a reply in the prompt's thread, which a DM
// list shows no sign of.
func ReminderMessage(in PromptInput) (string, []slack.Block) {
	lang := in.Lang
	if lang != domain.English {
		lang = domain.French
	}
	in.Lang = lang
	in.Late = false // said by the prompt; a reminder is on time by definition
	_, blocks := PromptMessage(in)
	month := i18n.Month(lang, in.Period.Year, int(in.Period.Month))
	deadline := DateTime(lang, in.ClosesAt)
	table := blockkit.Escape(in.TableName)
	out := make([]slack.Block, 0, len(blocks)+1)
	out = append(out, blockkit.Header(i18n.T(lang, "checkin.reminder.header", month)),
		blockkit.Section(i18n.T(lang, "checkin.reminder.intro", table, month, deadline)))
	introReplaced := false
	for _, b := range blocks {
		switch b.(type) {
		case *slack.HeaderBlock:
			continue // ours replaces it
		case *slack.SectionBlock:
			if !introReplaced { // the prompt's greeting: ours says it
				introReplaced = true
				continue
			}
		}
		out = append(out, b)
	}
	text := i18n.T(lang, "checkin.reminder.text", month, table, deadline)
	return text, out
}

// ReminderRenderer writes the reminder DM of a checkin_recipients row when
// the deliver worker sends it, in the person's language then. A reminder no
// longer wanted (the prompt answered, skipped or expired meanwhile, the
// round closed, the person gone from the Table or away today) is a
// domain.ErrNotFound: the worker drops it without an alert, and nothing is
// posted. Today is the real clock's; ReminderRendererAt takes another.
func ReminderRenderer(ctx context.Context, st *store.Store, recipientID int64) (string, json.RawMessage, error) {
	return renderReminder(ctx, st, recipientID, time.Now())
}

// ReminderRendererAt is ReminderRenderer on the clock now, which says
// whether the person is away today (a Montreal date, as /pic absent counts).
func ReminderRendererAt(now func() time.Time) func(context.Context, *store.Store, int64) (string, json.RawMessage, error) {
	return func(ctx context.Context, st *store.Store, recipientID int64) (string, json.RawMessage, error) {
		return renderReminder(ctx, st, recipientID, now())
	}
}

func renderReminder(ctx context.Context, st *store.Store, recipientID int64, now time.Time) (string, json.RawMessage, error) {
	p, err := st.ReminderPrompt(ctx, recipientID, now.In(montreal))
	if err != nil {
		return "", nil, err
	}
	return renderAs(p, "reminder", ReminderMessage)
}

// promptInputOf is what a prompt DM to p says, its times in the round's zone.
func promptInputOf(p store.RecipientPrompt) (PromptInput, error) {
	loc, err := zoneOf(p.TimeZone)
	if err != nil {
		return PromptInput{}, err
	}
	return PromptInput{Lang: p.Language, ScheduleName: p.ScheduleName, TableName: p.TableName,
		Period: schedule.DateOf(p.Period), Questions: p.Questions, ClosesAt: p.ClosesAt.In(loc),
		ScheduledFor: p.ScheduledFor.In(loc), Late: p.OpenedLate, PromptID: p.PromptID}, nil
}

// Reminded is one round's reminders just queued.
type Reminded struct {
	RoundID  int64
	Schedule string
	N        int       // which reminder (1-based)
	DueAt    time.Time // when it was due
	Messages int
}

// reminderDue is the latest of a round's reminders due at now: its number
// (1-based) and time, or ok false. Reminder i is due offsets[i] working days
// after the day the round opened, at the round's scheduled local time, and
// only while the round is open. Nothing is due on a quiet day (a tick that
// was down sends Friday's reminder on Monday, not on Saturday), and only
// the latest counts: after days down, one reminder, not a burst.
func reminderDue(r store.ReminderRound, now time.Time) (n int, at time.Time, ok bool, err error) {
	loc, err := zoneOf(r.TimeZone)
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("round %d: %w", r.ID, err)
	}
	now = now.In(loc)
	if schedule.IsQuietDay(schedule.DateOf(now)) {
		return 0, time.Time{}, false, nil
	}
	opened, sched := r.OpenedAt.In(loc), r.ScheduledFor.In(loc)
	base := time.Date(opened.Year(), opened.Month(), opened.Day(), sched.Hour(), sched.Minute(), 0, 0, loc)
	for i, off := range r.Offsets {
		due, err := schedule.AddWorkingDays(base, int(off))
		if err != nil {
			return 0, time.Time{}, false, fmt.Errorf("round %d: reminder offset %d: %w", r.ID, off, err)
		}
		if due.After(now) || !due.Before(r.ClosesAt) {
			continue
		}
		if !ok || due.After(at) {
			n, at, ok = i+1, due, true
		}
	}
	return n, at, ok, nil
}

// Remind queues, for every open round of an active schedule, the latest
// reminder now due to each respondent who should get it
// (store.QueueReminders says who), in one transaction per round with the
// reminders' records. Re-running it, or running it on two replicas at once,
// queues nothing twice. It returns every round's error.
func (s *Service) Remind(ctx context.Context) ([]Reminded, error) {
	now := s.now()
	rounds, err := s.Store.RemindableRounds(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("check-in reminders: %w", err)
	}
	var out []Reminded
	var errs []error
	for _, r := range rounds {
		if _, _, ok, err := reminderDue(r, now); err != nil || !ok {
			if err != nil {
				errs = append(errs, err)
			}
			continue // nothing due: no transaction
		}
		res, err := s.remindRound(ctx, r.ID, now)
		if err != nil {
			s.logger().ErrorContext(ctx, "check-in reminders failed", "round_id", r.ID, "err", err)
			errs = append(errs, fmt.Errorf("round %d: %w", r.ID, err))
			continue
		}
		if res != nil {
			out = append(out, *res)
		}
	}
	return out, errors.Join(errs...)
}

// remindRound queues round id's due reminder, its round locked; nil when
// there was nobody (left) to remind.
func (s *Service) remindRound(ctx context.Context, id int64, now time.Time) (*Reminded, error) {
	today := dateTime(schedule.DateOf(now.In(s.location())))
	var res *Reminded
	err := s.Store.InTx(ctx, TickActor, func(tx *store.Tx) error {
		r, open, err := tx.LockReminderRound(ctx, id, now)
		if err != nil || !open {
			return err // closed or paused meanwhile
		}
		n, dueAt, ok, err := reminderDue(r, now)
		if err != nil || !ok {
			return err
		}
		rows, err := tx.QueueReminders(ctx, TickActor, r.ID, n, dueAt, today)
		if err != nil || len(rows) == 0 {
			return err
		}
		msgs := make([]delivery.Message, len(rows))
		for i, q := range rows {
			// Written when it is sent (ReminderRenderer), in the person's
			// language then; dropped if the Table answered meanwhile. No
			// fallback to the Table's channel: only DMs are reminded, and a
			// refused one is given up (one prompt in the channel is enough).
			msgs[i] = delivery.Message{Key: q.DeliveryKey, Kind: KindReminder, To: q.SlackUserID,
				Render: RenderReminder, RecipientID: q.RecipientID}
		}
		if err := s.Enqueuer.EnqueueTx(ctx, tx, msgs...); err != nil {
			return fmt.Errorf("enqueue reminders: %w", err)
		}
		res = &Reminded{RoundID: r.ID, Schedule: r.ScheduleSlug, N: n, DueAt: dueAt, Messages: len(msgs)}
		return nil
	})
	if err != nil || res == nil {
		return nil, err
	}
	s.logger().InfoContext(ctx, "check-in reminders queued", "schedule", res.Schedule, "round_id", res.RoundID,
		"reminder", res.N, "due_at", res.DueAt, "messages", res.Messages)
	return res, nil
}

// FollowUp closes the rounds whose time has come, then queues the reminders
// now due (jobs.CheckinFollowUp: the periodic check-in job runs it after
// Tick). Closing first means a round closing now reminds nobody.
func (s *Service) FollowUp(ctx context.Context) error {
	_, cerr := s.CloseDue(ctx)
	_, rerr := s.Remind(ctx)
	return errors.Join(cerr, rerr)
}
