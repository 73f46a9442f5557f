package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// Question is one question of a check-in, in both languages.
type Question struct {
	Key string `json:"key"`
	FR  string `json:"fr"`
	EN  string `json:"en"`
}

// Questions is a schedule's questions, stored as a jsonb array.
type Questions []Question

// Value stores the questions as JSON ([] rather than null when empty).
func (q Questions) Value() (driver.Value, error) {
	if q == nil {
		q = Questions{}
	}
	b, err := json.Marshal([]Question(q))
	return string(b), err
}

// Scan reads the jsonb array back.
func (q *Questions) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*q = nil
		return nil
	default:
		return fmt.Errorf("questions: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*[]Question)(q))
}

// Schedule is a check-in schedule as stored. Audience lists the Tables asked
// when AudienceAll is false.
type Schedule struct {
	ID                  int64         `db:"id"`
	Slug                string        `db:"slug"`
	Name                string        `db:"name"`
	CronSpec            string        `db:"cron_spec"`
	TimeZone            string        `db:"time_zone"`
	Questions           Questions     `db:"questions"`
	Active              bool          `db:"active"`
	NthWeekday          *int          `db:"nth_weekday"`
	Weekday             *int          `db:"weekday"`
	AudienceAll         bool          `db:"audience_all"`
	ReminderWorkingDays pq.Int64Array `db:"reminder_working_days"`
	CloseWorkingDays    int           `db:"close_working_days"`
	CloseHour           int           `db:"close_hour"`
	// LastOccurrence is the key of the last occurrence opened or skipped.
	LastOccurrence *string   `db:"last_occurrence"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	Audience       []int64   `db:"-"`
}

// ScheduleInput is what creating or updating a schedule writes; the caller
// (checkin.Service) has validated it.
type ScheduleInput struct {
	Slug                string
	Name                string
	CronSpec            string
	TimeZone            string
	Questions           Questions
	NthWeekday          *int
	Weekday             *int
	AudienceAll         bool
	Audience            []int64 // organisation ids, when not AudienceAll
	ReminderWorkingDays []int
	CloseWorkingDays    int
	CloseHour           int
	Active              bool
	// CreatedAt is when the schedule starts to count (the service's clock);
	// zero is the database's now().
	CreatedAt time.Time
}

const scheduleColumns = `s.id, s.slug, s.name, s.cron_spec, s.time_zone, s.questions, s.active,
	s.nth_weekday, s.weekday, s.audience_all, s.reminder_working_days, s.close_working_days, s.close_hour,
	s.last_occurrence, s.created_at, s.updated_at`

// optTime is nil for the zero time, so the column's default applies.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func int64s(v []int) pq.Int64Array {
	out := make(pq.Int64Array, len(v))
	for i, n := range v {
		out[i] = int64(n)
	}
	return out
}

// CreateSchedule writes a new schedule and its audience; a slug already taken
// is a domain.ErrConflict.
func (o ops) CreateSchedule(ctx context.Context, actor Actor, in ScheduleInput) (int64, error) {
	var id int64
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var err error
		id, err = createSchedule(ctx, tx, in)
		if err != nil {
			return err
		}
		return setAudience(ctx, tx, id, in.Audience)
	})
	return id, err
}

func createSchedule(ctx context.Context, q queryer, in ScheduleInput) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		INSERT INTO checkin_schedules (slug, name, cron_spec, time_zone, questions, active, nth_weekday, weekday,
			audience_all, reminder_working_days, close_working_days, close_hour, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, now())) RETURNING id`,
		in.Slug, in.Name, in.CronSpec, in.TimeZone, in.Questions, in.Active, in.NthWeekday, in.Weekday,
		in.AudienceAll, int64s(in.ReminderWorkingDays), in.CloseWorkingDays, in.CloseHour, optTime(in.CreatedAt))
	return id, wrap("create schedule", err)
}

