package checkin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// Defaults of a new schedule.
var (
	// DefaultQuestions are asked when a schedule names none.
	DefaultQuestions = store.Questions{
		{Key: "progress", FR: "Qu'est-ce qui a avancé ce mois-ci ?", EN: "What moved forward this month?"},
		{Key: "difficulties", FR: "Qu'est-ce qui est difficile ?", EN: "What is hard?"},
		{Key: "help", FR: "Quelle aide ou quelle mise en relation vous serait utile ?",
			EN: "What help or connection would be useful to you?"},
	}
	DefaultReminderWorkingDays = []int{2, 5}
)

const (
	DefaultCloseWorkingDays = 10
	DefaultCloseHour        = 17
	// MaxQuestions and MaxQuestionLength keep a prompt readable and within
	// a section block.
	MaxQuestions      = 5
	MaxQuestionLength = 300
	MaxNameLength     = 100
	maxReminders      = 5
)

// ScheduleSpec is a schedule as a person describes it; zero fields take the
// defaults (the three questions, every Table, reminders at 2 and 5 working
// days, closing after 10 working days at 17:00).
type ScheduleSpec struct {
	// Slug identifies the schedule in commands; empty derives it from Name.
	Slug     string
	Name     string
	Cron     string
	TimeZone string // empty: America/Montreal
	// NthWeekday and Weekday: "the Nth Weekday of the month" (schedule.Rule).
	NthWeekday int
	Weekday    time.Weekday
	Questions  store.Questions
	// Audience lists Tables (organisation ids); empty asks all of them.
	Audience            []int64
	ReminderWorkingDays []int
	CloseWorkingDays    int
	CloseHour           *int
	Paused              bool
}

// Reasons of an InvalidError beyond schedule.Reason's.
const (
	ReasonNameEmpty         schedule.Reason = "name_empty"
	ReasonNameTooLong       schedule.Reason = "name_too_long"
	ReasonBadSlug           schedule.Reason = "bad_slug"
	ReasonNoQuestion        schedule.Reason = "no_question"
	ReasonTooManyQuestions  schedule.Reason = "too_many_questions"
	ReasonQuestionEmpty     schedule.Reason = "question_empty"
	ReasonQuestionTooLong   schedule.Reason = "question_too_long"
	ReasonQuestionControl   schedule.Reason = "question_control"
	ReasonDuplicateQuestion schedule.Reason = "duplicate_question"
	ReasonTooManyReminders  schedule.Reason = "too_many_reminders"
	ReasonReminderAfterEnd  schedule.Reason = "reminder_after_closing"
)

// Fields of an InvalidError beyond schedule.Field's.
const (
	FieldName      schedule.Field = "name"
	FieldSlug      schedule.Field = "slug"
	FieldQuestions schedule.Field = "questions"
	FieldReminders schedule.Field = "reminders"
)

// InvalidError is a schedule refused before anything is written. A command
// shows it with MessageKey (an i18n key taking Value as its one argument).
type InvalidError struct {
	Reason schedule.Reason
	Field  schedule.Field
	Value  string
	Err    error // schedule's own error, for logs
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid schedule: %s (%s %q)", e.Reason, e.Field, e.Value)
}

func (e *InvalidError) Unwrap() error { return e.Err }

// Is makes an InvalidError a domain.ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == domain.ErrInvalid }

// MessageKey is the i18n key that explains the error to a person.
func (e *InvalidError) MessageKey() string { return "checkin.invalid." + string(e.Reason) }

func invalid(reason schedule.Reason, field schedule.Field, value string) error {
	return &InvalidError{Reason: reason, Field: field, Value: value}
}

// fromSchedule turns schedule's error into ours, keeping its reason.
func fromSchedule(err error) error {
	var se *schedule.Error
	if errors.As(err, &se) {
		return &InvalidError{Reason: se.Reason, Field: se.Field, Value: se.Value, Err: se}
	}
	return err
}

// Input checks spec and fills in the defaults, as CreateSchedule does, for
// loaders that write schedules themselves (the demo data).
func (spec ScheduleSpec) Input() (store.ScheduleInput, error) { return normalize(spec) }

