package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// Prompt statuses, as checkin_prompts stores them.
const (
	PromptPending         = "pending"
	PromptSent            = "sent"
	PromptAnswered        = "answered"
	PromptNothingToReport = "nothing_to_report"
	PromptSkipped         = "skipped"
	PromptExpired         = "expired"
)

// ErrRoundClosed is a change to a prompt whose round has closed that only an
// open round allows (editing a note, skipping).
var ErrRoundClosed = fmt.Errorf("the round is closed: %w", domain.ErrConflict)

// ErrAlreadyAnswered is a skip or "nothing to report" for a Table whose note
// is written: the note is edited instead, never dropped by a click.
var ErrAlreadyAnswered = fmt.Errorf("the Table's note is written: %w", domain.ErrConflict)

// ErrNotRespondent is someone asking to answer a prompt that is not their
// Table's: the prompt id came from a client, and the server's records say no.
var ErrNotRespondent = fmt.Errorf("not a respondent of this prompt's Table: %w", domain.ErrForbidden)

// StoredNote is a Table's note for a prompt.
type StoredNote struct {
	ID           int64             `db:"id"`
	Body         string            `db:"body"`
	Answers      map[string]string `db:"-"`
	AnswersJSON  []byte            `db:"answers"`
	Themes       pq.StringArray    `db:"themes"` // slugs
	Conditions   pq.StringArray    `db:"conditions"`
	InitiativeID *int64            `db:"initiative_id"`
	Visibility   domain.Visibility `db:"visibility"`
	Language     domain.Language   `db:"language"`
	Late         bool              `db:"late"`
	AuthorName   string            `db:"author_name"`
	UpdatedAt    time.Time         `db:"updated_at"`
}

// AnswerTarget is a prompt as one person may answer it, read from the
// server's own records: the prompt, its round, and the person's place at the
// prompt's Table.
type AnswerTarget struct {
	PromptID       int64     `db:"prompt_id"`
	RoundID        int64     `db:"round_id"`
	OrganisationID int64     `db:"organisation_id"`
	TableName      string    `db:"table_name"`
	Status         string    `db:"status"`
	RoundOpen      bool      `db:"round_open"`
	Period         time.Time `db:"period"`
	ClosesAt       time.Time `db:"closes_at"`
	TimeZone       string    `db:"time_zone"`
	Questions      Questions `db:"questions"`
	PersonID       int64     `db:"person_id"`
	// AnsweredBy is who answered, said nothing to report or skipped; "".
	AnsweredBy string `db:"answered_by"`
	// Note is the Table's note for this prompt, nil when none is written.
	Note *StoredNote `db:"-"`
}

// mayAnswer is the rule, in SQL over pe (people) and pr (checkin_prompts):
// an active person of the prompt's Table who answers check-ins or was sent
// this prompt.
const mayAnswer = `pe.active AND pe.organisation_id = pr.organisation_id
	AND (pe.answers_checkins OR EXISTS (SELECT 1 FROM checkin_recipients rc
		WHERE rc.prompt_id = pr.id AND rc.person_id = pe.id))`

// AnswerTarget reads prompt promptID for the Slack user who would answer
// it. A prompt that does not exist, or is not theirs to answer, is
// ErrNotRespondent: both are a forged or stale id, and saying which would
// tell a stranger which prompts exist.
func (o ops) AnswerTarget(ctx context.Context, promptID int64, slackUserID string) (AnswerTarget, error) {
	var t AnswerTarget
	err := o.snapshot(ctx, func(q queryer) error {
		err := sqlx.GetContext(ctx, q, &t, `
			SELECT pr.id AS prompt_id, pr.round_id, pr.organisation_id, o.name AS table_name,
				pr.status::text AS status, r.status = 'open' AS round_open, r.period, r.closes_at,
				coalesce(r.time_zone, s.time_zone) AS time_zone, coalesce(r.questions, s.questions) AS questions,
				pe.id AS person_id, coalesce(ab.display_name, '') AS answered_by
			FROM checkin_prompts pr
			JOIN checkin_rounds r ON r.id = pr.round_id
			JOIN checkin_schedules s ON s.id = r.schedule_id
			JOIN organisations o ON o.id = pr.organisation_id
			JOIN people pe ON pe.slack_user_id = $2
			LEFT JOIN people ab ON ab.id = pr.answered_by
			WHERE pr.id = $1 AND `+mayAnswer, promptID, slackUserID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotRespondent
		}
		if err != nil {
			return wrap("answer target", err)
		}
		t.Note, err = promptNote(ctx, q, promptID)
		return err
	})
	return t, err
}

