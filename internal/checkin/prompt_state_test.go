package checkin_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

func buttonsOf(blocks []slack.Block) []string {
	var ids []string
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				ids = append(ids, e.(*slack.ButtonBlockElement).ActionID)
			}
		}
	}
	return ids
}

// A prompt DM says what became of its prompt, with the buttons that still
// make sense, in each language, within Slack's limits, escaping what people
// wrote; the longest note is cut, never the message.
func TestStateMessage(t *testing.T) {
	long := strings.Repeat("Une très longue réponse <!channel> & co. ", 400)
	note := &store.StoredNote{Body: "b", Answers: map[string]string{"progress": "Ça avance <@U1> & <https://x|y>",
		"help": long}, Visibility: domain.CoordinatorsOnly}
	for _, lang := range []domain.Language{domain.French, domain.English} {
		for _, c := range []struct {
			name      string
			in        checkin.StateInput
			want      []string
			buttons   []string
			forbidden []string
		}{
			{"waiting", checkin.StateInput{Status: store.PromptSent, RoundOpen: true}, nil,
				[]string{checkin.ActionAnswer, checkin.ActionNothing, checkin.ActionSkip}, nil},
			{"answered by the reader", checkin.StateInput{Status: store.PromptAnswered, RoundOpen: true, AnsweredBy: "Sam",
				ByReader: true, Note: note}, []string{"Ça avance &lt;@U1&gt; &amp; &lt;https://x|y&gt;"},
				[]string{checkin.ActionEdit}, []string{"<!channel>", "<@U1>"}},
			{"answered by another", checkin.StateInput{Status: store.PromptAnswered, RoundOpen: true, AnsweredBy: "Robin <b>",
				Note: note}, []string{"Robin &lt;b&gt;"}, []string{checkin.ActionEdit}, nil},
			{"nothing to report", checkin.StateInput{Status: store.PromptNothingToReport, RoundOpen: true, AnsweredBy: "Sam"},
				[]string{"Sam"}, []string{checkin.ActionAnswer}, nil},
			{"skipped", checkin.StateInput{Status: store.PromptSkipped, RoundOpen: true, AnsweredBy: "Sam"},
				[]string{"Sam"}, []string{checkin.ActionAnswer}, nil},
			{"answered, in the Table's channel", checkin.StateInput{Status: store.PromptAnswered, RoundOpen: true,
				AnsweredBy: "Sam", ByReader: true, Note: note, Shared: true}, []string{"Sam"}, nil,
				[]string{"Ça avance", "Une très longue", "Merci, reçu", "Thank you, received"}},
			{"its reader left the Table", checkin.StateInput{Status: store.PromptAnswered, RoundOpen: true, AnsweredBy: "Sam",
				Note: note, ReaderGone: true}, nil, nil, []string{"Ça avance", "Sam"}},
			{"waiting, its reader left the Table", checkin.StateInput{Status: store.PromptSent, RoundOpen: true,
				ReaderGone: true}, nil, nil, nil},
			{"closed unanswered", checkin.StateInput{Status: store.PromptExpired}, nil, nil, nil},
			{"closed answered", checkin.StateInput{Status: store.PromptAnswered, AnsweredBy: "Sam", Note: note}, nil, nil, nil},
		} {
			c.in.PromptInput = promptInput(lang)
			text, blocks := checkin.StateMessage(c.in)
			if err := blockkit.ValidateMessage(text, blocks); err != nil {
				t.Errorf("%s, %s: %v", c.name, lang, err)
			}
			got := all(t, text, blocks)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s, %s: lacks %q:\n%s", c.name, lang, w, got)
				}
			}
			for _, f := range c.forbidden {
				if strings.Contains(got, f) {
					t.Errorf("%s, %s: shows %q raw", c.name, lang, f)
				}
			}
			if b := buttonsOf(blocks); strings.Join(b, ",") != strings.Join(c.buttons, ",") {
				t.Errorf("%s, %s: buttons %v, want %v", c.name, lang, b, c.buttons)
			}
		}
	}
}
