package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// DigestData is what month M's digest is computed from, read on one
// snapshot: every visibility is here, and the digest decides what its
// audience may quote.
type DigestData struct {
	Period    time.Time // first day of M
	Quartiers []DigestQuartier
	Themes    []domain.Theme
	// Notes are the notes of M and of M−1 (for the late ones, and for the
	// connections of M−1 that tell a continuing connection from a new one).
	Notes []DigestNote
	// Questions are the question keys of each round of those notes, in the
	// round's order, by round id.
	Questions map[int64][]string
	// ConditionCounts counts the notes touching each condition in M−3..M,
	// and NoteCounts all notes, by period (first of the month).
	ConditionCounts []PeriodCount
	NoteCounts      []PeriodCount
	Follows         []ThemeFollower
	// Backings are the initiatives of a quartier with a theme and a funder
	// whose grant is active in M or in M−1.
	Backings []InitiativeBacking
	Starting []DigestGrant // grants starting in M
	Ending   []DigestGrant // grants ending within 90 days after M's last day
	// Round is the round for M (the latest opened whose period is M), nil
	// without one; Prompts are its Tables.
	Round   *DigestRound
	Prompts []DigestPrompt
}

// DigestQuartier is a quartier with a Table de quartier and its respondents.
type DigestQuartier struct {
	ID              int64          `db:"id"`
	Slug            string         `db:"slug"`
	Name            string         `db:"name"`
	OrganisationID  int64          `db:"organisation_id"`
	RespondentIDs   pq.StringArray `db:"respondent_ids"`
	RespondentNames pq.StringArray `db:"respondent_names"`
}

// DigestNote is a note as the digest reads it.
type DigestNote struct {
	ID         int64 `db:"id"`
	QuartierID int64 `db:"quartier_id"`
	// QuartierSlug and QuartierName name it even without a Table de quartier.
	QuartierSlug string            `db:"quartier_slug"`
	QuartierName string            `db:"quartier_name"`
	RoundID      *int64            `db:"round_id"`
	Period       time.Time         `db:"period"`
	Body         string            `db:"body"`
	Answers      map[string]string `db:"-"`
	AnswersRaw   []byte            `db:"answers"`
	Language     domain.Language   `db:"language"`
	Visibility   domain.Visibility `db:"visibility"`
	Late         bool              `db:"late"`
	Conditions   pq.StringArray    `db:"conditions"`
	ThemeSlugs   pq.StringArray    `db:"theme_slugs"`
}

// PeriodCount is a count for a month, optionally of one condition.
type PeriodCount struct {
	Period    time.Time `db:"period"`
	Condition string    `db:"condition"`
	Notes     int       `db:"notes"`
	// Shared: these notes are shared with the partnership. A partnership
	// digest counts conditions on those only: beside the quartiers whose
	// note it withholds, a total would tell that note's conditions.
	Shared bool `db:"shared"`
}

// ThemeFollower is an active person who follows a theme.
type ThemeFollower struct {
	ThemeSlug   string `db:"theme_slug"`
	SlackUserID string `db:"slack_user_id"`
	Name        string `db:"display_name"`
}

// InitiativeBacking is an initiative, one of its themes and one of its
// funders, and whether that funder's support is active in M and in M−1.
type InitiativeBacking struct {
	InitiativeID int64  `db:"initiative_id"`
	Code         string `db:"code"`
	Title        string `db:"title"`
	QuartierID   int64  `db:"quartier_id"`
	ThemeSlug    string `db:"theme_slug"`
	FunderSlug   string `db:"funder_slug"`
	FunderName   string `db:"funder_name"`
	InMonth      bool   `db:"in_month"`
	InPrevious   bool   `db:"in_previous"`
}

// DigestGrant is a grant starting or ending.
type DigestGrant struct {
	Code            string             `db:"code"`
	InitiativeCode  string             `db:"initiative_code"`
	InitiativeTitle string             `db:"initiative_title"`
	QuartierName    *string            `db:"quartier_name"`
	FunderName      string             `db:"funder_name"`
	Kind            domain.SupportKind `db:"kind"`
	Cents           int64              `db:"amount_cents"`
	Description     string             `db:"support_description"`
	Start           time.Time          `db:"period_start"`
	End             time.Time          `db:"period_end"`
}

// DigestRound is the round for M.
type DigestRound struct {
	ID           int64  `db:"id"`
	ScheduleName string `db:"schedule_name"`
	Open         bool   `db:"open"`
}

