package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// Round is one check-in round: an occurrence of a schedule, opened once.
type Round struct {
	ID            int64      `db:"id"`
	ScheduleID    int64      `db:"schedule_id"`
	OccurrenceKey string     `db:"occurrence_key"`
	ScheduledFor  time.Time  `db:"scheduled_for"`
	Period        time.Time  `db:"period"`
	Status        string     `db:"status"`
	OpenedAt      time.Time  `db:"opened_at"`
	ClosesAt      time.Time  `db:"closes_at"`
	ClosedAt      *time.Time `db:"closed_at"`
	OpenedLate    bool       `db:"opened_late"`
	OpenedEarly   bool       `db:"opened_early"`
}

// RoundInput is what opening a round writes.
type RoundInput struct {
	ScheduleID    int64
	OccurrenceKey string
	ScheduledFor  time.Time
	Period        time.Time // first day of the month asked about
	OpenedAt      time.Time
	ClosesAt      time.Time
	Late, Early   bool
}

const roundColumns = `r.id, r.schedule_id, r.occurrence_key, r.scheduled_for, r.period, r.status, r.opened_at,
	r.closes_at, r.closed_at, r.opened_late, r.opened_early`

// InsertRound opens a round unless its schedule already has one for that
// occurrence key: created is false then (another replica, a retry or a run
// now got there first) and nothing is written.
func (o ops) InsertRound(ctx context.Context, actor Actor, in RoundInput) (id int64, created bool, err error) {
	err = o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var ids []int64
		err := sqlx.SelectContext(ctx, tx, &ids, `
			INSERT INTO checkin_rounds (schedule_id, occurrence_key, scheduled_for, period, opened_at, closes_at,
				opened_late, opened_early, questions, time_zone)
			SELECT $1, $2, $3, $4::date, $5, $6, $7, $8, s.questions, s.time_zone
			FROM checkin_schedules s WHERE s.id = $1
			ON CONFLICT (schedule_id, occurrence_key) DO NOTHING RETURNING id`,
			in.ScheduleID, in.OccurrenceKey, in.ScheduledFor, in.Period.Format(time.DateOnly), in.OpenedAt,
			in.ClosesAt, in.Late, in.Early)
		if err != nil {
			return wrap("insert round", err)
		}
		if len(ids) == 1 {
			id, created = ids[0], true
		}
		return nil
	})
	return id, created, err
}

// RoundByID returns a round.
func (o ops) RoundByID(ctx context.Context, id int64) (Round, error) {
	var r Round
	err := sqlx.GetContext(ctx, o.q(), &r, `SELECT `+roundColumns+` FROM checkin_rounds r WHERE r.id = $1`, id)
	return r, wrap("round", notFound(err, "round", strconv.FormatInt(id, 10)))
}

// RoundByKey returns a schedule's round for an occurrence key.
func (o ops) RoundByKey(ctx context.Context, scheduleID int64, key string) (Round, error) {
	var r Round
	err := sqlx.GetContext(ctx, o.q(), &r, `SELECT `+roundColumns+` FROM checkin_rounds r
		WHERE r.schedule_id = $1 AND r.occurrence_key = $2`, scheduleID, key)
	return r, wrap("round by key", notFound(err, "round", key))
}

// LatestRound returns a schedule's most recently opened round.
func (o ops) LatestRound(ctx context.Context, scheduleID int64) (Round, error) {
	var r Round
	err := sqlx.GetContext(ctx, o.q(), &r, `SELECT `+roundColumns+` FROM checkin_rounds r
		WHERE r.schedule_id = $1 ORDER BY r.opened_at DESC, r.id DESC LIMIT 1`, scheduleID)
	return r, wrap("latest round", notFound(err, "round", "schedule "+strconv.FormatInt(scheduleID, 10)))
}

// Respondent is a person who answers their Table's check-ins.
type Respondent struct {
	PersonID    int64            `db:"person_id"`
	SlackUserID string           `db:"slack_user_id"`
	DisplayName string           `db:"display_name"`
	Language    *domain.Language `db:"language"`
}

// AudienceTable is a Table a schedule asks, with its respondents.
type AudienceTable struct {
	OrganisationID int64
	Name           string
	SlackChannelID string // "" when the Table has none
	Respondents    []Respondent
}

// AudienceRespondents lists the Tables a schedule asks (all Tables de
// quartier, or its audience) with their respondents: people who answer
// check-ins, active, and not away on today (away_until before today or unset).
func (o ops) AudienceRespondents(ctx context.Context, scheduleID int64, today time.Time) ([]AudienceTable, error) {
	return audienceRespondents(ctx, o.q(), scheduleID, today)
}

