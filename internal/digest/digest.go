// Package digest builds month M's digest from the data (Build, a pure
// function of the database's content and M) and renders it: Slack messages
// (a parent and its thread replies, each within Block Kit's limits),
// Markdown for an e-mail or the evaluation report, and JSON. Publishing it
// (jobs, channels, re-sends) and its chart live beside it.
package digest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
)

// Audience is who a digest is written for: it decides which notes it quotes
// and whether participation names the Tables.
type Audience string

const (
	// Partnership digests quote only notes shared with the partnership and
	// count the others; participation is counts only.
	Partnership Audience = "partnership"
	// Coordinators digests quote every note and name the Tables.
	Coordinators Audience = "coordinators"
)

// ParseAudience accepts "partnership"/"partenariat" and
// "coordinators"/"coordination".
func ParseAudience(s string) (Audience, bool) {
	switch domain.MatchKey(s) {
	case "partnership", "partenariat", "partners", "partenaires":
		return Partnership, true
	case "coordinators", "coordination", "coordinateurs", "coordinatrices":
		return Coordinators, true
	}
	return "", false
}

// Valid reports whether a is one of the two audiences.
func (a Audience) Valid() bool { return a == Partnership || a == Coordinators }

// Month is a calendar month, the period a digest covers.
type Month struct {
	Year  int
	Month time.Month
}

// ErrBadAudience is an audience other than partnership or coordinators.
var ErrBadAudience = fmt.Errorf("a digest audience is partnership or coordinators: %w", domain.ErrInvalid)

// ErrBadMonth is a month that is not YYYY-MM.
var ErrBadMonth = fmt.Errorf("a month is written YYYY-MM: %w", domain.ErrInvalid)

// Parse reads "2026-10" (also "2026-1" and "10/2026").
func Parse(s string) (Month, error) {
	s = strings.TrimSpace(s)
	var ys, ms string
	if y, m, ok := strings.Cut(s, "-"); ok {
		ys, ms = y, m
	} else if m, y, ok := strings.Cut(s, "/"); ok {
		ys, ms = y, m
	} else {
		return Month{}, fmt.Errorf("%q: %w", s, ErrBadMonth)
	}
	y, err1 := strconv.Atoi(ys)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || len(ys) != 4 || m < 1 || m > 12 || y < 2000 || y > 2200 {
		return Month{}, fmt.Errorf("%q: %w", s, ErrBadMonth)
	}
	return Month{y, time.Month(m)}, nil
}

// MonthOf is the month t falls in, in t's location.
func MonthOf(t time.Time) Month { return Month{t.Year(), t.Month()} }

// String is "2026-10".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// First is the month's first day (UTC midnight, as dates are stored).
func (m Month) First() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Last is the month's last day.
func (m Month) Last() time.Time { return m.First().AddDate(0, 1, -1) }

// Prev is the month before.
func (m Month) Prev() Month { return MonthOf(m.First().AddDate(0, -1, 0)) }

// Next is the month after.
func (m Month) Next() Month { return MonthOf(m.First().AddDate(0, 1, 0)) }

// IsZero reports the zero Month.
func (m Month) IsZero() bool { return m.Year == 0 }

// MarshalText writes "2026-10" (JSON).
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads "2026-10".
func (m *Month) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// EndingWindow is how far after the month's last day a grant's end counts as
// "ending soon".
const EndingWindow = 90 // days

// Digest is the content of month M's digest for one audience: data only,
// rendered by Messages, Markdown and JSON.
type Digest struct {
	Month    Month    `json:"month"`
	Audience Audience `json:"audience"`
	// PreviousPermalink is the previous digest's message in the channel,
	// filled by the publisher; the header links it when set.
	PreviousPermalink string `json:"previous_permalink,omitempty"`

	// Quartiers is how many quartiers have a Table de quartier.
	Quartiers int `json:"quartiers"`
	// Highlights holds one entry per note of M and per late note of M−1,
	// by quartier name.
	Highlights []Highlight `json:"highlights"`
	// Silent are the quartiers with no note of M (nor late note of M−1).
	Silent []QuartierRef `json:"silent"`

	Connections   Connections   `json:"connections"`
	Funding       Funding       `json:"funding"`
	Systems       SystemsChange `json:"systems_change"`
	Participation Participation `json:"participation"`
}

// QuartierRef names a quartier.
type QuartierRef struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Person is someone to contact, mentioned by Slack id.
type Person struct {
	SlackUserID string `json:"slack_user_id"`
	Name        string `json:"name"`
}

// Theme is a priority issue in both languages.
type Theme struct {
	Slug   string `json:"slug"`
	NameFr string `json:"name_fr"`
	NameEn string `json:"name_en"`
}

// Name is the theme's name in lang.
func (t Theme) Name(lang domain.Language) string {
	return domain.Theme{Slug: t.Slug, NameFr: t.NameFr, NameEn: t.NameEn}.Name(lang)
}

// Highlight is one quartier's note of M (or a late note of M−1) in a few
// lines. A note the audience may not read is Withheld: counted, never quoted.
type Highlight struct {
	Quartier QuartierRef `json:"quartier"`
	NoteID   int64       `json:"note_id"`
	Period   Month       `json:"period"`
	// Late: a note of M−1 that arrived after its round closed.
	Late     bool            `json:"late,omitempty"`
	Withheld bool            `json:"withheld,omitempty"`
	Language domain.Language `json:"language,omitempty"`
	// Excerpts are the first sentence(s) of each answer.
	Excerpts   []Excerpt          `json:"excerpts,omitempty"`
	Themes     []Theme            `json:"themes,omitempty"`
	Conditions []domain.Condition `json:"conditions,omitempty"`
}

