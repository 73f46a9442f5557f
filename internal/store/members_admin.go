package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
)

// Refusals of a change to the directory that the coordinators can fix.
var (
	// ErrLastCoordinator refuses removing or demoting the last active
	// coordinator: nobody could manage the directory any more.
	ErrLastCoordinator = fmt.Errorf("the last active coordinator: %w", domain.ErrConflict)
	// ErrNotATable refuses what only a Table de quartier's people may be
	// (the table_member role, answering check-ins).
	ErrNotATable = fmt.Errorf("not a Table de quartier: %w", domain.ErrInvalid)
)

// MemberInput is who to add to an organisation, or move to it.
type MemberInput struct {
	SlackUserID    string
	OrganisationID int64
	// DisplayName is used when set; otherwise the person keeps theirs, and
	// someone new is named by their Slack user id.
	DisplayName string
	// Role, when empty: a person already active or coming back keeps theirs
	// when it fits the organisation (table_member only in a Table), anyone
	// else gets table_member in a Table de quartier and partner elsewhere.
	Role domain.Role
}

// MemberChange is a person before and after a change to the directory.
// Before is nil for someone Relais never knew; Before.Active is false for
// someone who had been removed.
type MemberChange struct {
	Before *domain.Person
	After  domain.Person
	// Organisation is After's.
	Organisation domain.Organisation
	// AwayCleared is the away date a person coming back had, now cleared
	// (nil when there was none, or they were not coming back).
	AwayCleared *time.Time
}

// AddMember adds a person to an organisation, moves them to it, or brings
// back someone removed, in one transaction. A person already active keeps
// their role and whether they answer check-ins, unless they move between a
// Table and another kind of organisation; someone coming back gets their
// previous role when it fits and no longer is away (an old date would
// silently skip them); anyone else answers their Table's check-ins when
// they are one of its members. It refuses table_member
// outside a Table (ErrNotATable) and demoting the last active coordinator
// (ErrLastCoordinator).
func (o ops) AddMember(ctx context.Context, actor Actor, in MemberInput) (MemberChange, error) {
	var ch MemberChange
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		if err := lockDirectory(ctx, tx); err != nil {
			return err
		}
		org, err := organisationByID(ctx, tx, in.OrganisationID)
		if err != nil {
			return err
		}
		before, err := lockPerson(ctx, tx, in.SlackUserID, false)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		isTable := org.Kind == domain.KindTableDeQuartier
		kept := before != nil && before.Active
		returning := before != nil && !before.Active
		role := in.Role
		if role == "" {
			switch {
			case before != nil && (before.Role != domain.RoleTableMember || isTable):
				role = before.Role
			case isTable:
				role = domain.RoleTableMember
			default:
				role = domain.RolePartner
			}
		}
		if role == domain.RoleTableMember && !isTable {
			return ErrNotATable
		}
		if err := keepACoordinator(ctx, tx, before, role, true); err != nil {
			return err
		}
		answers := isTable && role == domain.RoleTableMember
		if kept {
			wasTable, err := isTableOrg(ctx, tx, before.OrganisationID)
			if err != nil {
				return err
			}
			if wasTable == isTable {
				answers = before.AnswersCheckins
			}
		}
		name := strings.TrimSpace(in.DisplayName)
		if name == "" && before != nil {
			name = before.DisplayName
		}
		if name == "" {
			name = in.SlackUserID
		}
		var awayCleared *time.Time
		if returning {
			var away sql.NullTime
			if err := tx.GetContext(ctx, &away, `SELECT away_until FROM people WHERE id = $1`, before.ID); err != nil {
				return wrap("add member", err)
			}
			if away.Valid {
				awayCleared = &away.Time
			}
		}
		var after domain.Person
		err = sqlx.GetContext(ctx, tx, &after, `
			INSERT INTO people AS p (slack_user_id, display_name, organisation_id, role, answers_checkins, active)
			VALUES ($1, $2, $3, $4, $5, true)
			ON CONFLICT (slack_user_id) DO UPDATE SET display_name = excluded.display_name,
				organisation_id = excluded.organisation_id, role = excluded.role,
				answers_checkins = excluded.answers_checkins, active = true,
				away_until = CASE WHEN p.active THEN p.away_until END
			RETURNING `+personColumns, in.SlackUserID, name, org.ID, string(role), answers)
		if err != nil {
			return wrap("add member", err)
		}
		ch = MemberChange{Before: before, After: after, Organisation: org, AwayCleared: awayCleared}
		return nil
	})
	return ch, err
}

// RemoveMember deactivates an active person: never deleted, since notes and
// answers keep their author. Removing the last active coordinator is
// ErrLastCoordinator; someone not active is domain.ErrNotFound.
func (o ops) RemoveMember(ctx context.Context, actor Actor, slackUserID string) (MemberChange, error) {
	return o.changeMember(ctx, actor, slackUserID, func(tx *sqlx.Tx, p *domain.Person) (string, []any, error) {
		if err := keepACoordinator(ctx, tx, p, "", false); err != nil {
			return "", nil, err
		}
		return `active = false`, nil, nil
	})
}