// normalize checks spec and fills in the defaults, returning what the store
// writes. It never panics, whatever spec holds.
func normalize(spec ScheduleSpec) (store.ScheduleInput, error) {
	var in store.ScheduleInput
	name := strings.TrimSpace(spec.Name)
	switch {
	case name == "":
		return in, invalid(ReasonNameEmpty, FieldName, "")
	case utf8.RuneCountInString(name) > MaxNameLength || !utf8.ValidString(name):
		return in, invalid(ReasonNameTooLong, FieldName, truncate(name))
	case strings.ContainsFunc(name, unicode.IsControl):
		return in, invalid(ReasonQuestionControl, FieldName, truncate(name))
	}
	slug := strings.TrimSpace(spec.Slug)
	if slug == "" {
		slug = domain.Slugify(name)
	}
	if !validSlug(slug) {
		return in, invalid(ReasonBadSlug, FieldSlug, truncate(slug))
	}
	sched, err := schedule.Compile(schedule.Rule{Cron: spec.Cron, TimeZone: spec.TimeZone,
		NthWeekday: spec.NthWeekday, Weekday: spec.Weekday})
	if err != nil {
		return in, fromSchedule(err)
	}
	rule := sched.Rule()
	questions := spec.Questions
	if questions == nil {
		questions = DefaultQuestions
	}
	if questions, err = checkQuestions(questions); err != nil {
		return in, err
	}
	reminders := spec.ReminderWorkingDays
	if reminders == nil {
		reminders = DefaultReminderWorkingDays
	}
	closeDays := spec.CloseWorkingDays
	if closeDays == 0 {
		closeDays = DefaultCloseWorkingDays
	}
	closeHour := DefaultCloseHour
	if spec.CloseHour != nil {
		closeHour = *spec.CloseHour
	}
	if _, err := schedule.CloseAfterWorkingDays(closeDays, closeHour, 0); err != nil {
		return in, fromSchedule(err)
	}
	if len(reminders) > maxReminders {
		return in, invalid(ReasonTooManyReminders, FieldReminders, fmt.Sprint(reminders))
	}
	reminders = slices.Clone(reminders)
	slices.Sort(reminders)
	reminders = slices.Compact(reminders)
	for _, r := range reminders {
		if r < 1 || r > schedule.MaxWorkingDays {
			return in, invalid(schedule.ReasonWorkingDaysOutOfRange, FieldReminders, fmt.Sprint(r))
		}
		if r >= closeDays {
			return in, invalid(ReasonReminderAfterEnd, FieldReminders, fmt.Sprint(r))
		}
	}
	in = store.ScheduleInput{
		Slug: slug, Name: name, CronSpec: rule.Cron, TimeZone: rule.TimeZone, Questions: questions,
		AudienceAll: len(spec.Audience) == 0, Audience: spec.Audience, ReminderWorkingDays: reminders,
		CloseWorkingDays: closeDays, CloseHour: closeHour, Active: !spec.Paused,
	}
	if rule.NthWeekday != 0 {
		n, wd := rule.NthWeekday, int(rule.Weekday)
		in.NthWeekday, in.Weekday = &n, &wd
	}
	return in, nil
}