// promptNote is a prompt's note, nil when none is written.
func promptNote(ctx context.Context, q queryer, promptID int64) (*StoredNote, error) {
	var n StoredNote
	err := sqlx.GetContext(ctx, q, &n, `
		SELECT n.id, n.body, n.answers, n.conditions, n.initiative_id, n.visibility, n.language, n.late,
			n.updated_at, coalesce(a.display_name, '') AS author_name,
			ARRAY(SELECT t.slug FROM progress_note_themes nt JOIN themes t ON t.id = nt.theme_id
				WHERE nt.note_id = n.id ORDER BY t.slug) AS themes
		FROM progress_notes n LEFT JOIN people a ON a.id = n.author_id
		WHERE n.prompt_id = $1`, promptID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("prompt note", err)
	}
	if err := json.Unmarshal(n.AnswersJSON, &n.Answers); err != nil {
		return nil, fmt.Errorf("prompt note answers: %w", err)
	}
	return &n, nil
}

// AnswerInput is a Table's note for a prompt, as its answerer wrote it.
type AnswerInput struct {
	PromptID int64
	// SlackUserID is who answers; their right to is checked again in the
	// transaction that writes.
	SlackUserID string
	// Answers holds the text of each question by its key; Body is the note's
	// text, what search and digests read.
	Answers      map[string]string
	Body         string
	Themes       []string // slugs
	Conditions   []string // systems_conditions keys
	InitiativeID *int64   // an initiative the Table leads
	Visibility   domain.Visibility
	Language     domain.Language
}

// SavedAnswer is what SaveAnswer wrote.
type SavedAnswer struct {
	NoteID  int64
	Created bool // false: an existing note was edited
	// Late marks a first answer after the round closed.
	Late bool
	// DMs are the prompt's posted DMs, to bring up to date.
	DMs []PromptDM
}