// DigestPrompt is one Table's prompt in the round for M.
type DigestPrompt struct {
	OrganisationID int64  `db:"organisation_id"`
	Name           string `db:"name"`
	Status         string `db:"status"`
}

// DigestEndingDays is how far after M's last day a grant's end is "soon".
const DigestEndingDays = 90

// DigestData reads month period's digest data on one snapshot.
func (o ops) DigestData(ctx context.Context, period time.Time) (DigestData, error) {
	var d DigestData
	err := o.snapshot(ctx, func(q queryer) error {
		var err error
		d, err = digestData(ctx, q, period)
		return err
	})
	return d, err
}

func digestData(ctx context.Context, q queryer, period time.Time) (DigestData, error) {
	m := time.Date(period.Year(), period.Month(), 1, 0, 0, 0, 0, time.UTC)
	prev, last := m.AddDate(0, -1, 0), m.AddDate(0, 1, -1)
	d := DigestData{Period: m, Questions: map[int64][]string{}}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }

	err := sqlx.SelectContext(ctx, q, &d.Quartiers, `
		SELECT q.id, q.slug, q.name, o.id AS organisation_id,
			coalesce(array_agg(p.slack_user_id ORDER BY p.display_name, p.id) FILTER (WHERE p.id IS NOT NULL), '{}') AS respondent_ids,
			coalesce(array_agg(p.display_name ORDER BY p.display_name, p.id) FILTER (WHERE p.id IS NOT NULL), '{}') AS respondent_names
		FROM quartiers q
		JOIN organisations o ON o.quartier_id = q.id AND o.kind = 'table_de_quartier'
		LEFT JOIN people p ON p.organisation_id = o.id AND p.active AND p.answers_checkins
		GROUP BY q.id, o.id
		ORDER BY q.name, q.id`)
	if err != nil {
		return d, wrap("digest quartiers", err)
	}
	if d.Themes, err = listThemes(ctx, q); err != nil {
		return d, err
	}

	err = sqlx.SelectContext(ctx, q, &d.Notes, `
		SELECT n.id, n.quartier_id, q.slug AS quartier_slug, q.name AS quartier_name, n.round_id, n.period, n.body, n.answers, n.language, n.visibility, n.late,
			n.conditions,
			ARRAY(SELECT t.slug FROM progress_note_themes nt JOIN themes t ON t.id = nt.theme_id
			      WHERE nt.note_id = n.id ORDER BY t.slug) AS theme_slugs
		FROM progress_notes n JOIN quartiers q ON q.id = n.quartier_id
		WHERE n.period IN ($1::date, $2::date)
		ORDER BY n.period, n.quartier_id, n.created_at, n.id`, day(prev), day(m))
	if err != nil {
		return d, wrap("digest notes", err)
	}
	rounds := map[int64]bool{}
	for i := range d.Notes {
		n := &d.Notes[i]
		if len(n.AnswersRaw) > 0 {
			if err := json.Unmarshal(n.AnswersRaw, &n.Answers); err != nil {
				return d, wrap("digest note answers", err)
			}
		}
		n.AnswersRaw = nil
		if n.RoundID != nil {
			rounds[*n.RoundID] = true
		}
	}
	if len(rounds) > 0 {
		ids := make([]int64, 0, len(rounds))
		for id := range rounds {
			ids = append(ids, id)
		}
		var qs []struct {
			ID   int64          `db:"id"`
			Keys pq.StringArray `db:"keys"`
		}
		err = sqlx.SelectContext(ctx, q, &qs, `
			SELECT r.id, ARRAY(SELECT e.q->>'key' FROM jsonb_array_elements(coalesce(r.questions, s.questions))
			                   WITH ORDINALITY AS e(q, i) ORDER BY e.i) AS keys
			FROM checkin_rounds r JOIN checkin_schedules s ON s.id = r.schedule_id
			WHERE r.id = ANY($1)`, pq.Int64Array(ids))
		if err != nil {
			return d, wrap("digest round questions", err)
		}
		for _, r := range qs {
			d.Questions[r.ID] = r.Keys
		}
	}

	from := day(m.AddDate(0, -3, 0))
	err = sqlx.SelectContext(ctx, q, &d.ConditionCounts, `
		SELECT n.period, c AS condition, count(*) AS notes, n.visibility = 'partnership' AS shared
		FROM progress_notes n, unnest(n.conditions) AS c
		WHERE n.period BETWEEN $1::date AND $2::date
		GROUP BY n.period, c, shared ORDER BY n.period, c, shared`, from, day(m))
	if err != nil {
		return d, wrap("digest condition counts", err)
	}
	err = sqlx.SelectContext(ctx, q, &d.NoteCounts, `
		SELECT n.period, '' AS condition, count(*) AS notes
		FROM progress_notes n WHERE n.period BETWEEN $1::date AND $2::date
		GROUP BY n.period ORDER BY n.period`, from, day(m))
	if err != nil {
		return d, wrap("digest note counts", err)
	}

	err = sqlx.SelectContext(ctx, q, &d.Follows, `
		SELECT t.slug AS theme_slug, p.slack_user_id, p.display_name
		FROM theme_follows f JOIN themes t ON t.id = f.theme_id JOIN people p ON p.id = f.person_id
		WHERE p.active
		ORDER BY t.slug, p.display_name, p.id`)
	if err != nil {
		return d, wrap("digest follows", err)
	}

	// One row per (initiative, theme, funder), whichever of its grants are
	// active: DISTINCT ON keeps the flags of all of them through bool_or.
	err = sqlx.SelectContext(ctx, q, &d.Backings, `
		SELECT i.id AS initiative_id, i.code, i.title, i.quartier_id, t.slug AS theme_slug,
			o.slug AS funder_slug, o.name AS funder_name,
			bool_or(f.period_start <= $2::date AND f.period_end >= $1::date) AS in_month,
			bool_or(f.period_start < $1::date AND f.period_end >= $3::date) AS in_previous
		FROM funding f
		JOIN initiatives i ON i.id = f.initiative_id
		JOIN initiative_themes it ON it.initiative_id = i.id
		JOIN themes t ON t.id = it.theme_id
		JOIN organisations o ON o.id = f.funder_id
		WHERE i.quartier_id IS NOT NULL AND f.period_start <= $2::date AND f.period_end >= $3::date
		GROUP BY i.id, t.slug, o.slug, o.name
		ORDER BY t.slug, o.slug, i.quartier_id, i.code`, day(m), day(last), day(prev))
	if err != nil {
		return d, wrap("digest initiative backings", err)
	}

	const grantSelect = `
		SELECT f.code, i.code AS initiative_code, i.title AS initiative_title, q.name AS quartier_name,
			o.name AS funder_name, f.kind, f.amount_cents, f.support_description, f.period_start, f.period_end
		FROM funding f
		JOIN initiatives i ON i.id = f.initiative_id
		LEFT JOIN quartiers q ON q.id = i.quartier_id
		JOIN organisations o ON o.id = f.funder_id`
	err = sqlx.SelectContext(ctx, q, &d.Starting, grantSelect+`
		WHERE f.period_start BETWEEN $1::date AND $2::date
		ORDER BY f.period_start, f.amount_cents DESC, f.code`, day(m), day(last))
	if err != nil {
		return d, wrap("digest grants starting", err)
	}
	err = sqlx.SelectContext(ctx, q, &d.Ending, grantSelect+`
		WHERE f.period_end > $1::date AND f.period_end <= $1::date + $2::int
		ORDER BY f.period_end, f.amount_cents DESC, f.code`, day(last), DigestEndingDays)
	if err != nil {
		return d, wrap("digest grants ending", err)
	}

	var rs []DigestRound
	err = sqlx.SelectContext(ctx, q, &rs, `
		SELECT r.id, s.name AS schedule_name, r.status = 'open' AS open
		FROM checkin_rounds r JOIN checkin_schedules s ON s.id = r.schedule_id
		WHERE r.period = $1::date
		ORDER BY r.opened_at DESC, r.id DESC LIMIT 1`, day(m))
	if err != nil {
		return d, wrap("digest round", err)
	}
	if len(rs) == 1 {
		d.Round = &rs[0]
		err = sqlx.SelectContext(ctx, q, &d.Prompts, `
			SELECT pr.organisation_id, o.name, pr.status::text AS status
			FROM checkin_prompts pr JOIN organisations o ON o.id = pr.organisation_id
			WHERE pr.round_id = $1 ORDER BY o.name, o.id`, d.Round.ID)
		if err != nil {
			return d, wrap("digest round prompts", err)
		}
	}
	return d, nil
}
