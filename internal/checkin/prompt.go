package checkin

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// Action ids of the prompt's buttons; package commands routes them. Their
// value is the prompt id only: a hint of which prompt, never proof of who
// may answer it.
const (
	ActionAnswer  = "checkin:answer"
	ActionNothing = "checkin:nothing"
	ActionSkip    = "checkin:skip"
)

// PromptInput is what a prompt DM says.
type PromptInput struct {
	Lang         domain.Language
	ScheduleName string
	TableName    string
	Period       schedule.Date // the month asked about (its first day)
	Questions    store.Questions
	// ClosesAt is the deadline, shown in its own location.
	ClosesAt time.Time
	// Readers is who will read the note; empty is the partnership.
	Readers domain.Visibility
	// Late marks a round opened after its time (ScheduledFor).
	Late         bool
	ScheduledFor time.Time
	PromptID     int64
}

// PromptMessage is the DM asking one respondent for their Table's note, in
// their language: its plain text (always set) and its blocks, within
// Block Kit's limits.
func PromptMessage(in PromptInput) (string, []slack.Block) {
	lang, t, month, table := in.words()
	deadline := DateTime(lang, in.ClosesAt)

	blocks := []slack.Block{
		blockkit.Header(t("checkin.prompt.header", month)),
		blockkit.Section(t("checkin.prompt.intro", table, month)),
	}
	if in.Late {
		blocks = append(blocks, blockkit.Context(t("checkin.prompt.late", DateTime(lang, in.ScheduledFor.In(in.ClosesAt.Location())))))
	}
	lines := []string{t("checkin.prompt.questions")}
	for i, q := range in.Questions {
		text := q.FR
		if lang == domain.English && q.EN != "" {
			text = q.EN
		}
		lines = append(lines, fmt.Sprintf("%d. %s", i+1, blockkit.Escape(text)))
	}
	blocks = append(blocks, blockkit.Section(strings.Join(lines, "\n")))
	readers := "checkin.prompt.readers.partnership"
	if in.Readers == domain.CoordinatorsOnly {
		readers = "checkin.prompt.readers.coordinators"
	}
	blocks = append(blocks,
		blockkit.Section(t("checkin.prompt.deadline", deadline)+"\n"+t(readers)),
		blockkit.Context(t("checkin.prompt.privacy")),
		blockkit.Actions("checkin_prompt:"+strconv.FormatInt(in.PromptID, 10),
			primary(blockkit.Button(ActionAnswer, t("checkin.button.answer"), strconv.FormatInt(in.PromptID, 10))),
			blockkit.Button(ActionNothing, t("checkin.button.nothing"), strconv.FormatInt(in.PromptID, 10)),
			blockkit.Button(ActionSkip, t("checkin.button.skip"), strconv.FormatInt(in.PromptID, 10))),
	)
	text := t("checkin.prompt.text", month, blockkit.Escape(in.TableName), deadline)
	return text, blocks
}

// words are what every message about a prompt starts from: its language
// (French unless English), the sentences in it, the month asked about and
// the Table's name, escaped.
func (in PromptInput) words() (lang domain.Language, t func(string, ...any) string, month, table string) {
	lang = in.Lang
	if lang != domain.English {
		lang = domain.French
	}
	t = func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	return lang, t, i18n.Month(lang, in.Period.Year, int(in.Period.Month)), blockkit.Escape(in.TableName)
}

func primary(b *slack.ButtonBlockElement) *slack.ButtonBlockElement {
	b.Style = slack.StylePrimary
	return b
}

// DateTime formats a local date and time: "19 janvier 2027 à 17 h",
// "January 19, 2027 at 5 p.m.".
func DateTime(lang domain.Language, t time.Time) string {
	date := i18n.Date(lang, t.Year(), int(t.Month()), t.Day())
	return i18n.T(lang, "checkin.datetime", date, clock(lang, t))
}

func clock(lang domain.Language, t time.Time) string {
	h, m := t.Hour(), t.Minute()
	if lang != domain.English {
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %02d", h, m)
	}
	suffix := "a.m."
	if h >= 12 {
		suffix = "p.m."
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	if m == 0 {
		return fmt.Sprintf("%d %s", h12, suffix)
	}
	return fmt.Sprintf("%d:%02d %s", h12, m, suffix)
}

// noRespondentAlert tells coordinators that a Table of a round has nobody to
// ask: once per round and Table, whatever retries or replicas do.
func noRespondentAlert(roundID int64, scheduleName string, t store.AudienceTable, period schedule.Date) delivery.Alert {
	return delivery.Alert{
		Key:  fmt.Sprintf("no-respondent:round:%d:org:%d", roundID, t.OrganisationID),
		Kind: KindNoRespondent,
		Render: func(lang domain.Language) (string, json.RawMessage) {
			text := i18n.T(lang, "checkin.alert.no_respondent", blockkit.Escape(t.Name),
				i18n.Month(lang, period.Year, int(period.Month)), blockkit.Escape(scheduleName))
			raw, _ := json.Marshal([]slack.Block{blockkit.Section(text)}) // a section always encodes
			return text, raw
		},
	}
}

// RenderPrompt is the renderer (delivery.Message.Render) of prompt DMs:
// relais serve registers PromptRenderer under it (jobs.Config.Renderers).
const RenderPrompt = "checkin.prompt"

// PromptRenderer writes the prompt DM of a checkin_recipients row when the
// deliver worker sends it: one query reads the person, their Table, the
// round and its schedule, then PromptMessage renders it. Rendering at send
// time rather than when the round opens means that a respondent who changed
// their language in between gets the DM in their current one (and a renamed
// Table its new name). A recipient that does not exist is a
// domain.ErrNotFound.
func PromptRenderer(ctx context.Context, st *store.Store, recipientID int64) (string, json.RawMessage, error) {
	p, err := st.RecipientPrompt(ctx, recipientID)
	if err != nil {
		return "", nil, err
	}
	return renderAs(p, "prompt", PromptMessage)
}

// renderAs writes what message says of p, as a renderer returns it; what
// names it in errors.
func renderAs(p store.RecipientPrompt, what string, message func(PromptInput) (string, []slack.Block)) (string, json.RawMessage, error) {
	in, err := promptInputOf(p)
	if err != nil {
		return "", nil, fmt.Errorf("%s for recipient %d: %w", what, p.RecipientID, err)
	}
	text, blocks := message(in)
	raw, err := json.Marshal(blocks)
	if err != nil {
		return "", nil, fmt.Errorf("%s blocks: %w", what, err)
	}
	return text, raw, nil
}