// SetMemberRole changes an active person's role (ErrNotATable,
// ErrLastCoordinator, domain.ErrNotFound as for AddMember).
func (o ops) SetMemberRole(ctx context.Context, actor Actor, slackUserID string, role domain.Role) (MemberChange, error) {
	return o.changeMember(ctx, actor, slackUserID, func(tx *sqlx.Tx, p *domain.Person) (string, []any, error) {
		if role == domain.RoleTableMember {
			table, err := isTableOrg(ctx, tx, p.OrganisationID)
			if err != nil {
				return "", nil, err
			}
			if !table {
				return "", nil, ErrNotATable
			}
		}
		if err := keepACoordinator(ctx, tx, p, role, true); err != nil {
			return "", nil, err
		}
		return `role = $2`, []any{string(role)}, nil
	})
}

// SetAnswersCheckins says whether an active person answers their Table's
// check-ins; only a Table de quartier's people may (ErrNotATable).
func (o ops) SetAnswersCheckins(ctx context.Context, actor Actor, slackUserID string, answers bool) (MemberChange, error) {
	return o.changeMember(ctx, actor, slackUserID, func(tx *sqlx.Tx, p *domain.Person) (string, []any, error) {
		if answers {
			table, err := isTableOrg(ctx, tx, p.OrganisationID)
			if err != nil {
				return "", nil, err
			}
			if !table {
				return "", nil, ErrNotATable
			}
		}
		return `answers_checkins = $2`, []any{answers}, nil
	})
}

// changeMember locks an active person, lets decide check the change and
// name the columns to set (SQL with $2… for its arguments), and writes it.
func (o ops) changeMember(ctx context.Context, actor Actor, slackUserID string,
	decide func(tx *sqlx.Tx, p *domain.Person) (set string, args []any, err error)) (MemberChange, error) {
	var ch MemberChange
	err := o.write(ctx, actor, func(tx *sqlx.Tx) error {
		if err := lockDirectory(ctx, tx); err != nil {
			return err
		}
		before, err := lockPerson(ctx, tx, slackUserID, true)
		if err != nil {
			return err
		}
		set, args, err := decide(tx, before)
		if err != nil {
			return err
		}
		var after domain.Person
		err = sqlx.GetContext(ctx, tx, &after, `UPDATE people p SET `+set+` WHERE p.id = $1 RETURNING `+personColumns,
			append([]any{before.ID}, args...)...)
		if err != nil {
			return wrap("change member", err)
		}
		org, err := organisationByID(ctx, tx, after.OrganisationID)
		if err != nil {
			return err
		}
		ch = MemberChange{Before: before, After: after, Organisation: org}
		return nil
	})
	return ch, err
}

// lockDirectory makes changes to the directory wait for each other, until
// the transaction ends. Each locks the person it changes, and one that
// demotes a coordinator then locks every coordinator: without this, two
// coordinators demoting each other at once deadlock. Such changes are rare
// and quick; other writes to people (a language) do not take it.
func lockDirectory(ctx context.Context, q queryer) error {
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('relais.directory'))`)
	return wrap("lock directory", err)
}

// lockPerson reads a person by Slack user id for update, active or not
// (activeOnly: active only); nil and domain.ErrNotFound when there is none.
func lockPerson(ctx context.Context, q queryer, slackUserID string, activeOnly bool) (*domain.Person, error) {
	var p domain.Person
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+personColumns+` FROM people p
		WHERE p.slack_user_id = $1 AND (p.active OR NOT $2) FOR UPDATE`, slackUserID, activeOnly)
	if err != nil {
		return nil, wrap("lock person", notFound(err, "person", slackUserID))
	}
	return &p, nil
}

// keepACoordinator refuses to leave no active coordinator: when p is one
// and stops being one (removed, or a new role other than coordinator), at
// least one other must stay. Callers hold lockDirectory, so two coordinators
// demoting each other at once cannot both succeed; the rows are locked too,
// against any other writer.
func keepACoordinator(ctx context.Context, q queryer, p *domain.Person, role domain.Role, staysActive bool) error {
	if p == nil || !p.Active || p.Role != domain.RoleCoordinator {
		return nil
	}
	if staysActive && role == domain.RoleCoordinator {
		return nil
	}
	var ids []int64
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM people
		WHERE role = 'coordinator' AND active ORDER BY id FOR UPDATE`)
	if err != nil {
		return wrap("lock coordinators", err)
	}
	for _, id := range ids {
		if id != p.ID {
			return nil
		}
	}
	return ErrLastCoordinator
}

func isTableOrg(ctx context.Context, q queryer, orgID int64) (bool, error) {
	org, err := organisationByID(ctx, q, orgID)
	return org.Kind == domain.KindTableDeQuartier, err
}

// OrganisationMatch is an organisation found from typed text, with how
// (MatchExact, MatchWords, MatchNear, as for quartiers).
type OrganisationMatch struct {
	domain.Organisation
	How string `db:"how"`
}