// SaveAnswer writes a Table's note for a prompt (one per prompt: a second
// save edits it), marks the prompt answered and bumps its revision, in one
// transaction with the prompt's row locked. A first answer after the round
// closed is kept, marked late; editing after it closed is ErrRoundClosed.
// An initiative the Table does not lead, an unknown theme or condition are
// domain.ErrInvalid.
func (o ops) SaveAnswer(ctx context.Context, actor Actor, in AnswerInput) (SavedAnswer, error) {
	var out SavedAnswer
	answers, err := json.Marshal(in.Answers)
	if err != nil {
		return out, fmt.Errorf("answers: %w", err)
	}
	if in.Answers == nil {
		answers = []byte("{}")
	}
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		p, err := lockPromptFor(ctx, tx, in.PromptID, in.SlackUserID)
		if err != nil {
			return err
		}
		if p.hasNote && !p.roundOpen {
			return ErrRoundClosed
		}
		out.Late = !p.roundOpen
		if in.InitiativeID != nil {
			var leads bool
			if err := sqlx.GetContext(ctx, tx, &leads, `SELECT EXISTS (SELECT 1 FROM initiatives
				WHERE id = $1 AND lead_organisation_id = $2)`, *in.InitiativeID, p.orgID); err != nil {
				return wrap("note initiative", err)
			}
			if !leads {
				return fmt.Errorf("initiative %d is not the Table's: %w", *in.InitiativeID, domain.ErrInvalid)
			}
		}
		var row struct {
			ID      int64 `db:"id"`
			Created bool  `db:"created"`
			Late    bool  `db:"late"`
		}
		err = sqlx.GetContext(ctx, tx, &row, `
			INSERT INTO progress_notes (round_id, prompt_id, organisation_id, quartier_id, author_id, period, body,
				answers, conditions, initiative_id, language, visibility, late)
			SELECT pr.round_id, pr.id, pr.organisation_id, o.quartier_id, $2::bigint, r.period, $3::text,
				$4::jsonb, $5::text[], $6::bigint, $7::language_code, $8::note_visibility, $9::boolean
			FROM checkin_prompts pr JOIN checkin_rounds r ON r.id = pr.round_id
			JOIN organisations o ON o.id = pr.organisation_id
			WHERE pr.id = $1
			-- The first writer stays the note's author: a colleague who edits it,
			-- adds a reply or changes its readers does not become it.
			ON CONFLICT (prompt_id) DO UPDATE SET body = EXCLUDED.body,
				answers = EXCLUDED.answers, conditions = EXCLUDED.conditions,
				initiative_id = EXCLUDED.initiative_id, language = EXCLUDED.language,
				visibility = EXCLUDED.visibility
			RETURNING id, (xmax = 0) AS created, late`,
			in.PromptID, p.personID, in.Body, string(answers), pq.StringArray(nonNil(in.Conditions)),
			in.InitiativeID, in.Language, in.Visibility, out.Late)
		if err != nil {
			return wrap("save note", err)
		}
		out.NoteID, out.Created, out.Late = row.ID, row.Created, row.Late
		if err := setNoteThemes(ctx, tx, row.ID, in.Themes); err != nil {
			return err
		}
		// "Répondu par" names who wrote the note first, not who edited it
		// last; a note after "nothing to report" or a skip is a new answer.
		if _, err := tx.ExecContext(ctx, `UPDATE checkin_prompts SET status = 'answered',
			answered_by = CASE WHEN status = 'answered' THEN answered_by ELSE $2 END,
			answered_at = CASE WHEN status = 'answered' THEN answered_at ELSE now() END
			WHERE id = $1`, in.PromptID, p.personID); err != nil {
			return wrap("mark prompt answered", err)
		}
		out.DMs, err = ops{tx: tx, actor: actor}.TouchPrompts(ctx, actor, []int64{in.PromptID})
		return err
	})
	return out, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// setNoteThemes makes a note's themes exactly slugs; an unknown slug is
// domain.ErrInvalid.
func setNoteThemes(ctx context.Context, tx *sqlx.Tx, noteID int64, slugs []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM progress_note_themes WHERE note_id = $1`, noteID); err != nil {
		return wrap("clear note themes", err)
	}
	if len(slugs) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO progress_note_themes (note_id, theme_id)
		SELECT $1, id FROM themes WHERE slug = ANY($2) ON CONFLICT DO NOTHING`, noteID, pq.StringArray(slugs))
	if err != nil {
		return wrap("note themes", err)
	}
	if n, _ := res.RowsAffected(); int(n) != len(unique(slugs)) {
		return fmt.Errorf("note themes %v: unknown theme: %w", slugs, domain.ErrInvalid)
	}
	return nil
}

