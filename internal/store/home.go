package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// HomeCheckin is a Table's prompt in an open round, as one of the Table's
// people sees it on Relais' App Home.
type HomeCheckin struct {
	PromptID     int64     `db:"prompt_id"`
	RoundID      int64     `db:"round_id"`
	TableName    string    `db:"table_name"`
	ScheduleName string    `db:"schedule_name"`
	Questions    Questions `db:"questions"`
	TimeZone     string    `db:"time_zone"`
	Period       time.Time `db:"period"`
	ClosesAt     time.Time `db:"closes_at"`
	ScheduledFor time.Time `db:"scheduled_for"`
	OpenedLate   bool      `db:"opened_late"`
	Status       string    `db:"status"`
	// AnsweredBy is who answered, said nothing to report or skipped; "".
	AnsweredBy string `db:"answered_by"`
	// AnsweredByViewer: the person looking at their Home did.
	AnsweredByViewer bool `db:"answered_by_viewer"`
	// MayAnswer is the rule that answering enforces (mayAnswer): buttons
	// are offered only to those whose click would be accepted.
	MayAnswer bool `db:"may_answer"`
	// Note is the Table's note, nil when none is written.
	Note *StoredNote `db:"-"`
}

// OpenCheckinsOf lists, latest round first and at most limit, the prompts
// of open rounds addressed to the Table of person personID (an active
// person). Someone of no Table, or inactive, has none.
func (o ops) OpenCheckinsOf(ctx context.Context, personID int64, limit int) ([]HomeCheckin, error) {
	var out []HomeCheckin
	err := o.snapshot(ctx, func(q queryer) error {
		err := sqlx.SelectContext(ctx, q, &out, `
			SELECT pr.id AS prompt_id, pr.round_id, o.name AS table_name, s.name AS schedule_name,
				coalesce(r.questions, s.questions) AS questions, coalesce(r.time_zone, s.time_zone) AS time_zone,
				r.period, r.closes_at, r.scheduled_for, r.opened_late, pr.status::text AS status,
				coalesce(ab.display_name, '') AS answered_by,
				coalesce(pr.answered_by = pe.id, false) AS answered_by_viewer,
				(`+mayAnswer+`) AS may_answer
			FROM people pe
			JOIN checkin_prompts pr ON pr.organisation_id = pe.organisation_id
			JOIN checkin_rounds r ON r.id = pr.round_id AND r.status = 'open'
			JOIN checkin_schedules s ON s.id = r.schedule_id
			JOIN organisations o ON o.id = pr.organisation_id
			LEFT JOIN people ab ON ab.id = pr.answered_by
			WHERE pe.id = $1 AND pe.active
			ORDER BY r.opened_at DESC, r.id DESC LIMIT $2`, personID, limit)
		if err != nil {
			return wrap("open check-ins", err)
		}
		for i := range out {
			if out[i].Note, err = promptNote(ctx, q, out[i].PromptID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// TableNote is one of a Table's notes, as its Home lists them.
type TableNote struct {
	ID         int64             `db:"id"`
	Period     time.Time         `db:"period"`
	Body       string            `db:"body"`
	Visibility domain.Visibility `db:"visibility"`
	Late       bool              `db:"late"`
	AuthorName string            `db:"author_name"`
}

// TableNotes returns organisation orgID's latest notes that v may read
// (Viewer's rule: coordinators-only notes reach coordinators and the Table
// that wrote them), latest period first.
func (o ops) TableNotes(ctx context.Context, v Viewer, orgID int64, limit int) ([]TableNote, error) {
	visible, vargs := v.noteFilter("n", 3)
	var out []TableNote
	err := sqlx.SelectContext(ctx, o.q(), &out, fmt.Sprintf(`
		SELECT n.id, n.period, n.body, n.visibility, n.late, coalesce(a.display_name, '') AS author_name
		FROM progress_notes n LEFT JOIN people a ON a.id = n.author_id
		WHERE n.organisation_id = $1 AND %s
		ORDER BY n.period DESC, n.created_at DESC, n.id DESC LIMIT $2`, visible),
		append([]any{orgID, limit}, vargs...)...)
	return out, wrap("table notes", err)
}

// HomeRound is a check-in round as a coordinator's Home shows it.
type HomeRound struct {
	Round
	ScheduleName string `db:"schedule_name"`
	ScheduleSlug string `db:"schedule_slug"`
	// TimeZone is the round's IANA zone, "" for the partnership's.
	TimeZone string `db:"time_zone"`
}

// CurrentRounds lists the open rounds, latest first, at most limit; when
// none is open, the latest round of all (closed), so a coordinator's Home
// still says how the last one went. None at all is an empty list.
func (o ops) CurrentRounds(ctx context.Context, limit int) ([]HomeRound, error) {
	var out []HomeRound
	err := sqlx.SelectContext(ctx, o.q(), &out, `
		WITH ranked AS (
			SELECT `+roundColumns+`, s.name AS schedule_name, s.slug AS schedule_slug,
				coalesce(r.time_zone, s.time_zone, '') AS time_zone, bool_or(r.status = 'open') OVER () AS any_open,
				row_number() OVER (ORDER BY r.opened_at DESC, r.id DESC) AS n
			FROM checkin_rounds r JOIN checkin_schedules s ON s.id = r.schedule_id)
		SELECT id, schedule_id, occurrence_key, scheduled_for, period, status, opened_at, closes_at, closed_at,
			opened_late, opened_early, schedule_name, schedule_slug, time_zone
		FROM ranked WHERE (any_open AND status = 'open') OR (NOT any_open AND n = 1)
		ORDER BY opened_at DESC, id DESC LIMIT $1`, limit)
	return out, wrap("current rounds", err)
}

// HomeAudience is whose App Home shows organisation orgID's check-in: its
// active people and the active coordinators, by Slack user id.
func (o ops) HomeAudience(ctx context.Context, orgID int64) ([]string, error) {
	var out []string
	err := sqlx.SelectContext(ctx, o.q(), &out, `SELECT slack_user_id FROM people
		WHERE active AND (organisation_id = $1 OR role = 'coordinator') ORDER BY slack_user_id`, orgID)
	return out, wrap("home audience", err)
}

// PromptOrganisation is the Table a prompt asks.
func (o ops) PromptOrganisation(ctx context.Context, promptID int64) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, o.q(), &id, `SELECT organisation_id FROM checkin_prompts WHERE id = $1`, promptID)
	return id, wrap("prompt organisation", notFound(err, "prompt", fmt.Sprint(promptID)))
}