func audienceRespondents(ctx context.Context, q queryer, scheduleID int64, today time.Time) ([]AudienceTable, error) {
	var rows []struct {
		OrgID     int64   `db:"organisation_id"`
		OrgName   string  `db:"organisation_name"`
		Channel   *string `db:"slack_channel_id"`
		PersonID  *int64  `db:"person_id"`
		SlackID   *string `db:"slack_user_id"`
		Name      *string `db:"display_name"`
		LangValue *string `db:"language"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT o.id AS organisation_id, o.name AS organisation_name, o.slack_channel_id,
			p.id AS person_id, p.slack_user_id, p.display_name, p.language::text AS language
		FROM checkin_schedules s
		JOIN organisations o ON o.kind = 'table_de_quartier'
			AND (s.audience_all OR EXISTS (SELECT 1 FROM checkin_schedule_audience a
				WHERE a.schedule_id = s.id AND a.organisation_id = o.id))
		LEFT JOIN people p ON p.organisation_id = o.id AND p.answers_checkins AND p.active
			AND (p.away_until IS NULL OR p.away_until < $2::date)
		WHERE s.id = $1
		ORDER BY o.name, o.id, p.id`, scheduleID, today.Format(time.DateOnly))
	if err != nil {
		return nil, wrap("audience respondents", err)
	}
	var out []AudienceTable
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].OrganisationID != r.OrgID {
			t := AudienceTable{OrganisationID: r.OrgID, Name: r.OrgName}
			if r.Channel != nil {
				t.SlackChannelID = *r.Channel
			}
			out = append(out, t)
		}
		if r.PersonID == nil {
			continue
		}
		p := Respondent{PersonID: *r.PersonID, SlackUserID: *r.SlackID, DisplayName: *r.Name}
		if r.LangValue != nil {
			l := domain.Language(*r.LangValue)
			p.Language = &l
		}
		t := &out[len(out)-1]
		t.Respondents = append(t.Respondents, p)
	}
	return out, nil
}

// InsertPrompts writes one pending prompt per Table of a round and returns
// their ids by organisation id.
func (o ops) InsertPrompts(ctx context.Context, actor Actor, roundID int64, orgIDs []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(orgIDs))
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID    int64 `db:"id"`
			OrgID int64 `db:"organisation_id"`
		}
		err := bulkAudited(ctx, tx, "checkin_prompts", map[string]any{"round_id": roundID}, func() (int, error) {
			err := sqlx.SelectContext(ctx, tx, &rows, `INSERT INTO checkin_prompts (round_id, organisation_id)
				SELECT $1, unnest($2::bigint[]) RETURNING id, organisation_id`, roundID, pq.Int64Array(orgIDs))
			return len(rows), wrap("insert prompts", err)
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out[r.OrgID] = r.ID
		}
		return nil
	})
	return out, err
}