func unique(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// lockedPrompt is a prompt locked for a change by one of its respondents.
type lockedPrompt struct {
	orgID, personID int64
	status          string
	roundOpen       bool
	hasNote         bool
}

// lockPromptFor locks prompt promptID for a change by slackUserID, after
// checking that they may make it. What the change depends on (a note
// written, the round still open) is read by a second statement, after the
// lock: under READ COMMITTED a statement that waited for a lock re-reads
// only the locked row, and would see a note or a closing committed
// meanwhile as if it had not happened.
func lockPromptFor(ctx context.Context, tx *sqlx.Tx, promptID int64, slackUserID string) (lockedPrompt, error) {
	var row struct {
		OrgID    int64  `db:"organisation_id"`
		PersonID int64  `db:"person_id"`
		Status   string `db:"status"`
	}
	err := sqlx.GetContext(ctx, tx, &row, `
		SELECT pr.organisation_id, pe.id AS person_id, pr.status::text AS status
		FROM checkin_prompts pr JOIN people pe ON pe.slack_user_id = $2
		WHERE pr.id = $1 AND `+mayAnswer+`
		FOR UPDATE OF pr`, promptID, slackUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return lockedPrompt{}, ErrNotRespondent
	}
	if err != nil {
		return lockedPrompt{}, wrap("lock prompt", err)
	}
	var now struct {
		RoundOpen bool `db:"round_open"`
		HasNote   bool `db:"has_note"`
	}
	if err := sqlx.GetContext(ctx, tx, &now, `
		SELECT r.status = 'open' AS round_open,
			EXISTS (SELECT 1 FROM progress_notes n WHERE n.prompt_id = pr.id) AS has_note
		FROM checkin_prompts pr JOIN checkin_rounds r ON r.id = pr.round_id WHERE pr.id = $1`, promptID); err != nil {
		return lockedPrompt{}, wrap("locked prompt", err)
	}
	return lockedPrompt{row.OrgID, row.PersonID, row.Status, now.RoundOpen, now.HasNote}, nil
}

// LockPromptFor locks prompt promptID, in the caller's transaction, for a
// change by slackUserID, after checking they may make it
// (ErrNotRespondent): what is read next (the note's thread replies) cannot
// change before the transaction ends.
func (o ops) LockPromptFor(ctx context.Context, promptID int64, slackUserID string) error {
	if o.tx == nil {
		return fmt.Errorf("lock prompt %d outside a transaction: %w", promptID, domain.ErrInvalid)
	}
	_, err := lockPromptFor(ctx, o.tx, promptID, slackUserID)
	return err
}

// OutcomeResult is what SetPromptOutcome did.
type OutcomeResult struct {
	// Changed is false when the prompt already had that outcome (a double
	// click): nothing was written.
	Changed bool
	DMs     []PromptDM
}

// SetPromptOutcome records that a Table has nothing to report
// (PromptNothingToReport) or skips this round (PromptSkipped), and who said
// so. It needs an open round (ErrRoundClosed) and a Table whose note is not
// written (ErrAlreadyAnswered: the note is edited, never dropped by a click).
func (o ops) SetPromptOutcome(ctx context.Context, actor Actor, promptID int64, slackUserID, outcome string) (OutcomeResult, error) {
	var out OutcomeResult
	if outcome != PromptNothingToReport && outcome != PromptSkipped {
		return out, fmt.Errorf("prompt outcome %q: %w", outcome, domain.ErrInvalid)
	}
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		p, err := lockPromptFor(ctx, tx, promptID, slackUserID)
		switch {
		case err != nil:
			return err
		case p.hasNote:
			return ErrAlreadyAnswered
		case !p.roundOpen:
			return ErrRoundClosed
		case p.status == outcome:
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checkin_prompts SET status = $2::prompt_status, answered_by = $3,
			answered_at = now() WHERE id = $1`, promptID, outcome, p.personID); err != nil {
			return wrap("prompt outcome", err)
		}
		out.Changed = true
		out.DMs, err = ops{tx: tx, actor: actor}.TouchPrompts(ctx, actor, []int64{promptID})
		return err
	})
	return out, err
}

// RecordRefused audits an attempt the server refused (a payload naming a
// prompt that is not the actor's Table's), in its own transaction: the
// refusal is kept whatever the caller does next.
func (o ops) RecordRefused(ctx context.Context, actor Actor, entity string, entityID int64, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("refusal details: %w", err)
	}
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id, after)
			VALUES (current_setting('relais.actor'), 'refused', $1, $2, $3::jsonb)`,
			entity, strconv.FormatInt(entityID, 10), string(b))
		return wrap("record refusal", err)
	})
}

// TableInitiative is an initiative a Table leads, as a note may name it.
type TableInitiative struct {
	ID    int64  `db:"id"`
	Code  string `db:"code"`
	Title string `db:"title"`
}

// TableInitiatives lists, by title, at most limit initiatives that
// organisation orgID leads and that are not over: what a note may be about.
func (o ops) TableInitiatives(ctx context.Context, orgID int64, limit int) ([]TableInitiative, error) {
	var out []TableInitiative
	err := sqlx.SelectContext(ctx, o.q(), &out, `SELECT id, code, title FROM initiatives
		WHERE lead_organisation_id = $1 AND status <> 'completed' ORDER BY title, id LIMIT $2`, orgID, limit)
	return out, wrap("table initiatives", err)
}