// EnsureSchedule creates the schedule unless one with its slug exists, which
// it leaves as it is (the demo's schedule, edited or run since). It reports
// whether it created one.
func (o ops) EnsureSchedule(ctx context.Context, actor Actor, in ScheduleInput) (bool, error) {
	created := false
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var ids []int64
		err := sqlx.SelectContext(ctx, tx, &ids, `
			INSERT INTO checkin_schedules (slug, name, cron_spec, time_zone, questions, active, nth_weekday,
				weekday, audience_all, reminder_working_days, close_working_days, close_hour, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, now()))
			ON CONFLICT (slug) DO NOTHING RETURNING id`,
			in.Slug, in.Name, in.CronSpec, in.TimeZone, in.Questions, in.Active, in.NthWeekday, in.Weekday,
			in.AudienceAll, int64s(in.ReminderWorkingDays), in.CloseWorkingDays, in.CloseHour, optTime(in.CreatedAt))
		if err != nil {
			return wrap("ensure schedule", err)
		}
		if len(ids) == 0 {
			return nil
		}
		created = true
		return setAudience(ctx, tx, ids[0], in.Audience)
	})
	return created, err
}

// UpdateSchedule rewrites a schedule's rule, questions, audience, reminders
// and closing; its slug, active flag and last occurrence stay.
func (o ops) UpdateSchedule(ctx context.Context, actor Actor, id int64, in ScheduleInput) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		if err := updateSchedule(ctx, tx, id, in); err != nil {
			return err
		}
		return setAudience(ctx, tx, id, in.Audience)
	})
}

func updateSchedule(ctx context.Context, q queryer, id int64, in ScheduleInput) error {
	res, err := q.ExecContext(ctx, `
		UPDATE checkin_schedules SET name = $2, cron_spec = $3, time_zone = $4, questions = $5,
			nth_weekday = $6, weekday = $7, audience_all = $8, reminder_working_days = $9,
			close_working_days = $10, close_hour = $11
		WHERE id = $1`,
		id, in.Name, in.CronSpec, in.TimeZone, in.Questions, in.NthWeekday, in.Weekday, in.AudienceAll,
		int64s(in.ReminderWorkingDays), in.CloseWorkingDays, in.CloseHour)
	if err != nil {
		return wrap("update schedule", err)
	}
	return mustAffect(res, "schedule", strconv.FormatInt(id, 10))
}

// setAudience replaces a schedule's listed Tables with orgIDs. Only Tables de
// quartier may be listed: anything else is a domain.ErrInvalid.
func setAudience(ctx context.Context, q queryer, scheduleID int64, orgIDs []int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM checkin_schedule_audience
		WHERE schedule_id = $1 AND NOT organisation_id = ANY($2)`, scheduleID, pq.Int64Array(orgIDs)); err != nil {
		return wrap("clear audience", err)
	}
	if len(orgIDs) == 0 {
		return nil
	}
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM organisations
		WHERE id = ANY($1) AND kind = 'table_de_quartier'`, pq.Int64Array(orgIDs))
	if err != nil {
		return wrap("check audience", err)
	}
	if n != len(uniqueIDs(orgIDs)) {
		return fmt.Errorf("audience lists an organisation that is not a Table de quartier: %w", domain.ErrInvalid)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO checkin_schedule_audience (schedule_id, organisation_id)
		SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, scheduleID, pq.Int64Array(orgIDs))
	return wrap("set audience", err)
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func mustAffect(res interface{ RowsAffected() (int64, error) }, entity, key string) error {
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return &domain.NotFoundError{Entity: entity, Key: key}
	}
	return nil
}

// ScheduleByID returns a schedule with its audience.
func (o ops) ScheduleByID(ctx context.Context, id int64) (Schedule, error) {
	var s Schedule
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		s, err = scheduleWhere(ctx, q, "s.id = $1", "", id)
		return err
	})
	return s, err
}

// ScheduleBySlug returns a schedule with its audience.
func (o ops) ScheduleBySlug(ctx context.Context, slug string) (Schedule, error) {
	var s Schedule
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		s, err = scheduleWhere(ctx, q, "s.slug = $1", "", slug)
		return err
	})
	return s, err
}

// LockSchedule reads a schedule and locks its row until the caller's
// transaction ends, so replicas ticking at once handle it one after the
// other, each seeing what the previous one committed. Only a Tx can lock.
func (o ops) LockSchedule(ctx context.Context, id int64) (Schedule, error) {
	if o.tx == nil {
		return Schedule{}, fmt.Errorf("lock schedule outside a transaction: %w", domain.ErrInvalid)
	}
	return scheduleWhere(ctx, o.tx, "s.id = $1", "FOR UPDATE", id)
}