// bulkAudited runs insert, a fan-out of many rows (a round's 1,000 prompts),
// with the row-level audit off, and records one 'bulk' audit row instead,
// for the transaction's actor, with the row count and details. A row per
// prompt would triple the cost of opening a round while telling nothing the
// round's own audited row and the rows themselves do not. The rest of the
// transaction is audited row by row as usual.
func bulkAudited(ctx context.Context, q queryer, table string, details map[string]any, insert func() (int, error)) error {
	if _, err := q.ExecContext(ctx, `SELECT set_config('relais.audit_mode', 'bulk', true)`); err != nil {
		return wrap("bulk audit on", err)
	}
	n, err := insert()
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `SELECT set_config('relais.audit_mode', '', true)`); err != nil {
		return wrap("bulk audit off", err)
	}
	after := map[string]any{"rows": n}
	for k, v := range details {
		after[k] = v
	}
	b, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("bulk audit details: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, after)
		VALUES (current_setting('relais.actor'), 'bulk', $1, $2::jsonb)`, table, string(b))
	return wrap("bulk audit", err)
}

// RecipientKey is one (prompt, respondent) pair.
type RecipientKey struct {
	PromptID, PersonID int64
}

// InsertRecipients writes one pending recipient row per (prompt, person) and
// returns their ids.
func (o ops) InsertRecipients(ctx context.Context, actor Actor, keys []RecipientKey) (map[RecipientKey]int64, error) {
	out := make(map[RecipientKey]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	prompts := make(pq.Int64Array, len(keys))
	people := make(pq.Int64Array, len(keys))
	for i, k := range keys {
		prompts[i], people[i] = k.PromptID, k.PersonID
	}
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID       int64 `db:"id"`
			PromptID int64 `db:"prompt_id"`
			PersonID int64 `db:"person_id"`
		}
		err := bulkAudited(ctx, tx, "checkin_recipients", nil, func() (int, error) {
			err := sqlx.SelectContext(ctx, tx, &rows, `INSERT INTO checkin_recipients (prompt_id, person_id)
				SELECT * FROM unnest($1::bigint[], $2::bigint[]) RETURNING id, prompt_id, person_id`, prompts, people)
			return len(rows), wrap("insert recipients", err)
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			out[RecipientKey{r.PromptID, r.PersonID}] = r.ID
		}
		return nil
	})
	return out, err
}

// PromptCounts counts a round's prompts by what became of them. Pending
// includes prompts sent and not yet answered.
type PromptCounts struct {
	Answered        int `db:"answered"`
	NothingToReport int `db:"nothing_to_report"`
	Skipped         int `db:"skipped"`
	Expired         int `db:"expired"`
	Pending         int `db:"pending"`
}

// Total is the number of prompts.
func (c PromptCounts) Total() int {
	return c.Answered + c.NothingToReport + c.Skipped + c.Expired + c.Pending
}

// TablePromptStatus is one Table's prompt in a round.
type TablePromptStatus struct {
	PromptID       int64      `db:"prompt_id"`
	OrganisationID int64      `db:"organisation_id"`
	Name           string     `db:"name"`
	Status         string     `db:"status"`
	Recipients     int        `db:"recipients"`
	AnsweredAt     *time.Time `db:"answered_at"`
}

// RoundStatus counts a round's prompts and lists each Table's, by name, on
// one snapshot.
func (o ops) RoundStatus(ctx context.Context, roundID int64) (PromptCounts, []TablePromptStatus, error) {
	var c PromptCounts
	var tables []TablePromptStatus
	err := o.snapshot(ctx, func(q queryer) error {
		err := sqlx.GetContext(ctx, q, &c, `SELECT
				count(*) FILTER (WHERE status = 'answered') AS answered,
				count(*) FILTER (WHERE status = 'nothing_to_report') AS nothing_to_report,
				count(*) FILTER (WHERE status = 'skipped') AS skipped,
				count(*) FILTER (WHERE status = 'expired') AS expired,
				count(*) FILTER (WHERE status IN ('pending', 'sent')) AS pending
			FROM checkin_prompts WHERE round_id = $1`, roundID)
		if err != nil {
			return wrap("round counts", err)
		}
		err = sqlx.SelectContext(ctx, q, &tables, `
			SELECT pr.id AS prompt_id, pr.organisation_id, o.name, pr.status::text AS status,
				(SELECT count(*) FROM checkin_recipients r WHERE r.prompt_id = pr.id) AS recipients, pr.answered_at
			FROM checkin_prompts pr JOIN organisations o ON o.id = pr.organisation_id
			WHERE pr.round_id = $1 ORDER BY o.name, o.id`, roundID)
		return wrap("round tables", err)
	})
	return c, tables, err
}

// RoundCounts is RoundStatus's counts for several rounds at once, by round id.
func (o ops) RoundCounts(ctx context.Context, roundIDs []int64) (map[int64]PromptCounts, error) {
	var rows []struct {
		RoundID int64 `db:"round_id"`
		PromptCounts
	}
	err := sqlx.SelectContext(ctx, o.q(), &rows, `SELECT round_id,
			count(*) FILTER (WHERE status = 'answered') AS answered,
			count(*) FILTER (WHERE status = 'nothing_to_report') AS nothing_to_report,
			count(*) FILTER (WHERE status = 'skipped') AS skipped,
			count(*) FILTER (WHERE status = 'expired') AS expired,
			count(*) FILTER (WHERE status IN ('pending', 'sent')) AS pending
		FROM checkin_prompts WHERE round_id = ANY($1) GROUP BY round_id`, pq.Int64Array(roundIDs))
	if err != nil {
		return nil, wrap("round counts", err)
	}
	out := make(map[int64]PromptCounts, len(rows))
	for _, r := range rows {
		out[r.RoundID] = r.PromptCounts
	}
	return out, nil
}

// RoundsOf lists a schedule's rounds, latest first, at most limit.
func (o ops) RoundsOf(ctx context.Context, scheduleID int64, limit int) ([]Round, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("rounds of schedule: limit %d: %w", limit, domain.ErrInvalid)
	}
	var out []Round
	err := sqlx.SelectContext(ctx, o.q(), &out, `SELECT `+roundColumns+` FROM checkin_rounds r
		WHERE r.schedule_id = $1 ORDER BY r.opened_at DESC, r.id DESC LIMIT $2`, scheduleID, limit)
	return out, wrap("rounds of schedule", err)
}

// RecipientPrompt is what one recipient's prompt DM says, read when it is
// sent (checkin.PromptRenderer): the person's current language, their
// Table's current name, and their round as it was opened.
type RecipientPrompt struct {
	RecipientID int64  `db:"recipient_id"`
	PromptID    int64  `db:"prompt_id"`
	SlackUserID string `db:"slack_user_id"`
	// Language is the person's, French when they chose none.
	Language     domain.Language `db:"language"`
	TableName    string          `db:"table_name"`
	ScheduleName string          `db:"schedule_name"`
	Questions    Questions       `db:"questions"`
	// TimeZone is the schedule's IANA zone ("" for the default), in which
	// the deadline and the scheduled time are shown.
	TimeZone     string    `db:"time_zone"`
	Period       time.Time `db:"period"` // first day of the month asked about
	ClosesAt     time.Time `db:"closes_at"`
	ScheduledFor time.Time `db:"scheduled_for"`
	OpenedLate   bool      `db:"opened_late"`
}

// recipientPromptSelect reads a RecipientPrompt; the caller adds its WHERE.
const recipientPromptSelect = `
	SELECT rc.id AS recipient_id, pr.id AS prompt_id, pe.slack_user_id,
		coalesce(pe.language::text, 'fr') AS language, o.name AS table_name, s.name AS schedule_name,
		-- The round's own copy: a schedule edited since does not change it.
		coalesce(r.questions, s.questions) AS questions, coalesce(r.time_zone, s.time_zone) AS time_zone,
		r.period, r.closes_at, r.scheduled_for, r.opened_late`

const recipientPromptFrom = `
	FROM checkin_recipients rc
	JOIN people pe ON pe.id = rc.person_id
	JOIN checkin_prompts pr ON pr.id = rc.prompt_id
	JOIN organisations o ON o.id = pr.organisation_id
	JOIN checkin_rounds r ON r.id = pr.round_id
	JOIN checkin_schedules s ON s.id = r.schedule_id`

// RecipientPrompt reads a recipient's RecipientPrompt in one query; a
// recipient that does not exist is a domain.ErrNotFound.
func (o ops) RecipientPrompt(ctx context.Context, recipientID int64) (RecipientPrompt, error) {
	var p RecipientPrompt
	err := sqlx.GetContext(ctx, o.q(), &p, recipientPromptSelect+recipientPromptFrom+`
		-- A prompt is written when it leaves: only to someone still active at
		-- that Table, while the round is open. Otherwise it is not found, and
		-- the delivery fails with an alert rather than reach the wrong person.
		WHERE rc.id = $1 AND pe.active AND pe.organisation_id = pr.organisation_id AND r.status = 'open'`, recipientID)
	return p, wrap("recipient prompt", notFound(err, "checkin recipient", strconv.FormatInt(recipientID, 10)))
}

// PromptState is a posted prompt DM as it must read now: what it asked, and
// what became of the prompt since.
type PromptState struct {
	RecipientPrompt
	Status    string `db:"status"`
	RoundOpen bool   `db:"round_open"`
	// AnsweredBy is who answered, said nothing to report or skipped; "".
	AnsweredBy string `db:"answered_by"`
	// AnsweredByRecipient: the DM's own reader answered.
	AnsweredByRecipient bool `db:"answered_by_recipient"`
	// InChannel: the prompt went to the Table's channel (its DM was
	// refused), where everyone in the channel sees it.
	InChannel bool `db:"in_channel"`
	// ReaderGone: the person it was sent to is no longer active at that
	// Table; their DM must show neither the note nor the buttons.
	ReaderGone bool `db:"reader_gone"`
	// Note is the Table's note, nil when none is written.
	Note *StoredNote `db:"-"`
}

// PromptState reads recipient recipientID's PromptState, whatever the
// round's status; a recipient that does not exist is a domain.ErrNotFound.
func (o ops) PromptState(ctx context.Context, recipientID int64) (PromptState, error) {
	var p PromptState
	err := o.snapshot(ctx, func(q queryer) error {
		err := sqlx.GetContext(ctx, q, &p, recipientPromptSelect+`, pr.status::text AS status,
				r.status = 'open' AS round_open, coalesce(ab.display_name, '') AS answered_by,
				coalesce(pr.answered_by = rc.person_id, false) AS answered_by_recipient,
				rc.state = 'fallback' AS in_channel,
				NOT (pe.active AND pe.organisation_id = pr.organisation_id) AS reader_gone`+
			recipientPromptFrom+` LEFT JOIN people ab ON ab.id = pr.answered_by
			WHERE rc.id = $1`, recipientID)
		if err != nil {
			return wrap("prompt state", notFound(err, "checkin recipient", strconv.FormatInt(recipientID, 10)))
		}
		p.Note, err = promptNote(ctx, q, p.PromptID)
		return err
	})
	return p, err
}