// FindOrganisations looks an organisation of any kind up by what a user
// typed: its slug or its whole name (case and accents ignored), else names
// holding the typed words, else close names, best first, at most limit.
func (o ops) FindOrganisations(ctx context.Context, typed string, limit int) ([]OrganisationMatch, error) {
	key := strings.ToLower(strings.TrimSpace(typed))
	if key == "" {
		return nil, nil
	}
	var out []OrganisationMatch
	err := sqlx.SelectContext(ctx, o.q(), &out, `SELECT `+organisationColumns+`, 'exact' AS how
		FROM organisations o
		WHERE o.slug = $1 OR immutable_unaccent(lower(o.name)) = immutable_unaccent($2)
		ORDER BY o.name LIMIT $3`, strings.ReplaceAll(key, " ", "-"), key, limit)
	if err != nil || len(out) > 0 {
		return out, wrap("find organisation", err)
	}
	err = sqlx.SelectContext(ctx, o.q(), &out, `SELECT `+organisationColumns+`, 'words' AS how
		FROM organisations o
		WHERE immutable_unaccent(lower(o.name)) LIKE '%' || immutable_unaccent($1) || '%'
		ORDER BY length(o.name), o.name LIMIT $2`, escapeLike(key), limit)
	if err != nil || len(out) > 0 {
		return out, wrap("find organisation", err)
	}
	err = sqlx.SelectContext(ctx, o.q(), &out, `SELECT `+organisationColumns+`, 'near' AS how
		FROM organisations o
		WHERE immutable_unaccent($1) <% immutable_unaccent(lower(o.name))
		ORDER BY word_similarity(immutable_unaccent($1), immutable_unaccent(lower(o.name))) DESC, o.name
		LIMIT $2`, key, limit)
	return out, wrap("find organisation", err)
}

// SetAwayUntil records the last day an active person is away (nil: back),
// so that no check-in prompt nor reminder reaches them until then. Someone
// not active is domain.ErrNotFound.
func (o ops) SetAwayUntil(ctx context.Context, actor Actor, slackUserID string, lastDay *time.Time) error {
	var day *string
	if lastDay != nil {
		d := lastDay.Format(time.DateOnly)
		day = &d
	}
	return o.write(ctx, actor, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE people SET away_until = $2::date
			WHERE slack_user_id = $1 AND active AND away_until IS DISTINCT FROM $2::date`, slackUserID, day)
		if err != nil {
			return wrap("set away", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		// Nothing changed: the same day again, or nobody active by that id.
		_, err = personBySlackID(ctx, tx, slackUserID)
		return err
	})
}

// AwayUntil is the last day an active person is away, nil when they are not.
// The day is a date at midnight UTC; callers read its year, month and day.
func (o ops) AwayUntil(ctx context.Context, slackUserID string) (*time.Time, error) {
	var day []sql.NullTime
	err := sqlx.SelectContext(ctx, o.q(), &day, `SELECT away_until FROM people WHERE slack_user_id = $1 AND active`,
		slackUserID)
	if err != nil {
		return nil, wrap("away until", err)
	}
	if len(day) == 0 {
		return nil, &domain.NotFoundError{Entity: "person", Key: slackUserID}
	}
	if !day[0].Valid {
		return nil, nil
	}
	return &day[0].Time, nil
}

// MemberBySlackID is the person with that Slack user id, active or not; nil
// when Relais never knew them.
func (o ops) MemberBySlackID(ctx context.Context, slackUserID string) (*domain.Person, error) {
	p, err := locklessPerson(ctx, o.q(), slackUserID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

func locklessPerson(ctx context.Context, q queryer, slackUserID string) (*domain.Person, error) {
	var p domain.Person
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+personColumns+` FROM people p WHERE p.slack_user_id = $1`, slackUserID)
	if err != nil {
		return nil, wrap("member by slack id", notFound(err, "person", slackUserID))
	}
	return &p, nil
}

// AwayFrom is the last day away of each of the people named by Slack user
// id who are away on or after day (a date at midnight UTC, as AwayUntil's).
func (o ops) AwayFrom(ctx context.Context, slackUserIDs []string, day time.Time) (map[string]time.Time, error) {
	var rows []struct {
		ID  string    `db:"slack_user_id"`
		Day time.Time `db:"away_until"`
	}
	err := sqlx.SelectContext(ctx, o.q(), &rows, `SELECT slack_user_id, away_until FROM people
		WHERE slack_user_id = ANY($1) AND away_until >= $2::date`, pq.Array(slackUserIDs), day.Format(time.DateOnly))
	if err != nil {
		return nil, wrap("away from", err)
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Day
	}
	return out, nil
}

// OrganisationsWithSlugLike lists the organisations whose slug is closest
// to typed (trigram similarity), best first, at most limit: what the shell
// suggests for a mistyped slug.
func (o ops) OrganisationsWithSlugLike(ctx context.Context, typed string, limit int) ([]domain.Organisation, error) {
	var out []domain.Organisation
	err := sqlx.SelectContext(ctx, o.q(), &out, `SELECT `+organisationColumns+` FROM organisations o
		WHERE similarity(o.slug, $1) > 0.3 ORDER BY similarity(o.slug, $1) DESC, o.slug LIMIT $2`,
		strings.ToLower(strings.TrimSpace(typed)), limit)
	return out, wrap("organisations with slug like", err)
}