func validSlug(s string) bool {
	if s == "" || len(s) > 60 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func checkQuestions(qs store.Questions) (store.Questions, error) {
	if len(qs) == 0 {
		return nil, invalid(ReasonNoQuestion, FieldQuestions, "")
	}
	if len(qs) > MaxQuestions {
		return nil, invalid(ReasonTooManyQuestions, FieldQuestions, fmt.Sprint(len(qs)))
	}
	out := make(store.Questions, len(qs))
	seen := map[string]bool{}
	for i, q := range qs {
		q.Key, q.FR, q.EN = strings.TrimSpace(q.Key), strings.TrimSpace(q.FR), strings.TrimSpace(q.EN)
		if q.Key == "" {
			q.Key = fmt.Sprintf("q%d", i+1)
		}
		for _, s := range []string{q.FR, q.EN} {
			switch {
			case s == "":
				return nil, invalid(ReasonQuestionEmpty, FieldQuestions, q.Key)
			case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
				return nil, invalid(ReasonQuestionControl, FieldQuestions, truncate(s))
			case utf8.RuneCountInString(s) > MaxQuestionLength:
				return nil, invalid(ReasonQuestionTooLong, FieldQuestions, truncate(s))
			}
		}
		if seen[q.Key] || !validSlug(strings.ReplaceAll(q.Key, "_", "-")) {
			return nil, invalid(ReasonDuplicateQuestion, FieldQuestions, truncate(q.Key))
		}
		seen[q.Key] = true
		out[i] = q
	}
	return out, nil
}

func truncate(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}

// compiled is a stored schedule's rule and closing, ready for Due and Next.
type compiled struct {
	sched   *schedule.Schedule
	closing schedule.Closing
}

// compileStored reads a stored schedule back; the database's checks are
// looser than ours, so a row edited by hand can still be refused here.
// RuleOf is the rule a stored schedule holds.
func RuleOf(s store.Schedule) schedule.Rule {
	r := schedule.Rule{Cron: s.CronSpec, TimeZone: s.TimeZone}
	if s.NthWeekday != nil && s.Weekday != nil {
		r.NthWeekday, r.Weekday = *s.NthWeekday, time.Weekday(*s.Weekday)
	}
	return r
}

func compileStored(s store.Schedule) (compiled, error) {
	sched, err := schedule.Compile(RuleOf(s))
	if err != nil {
		return compiled{}, fromSchedule(err)
	}
	closing, err := schedule.CloseAfterWorkingDays(s.CloseWorkingDays, s.CloseHour, 0)
	if err != nil {
		return compiled{}, fromSchedule(err)
	}
	return compiled{sched: sched, closing: closing}, nil
}

// CreateSchedule validates spec and writes the schedule for actor. An invalid
// spec is an *InvalidError; a slug already taken a domain.ErrConflict.
func (s *Service) CreateSchedule(ctx context.Context, actor store.Actor, spec ScheduleSpec) (store.Schedule, error) {
	in, err := normalize(spec)
	if err != nil {
		return store.Schedule{}, err
	}
	in.CreatedAt = s.now()
	id, err := s.Store.CreateSchedule(ctx, actor, in)
	if err != nil {
		return store.Schedule{}, err
	}
	return s.Store.ScheduleByID(ctx, id)
}

// UpdateSchedule validates spec and rewrites the schedule with that slug;
// spec.Slug is ignored (a slug never changes) and spec.Paused sets whether
// it is active. What was already opened stays as it was.
func (s *Service) UpdateSchedule(ctx context.Context, actor store.Actor, slug string, spec ScheduleSpec) (store.Schedule, error) {
	spec.Slug = slug
	in, err := normalize(spec)
	if err != nil {
		return store.Schedule{}, err
	}
	err = s.Store.InTx(ctx, actor, func(tx *store.Tx) error {
		cur, err := tx.ScheduleBySlug(ctx, slug)
		if err != nil {
			return err
		}
		if err := tx.UpdateSchedule(ctx, actor, cur.ID, in); err != nil {
			return err
		}
		if cur.Active != in.Active {
			return tx.SetScheduleActive(ctx, actor, cur.ID, in.Active)
		}
		return nil
	})
	if err != nil {
		return store.Schedule{}, err
	}
	return s.Store.ScheduleBySlug(ctx, slug)
}

// SetPaused pauses (or resumes) one schedule.
func (s *Service) SetPaused(ctx context.Context, actor store.Actor, slug string, paused bool) error {
	return s.Store.InTx(ctx, actor, func(tx *store.Tx) error {
		cur, err := tx.ScheduleBySlug(ctx, slug)
		if err != nil {
			return err
		}
		return tx.SetScheduleActive(ctx, actor, cur.ID, !paused)
	})
}

// PauseAll pauses every schedule from one date to another, both included.
func (s *Service) PauseAll(ctx context.Context, actor store.Actor, from, to schedule.Date, reason string) (int64, error) {
	if _, err := schedule.NewPause(from, to); err != nil {
		return 0, fromSchedule(err)
	}
	return s.Store.CreatePause(ctx, actor, dateTime(from), dateTime(to), strings.TrimSpace(reason))
}

func dateTime(d schedule.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}
