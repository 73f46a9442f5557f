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
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// ActionEdit is the button of an answered prompt's DM that opens the note
// again, prefilled. Like the prompt's buttons, its value is a hint.
const ActionEdit = "checkin:edit"

// RenderPromptState is the renderer of the updates that bring a posted
// prompt DM up to date (PromptUpdates); relais serve registers
// PromptStateRenderer under it.
const RenderPromptState = "checkin.prompt_state"

// noteExcerpt bounds how much of a note a DM repeats: enough to recognise
// it, well within a section's 3,000 characters.
const noteExcerpt = 1200

// StateInput is what a prompt DM says once something became of its prompt.
type StateInput struct {
	PromptInput
	Status    string // store.Prompt…
	RoundOpen bool
	// AnsweredBy is who answered or skipped; ByReader says it was the DM's
	// own reader.
	AnsweredBy string
	ByReader   bool
	Note       *store.StoredNote
	// Shared: the message is in the Table's channel, which people outside
	// the note's readers may see: it says who answered, never what.
	Shared bool
	// ReaderGone: its reader left the Table since; it says no more.
	ReaderGone bool
}

// StateMessage is a prompt DM as it must read now. While the prompt waits
// and its round is open, it is the prompt itself (PromptMessage).
func StateMessage(in StateInput) (string, []slack.Block) {
	lang, t, month, table := in.words()
	if in.ReaderGone {
		text := t("checkin.state.reader_gone", table, month)
		return text, []slack.Block{blockkit.Header(t("checkin.prompt.header", month)), blockkit.Section(text)}
	}
	waiting := in.Status == store.PromptPending || in.Status == store.PromptSent
	if in.RoundOpen && waiting && in.Note == nil {
		return PromptMessage(in.PromptInput)
	}
	who := blockkit.Escape(in.AnsweredBy)
	id := strconv.FormatInt(in.PromptID, 10)
	blocks := []slack.Block{blockkit.Header(t("checkin.prompt.header", month))}
	var text string
	var buttons []slack.BlockElement
	switch {
	case in.Note != nil && in.Shared:
		text = t("checkin.state.answered_by", who, table, month)
		blocks = append(blocks, blockkit.Section(text))
	case in.Note != nil:
		if in.ByReader {
			text = t("checkin.state.received", table, month)
		} else {
			text = t("checkin.state.answered_by", who, table, month)
		}
		blocks = append(blocks, blockkit.Section(text))
		if in.Note.Late {
			blocks = append(blocks, blockkit.Context(t("checkin.state.late")))
		}
		blocks = append(blocks, blockkit.Section(noteSummary(lang, in.Questions, in.Note)))
		readers := "checkin.state.readers.partnership"
		if in.Note.Visibility == domain.CoordinatorsOnly {
			readers = "checkin.state.readers.coordinators"
		}
		blocks = append(blocks, blockkit.Context(t(readers)))
		if in.RoundOpen {
			buttons = append(buttons, blockkit.Button(ActionEdit, t("checkin.button.edit"), id))
		}
	case in.Status == store.PromptNothingToReport:
		text = t("checkin.state.nothing", who, table, month)
		blocks = append(blocks, blockkit.Section(text))
	case in.Status == store.PromptSkipped:
		text = t("checkin.state.skipped", who, table, month)
		blocks = append(blocks, blockkit.Section(text))
	default: // waiting, round closed
		text = t("checkin.state.closed_unanswered", table, month)
		blocks = append(blocks, blockkit.Section(text))
	}
	if in.RoundOpen && in.Note == nil {
		// Nothing to report or a skip can still become a note.
		buttons = append(buttons, primary(blockkit.Button(ActionAnswer, t("checkin.button.answer_anyway"), id)))
	}
	if in.RoundOpen {
		blocks = append(blocks, blockkit.Context(t("checkin.state.open_until", DateTime(lang, in.ClosesAt))))
	} else {
		blocks = append(blocks, blockkit.Context(t("checkin.state.round_closed")))
	}
	if len(buttons) > 0 {
		blocks = append(blocks, blockkit.Actions("checkin_state:"+id, buttons...))
	}
	return blockkit.Fit(text, blocks, t("checkin.state.cut"))
}

// noteSummary repeats a note's answers under their questions, cut to
// noteExcerpt characters.
func noteSummary(lang domain.Language, qs store.Questions, n *store.StoredNote) string {
	var parts []string
	for _, q := range qs {
		a := strings.TrimSpace(n.Answers[q.Key])
		if a == "" {
			continue
		}
		label := q.FR
		if lang == domain.English && q.EN != "" {
			label = q.EN
		}
		parts = append(parts, "*"+blockkit.Escape(label)+"*\n"+quote(blockkit.Escape(a)))
	}
	switch typed := TypedBody(qs, n.Answers); {
	case len(parts) == 0: // a note written in the DM thread: one text
		parts = append(parts, quote(blockkit.Escape(n.Body)))
	case strings.HasPrefix(n.Body, typed) && strings.TrimSpace(n.Body[len(typed):]) != "":
		// Replies in the thread follow the typed answers (NoteBody).
		parts = append(parts, quote(blockkit.Escape(strings.TrimSpace(n.Body[len(typed):]))))
	}
	return blockkit.Truncate(strings.Join(parts, "\n"), noteExcerpt)
}

// quote renders text as a mrkdwn block quote, line by line.
func quote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// PromptStateRenderer writes the update of a posted prompt DM when the
// deliver worker sends it, from the prompt as it is then: an update sent
// late, or after a later one, still says what is true.
func PromptStateRenderer(ctx context.Context, st *store.Store, recipientID int64) (string, json.RawMessage, error) {
	p, err := st.PromptState(ctx, recipientID)
	if err != nil {
		return "", nil, err
	}
	in, err := promptInputOf(p.RecipientPrompt)
	if err != nil {
		return "", nil, fmt.Errorf("prompt state for recipient %d: %w", recipientID, err)
	}
	text, blocks := StateMessage(StateInput{PromptInput: in,
		Status: p.Status, RoundOpen: p.RoundOpen, AnsweredBy: p.AnsweredBy, ByReader: p.AnsweredByRecipient,
		Note: p.Note, Shared: p.InChannel, ReaderGone: p.ReaderGone,
	})
	raw, err := json.Marshal(blocks)
	if err != nil {
		return "", nil, fmt.Errorf("prompt state blocks: %w", err)
	}
	return text, raw, nil
}

// zoneOf loads a round's time zone, the partnership's when it names none.
func zoneOf(zone string) (*time.Location, error) {
	if strings.TrimSpace(zone) == "" {
		zone = schedule.DefaultTimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", zone, domain.ErrInvalid)
	}
	return loc, nil
}