func scheduleWhere(ctx context.Context, q queryer, where, lock string, arg any) (Schedule, error) {
	var s Schedule
	err := sqlx.GetContext(ctx, q, &s, `SELECT `+scheduleColumns+` FROM checkin_schedules s WHERE `+where+` `+lock, arg)
	if err != nil {
		return s, wrap("schedule", notFound(err, "schedule", fmt.Sprint(arg)))
	}
	err = sqlx.SelectContext(ctx, q, &s.Audience, `SELECT organisation_id FROM checkin_schedule_audience
		WHERE schedule_id = $1 ORDER BY organisation_id`, s.ID)
	return s, wrap("schedule audience", err)
}

// ListSchedules returns every schedule, by name, with its audience.
func (o ops) ListSchedules(ctx context.Context) ([]Schedule, error) {
	var out []Schedule
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		out, err = listSchedules(ctx, q)
		return err
	})
	return out, err
}

func listSchedules(ctx context.Context, q queryer) ([]Schedule, error) {
	var out []Schedule
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+scheduleColumns+` FROM checkin_schedules s
		ORDER BY s.name, s.id`); err != nil {
		return nil, wrap("list schedules", err)
	}
	var links []struct {
		ScheduleID int64 `db:"schedule_id"`
		OrgID      int64 `db:"organisation_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &links, `SELECT schedule_id, organisation_id
		FROM checkin_schedule_audience ORDER BY schedule_id, organisation_id`); err != nil {
		return nil, wrap("list audiences", err)
	}
	byID := map[int64]*Schedule{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for _, l := range links {
		if s := byID[l.ScheduleID]; s != nil {
			s.Audience = append(s.Audience, l.OrgID)
		}
	}
	return out, nil
}

// ActiveScheduleIDs lists the schedules the tick looks at.
func (o ops) ActiveScheduleIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, o.q(), &ids, `SELECT id FROM checkin_schedules WHERE active ORDER BY id`)
	return ids, wrap("active schedules", err)
}

// SetScheduleActive turns a schedule on (active) or off (paused).
func (o ops) SetScheduleActive(ctx context.Context, actor Actor, id int64, active bool) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkin_schedules SET active = $2 WHERE id = $1`, id, active)
		if err != nil {
			return wrap("set schedule active", err)
		}
		return mustAffect(res, "schedule", strconv.FormatInt(id, 10))
	})
}

// SetLastOccurrence records the key of the last occurrence handled.
func (o ops) SetLastOccurrence(ctx context.Context, actor Actor, id int64, key string) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkin_schedules SET last_occurrence = $2 WHERE id = $1`, id, key)
		if err != nil {
			return wrap("set last occurrence", err)
		}
		return mustAffect(res, "schedule", strconv.FormatInt(id, 10))
	})
}

// Pause is a period when no schedule opens a round; it applies to all of them.
// From and To are dates (midnight UTC), both included.
type Pause struct {
	ID        int64     `db:"id"`
	From      time.Time `db:"starts_on"`
	To        time.Time `db:"ends_on"`
	Reason    string    `db:"reason"`
	CreatedAt time.Time `db:"created_at"`
}

// CreatePause pauses every schedule from one date to another, both included;
// an end before the start is a domain.ErrInvalid.
func (o ops) CreatePause(ctx context.Context, actor Actor, from, to time.Time, reason string) (int64, error) {
	var id int64
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO checkin_pauses (starts_on, ends_on, reason)
			VALUES ($1::date, $2::date, $3) RETURNING id`, from.Format(time.DateOnly), to.Format(time.DateOnly), reason)
		return wrap("create pause", err)
	})
	return id, err
}

// ListPauses returns every pause, earliest first.
func (o ops) ListPauses(ctx context.Context) ([]Pause, error) {
	return listPauses(ctx, o.q())
}

func listPauses(ctx context.Context, q queryer) ([]Pause, error) {
	var out []Pause
	err := sqlx.SelectContext(ctx, q, &out, `SELECT id, starts_on, ends_on, reason, created_at
		FROM checkin_pauses ORDER BY starts_on, id`)
	return out, wrap("list pauses", err)
}

// DeletePause ends a pause early by removing it.
func (o ops) DeletePause(ctx context.Context, actor Actor, id int64) error {
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM checkin_pauses WHERE id = $1`, id)
		if err != nil {
			return wrap("delete pause", err)
		}
		return mustAffect(res, "pause", strconv.FormatInt(id, 10))
	})
}