// Excerpt is the start of one answer; Cut says text was left out.
type Excerpt struct {
	Text string `json:"text"`
	Cut  bool   `json:"cut,omitempty"`
}

// ConnectionKind says what a connection's quartiers share.
type ConnectionKind string

const (
	ByTheme      ConnectionKind = "theme"      // notes of M share a theme
	ByCondition  ConnectionKind = "condition"  // notes of M share a condition
	ByFollow     ConnectionKind = "follow"     // people follow a theme quartiers act on
	ByInitiative ConnectionKind = "initiative" // initiatives share a theme and a funder
)

// Connections are the groups of quartiers that could talk to each other (or
// to regional partners), at most MaxGroups per kind.
type Connections struct {
	Themes      Groups `json:"themes"`
	Conditions  Groups `json:"conditions"`
	Follows     Groups `json:"follows"`
	Initiatives Groups `json:"initiatives"`
}

// MaxGroups is how many groups of one kind a digest shows.
const MaxGroups = 5

// Groups are the first MaxGroups connections of a kind, ranked by the number
// of quartiers, and how many more there were.
type Groups struct {
	Groups []Connection `json:"groups"`
	More   int          `json:"more"`
}

// Connection is quartiers sharing something, and whom to contact.
type Connection struct {
	Kind      ConnectionKind   `json:"kind"`
	Key       string           `json:"key"` // theme slug, condition, or "theme/funder"
	Theme     *Theme           `json:"theme,omitempty"`
	Condition domain.Condition `json:"condition,omitempty"`
	Funder    string           `json:"funder,omitempty"`
	Quartiers []Contact        `json:"quartiers"`
	// Followers are the people who follow the theme (ByFollow).
	Followers []Person `json:"followers,omitempty"`
	// Initiatives are the initiatives concerned (ByInitiative).
	Initiatives []InitiativeRef `json:"initiatives,omitempty"`
	// Continuing: the same connection was found for M−1.
	Continuing bool `json:"continuing,omitempty"`
}

// Contact is a quartier of a connection and its Table's respondents.
type Contact struct {
	Quartier    QuartierRef `json:"quartier"`
	Respondents []Person    `json:"respondents,omitempty"`
}

// InitiativeRef names an initiative.
type InitiativeRef struct {
	Code     string `json:"code"`
	Title    string `json:"title"`
	Quartier string `json:"quartier"`
}

// Funding is what starts in M and what ends within EndingWindow days after
// its last day, financial and non-financial support apart.
type Funding struct {
	Starting Grants `json:"starting"`
	Ending   Grants `json:"ending"`
}

// Grants splits grants by kind of support.
type Grants struct {
	Financial    []Grant `json:"financial"`
	NonFinancial []Grant `json:"non_financial"`
}

// Grant is one funding line.
type Grant struct {
	Code            string    `json:"code"`
	InitiativeCode  string    `json:"initiative_code"`
	InitiativeTitle string    `json:"initiative_title"`
	Quartier        string    `json:"quartier,omitempty"` // "" for a regional initiative
	Funder          string    `json:"funder"`
	Cents           int64     `json:"cents"`
	Description     string    `json:"description,omitempty"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
}

// SystemsChange counts the notes of M that touched each condition, beside the
// three months before (Months[0] is M−3, Months[3] is M).
type SystemsChange struct {
	Months [4]Month          `json:"months"`
	Notes  [4]int            `json:"notes"`
	Counts []ConditionCounts `json:"counts"`
}

// ConditionCounts is one condition's count of notes per month.
type ConditionCounts struct {
	Condition domain.Condition `json:"condition"`
	Counts    [4]int           `json:"counts"`
}

// Participation is the round for M: its response rate and who answered.
// Names are filled only in a coordinators' digest.
type Participation struct {
	HasRound bool   `json:"has_round"`
	RoundID  int64  `json:"round_id,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	Open     bool   `json:"open,omitempty"`
	// Tables asked, and of them: a note, nothing to report, skipped, no answer.
	Asked           int `json:"asked"`
	Answered        int `json:"answered"`
	NothingToReport int `json:"nothing_to_report"`
	Skipped         int `json:"skipped"`
	NotAnswered     int `json:"not_answered"`
	// By name (coordinators' digest only).
	AnsweredNames    []string `json:"answered_names,omitempty"`
	NothingNames     []string `json:"nothing_to_report_names,omitempty"`
	SkippedNames     []string `json:"skipped_names,omitempty"`
	NotAnsweredNames []string `json:"not_answered_names,omitempty"`
}

// Responded is the Tables that answered: a note, nothing to report or skipped.
func (p Participation) Responded() int { return p.Answered + p.NothingToReport + p.Skipped }

// RatePercent is the response rate, rounded, never 100 while a Table is
// silent nor 0 once one answered; -1 without Tables asked.
func (p Participation) RatePercent() int {
	if p.Asked == 0 {
		return -1
	}
	n := p.Responded()
	pct := (n*200 + p.Asked) / (2 * p.Asked)
	switch {
	case n < p.Asked && pct == 100:
		pct = 99
	case n > 0 && pct == 0:
		pct = 1
	}
	return pct
}

// Empty reports a month without any note.
func (d Digest) Empty() bool { return len(d.Highlights) == 0 }

// Part is one Slack message of a digest: Parts[0] is the parent, the others
// its thread replies.
type Part struct {
	Text   string
	Blocks []slack.Block
}

// ActionOpenNote is the action id of a highlight's "Lire la note" button; its
// value is the note's id. The handler decides from its own records whether
// the clicker may read the note: the value only says which one.
const ActionOpenNote = "digest_open_note"
