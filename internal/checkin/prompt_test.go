package checkin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

func promptInput(lang domain.Language) checkin.PromptInput {
	return checkin.PromptInput{Lang: lang, ScheduleName: "Suivi mensuel", TableName: "Table <Verdun> & co",
		Period: schedule.Date{Year: 2026, Month: time.December, Day: 1}, Questions: checkin.DefaultQuestions,
		ClosesAt: local(2027, time.January, 19, 17, 0), ScheduledFor: local(2027, time.January, 5, 9, 0), PromptID: 42}
}

// all is every text of the message, blocks and fallback.
func all(t *testing.T, text string, blocks []slack.Block) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(text)
	for _, bl := range blocks {
		switch x := bl.(type) {
		case *slack.HeaderBlock:
			b.WriteString("\n" + x.Text.Text)
		case *slack.SectionBlock:
			b.WriteString("\n" + x.Text.Text)
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if o, ok := e.(*slack.TextBlockObject); ok {
					b.WriteString("\n" + o.Text)
				}
			}
		case *slack.ActionBlock:
			for _, e := range x.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					b.WriteString("\n[" + btn.ActionID + "=" + btn.Value + "] " + btn.Text.Text)
				}
			}
		}
	}
	return b.String()
}

func TestPromptMessage(t *testing.T) {
	cases := []struct {
		lang domain.Language
		want []string
	}{
		{domain.French, []string{
			"Point d'étape — décembre 2026",
			"*Table &lt;Verdun&gt; &amp; co*", "1. Qu'est-ce qui a avancé ce mois-ci ?",
			"2. Qu'est-ce qui est difficile ?", "3. Quelle aide ou quelle mise en relation vous serait utile ?",
			"*Date limite :* 19 janvier 2027 à 17 h", "le partenariat du PIC", "Ne nommez aucun·e résident·e",
			"`/pic confidentialité`",
			"[checkin:answer=42] Répondre", "[checkin:nothing=42] Rien à signaler", "[checkin:skip=42] Pas ce mois-ci",
		}},
		{domain.English, []string{
			"Check-in — December 2026", "1. What moved forward this month?",
			"*Deadline:* January 19, 2027 at 5 p.m.", "the PIC partnership", "Do not name residents", "`/pic privacy`",
			"[checkin:answer=42] Answer", "[checkin:nothing=42] Nothing to report", "[checkin:skip=42] Skip",
		}},
	}
	for _, c := range cases {
		t.Run(string(c.lang), func(t *testing.T) {
			text, blocks := checkin.PromptMessage(promptInput(c.lang))
			if err := blockkit.ValidateMessage(text, blocks); err != nil {
				t.Fatal(err)
			}
			got := all(t, text, blocks)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			if strings.Contains(got, "retard") || strings.Contains(got, "late") {
				t.Errorf("an on-time prompt says it is late:\n%s", got)
			}
			if strings.Contains(text, "<Verdun>") {
				t.Errorf("unescaped name in the text %q", text)
			}
		})
	}
}

func TestPromptMessageLateAndCoordinatorsOnly(t *testing.T) {
	in := promptInput(domain.French)
	in.Late, in.Readers = true, domain.CoordinatorsOnly
	text, blocks := checkin.PromptMessage(in)
	got := all(t, text, blocks)
	for _, w := range []string{"s'ouvre en retard", "prévu le 5 janvier 2027 à 9 h", "l'équipe de coordination du PIC et votre Table"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	in.Lang = domain.English
	text, blocks = checkin.PromptMessage(in)
	if got := all(t, text, blocks); !strings.Contains(got, "opens late: it was due on January 5, 2027 at 9 a.m.") {
		t.Errorf("English late line missing:\n%s", got)
	}
}

// The longest questions and names a schedule accepts still fit Slack's limits.
func TestPromptMessageAtTheLimits(t *testing.T) {
	in := promptInput(domain.French)
	long := strings.Repeat("é", checkin.MaxQuestionLength)
	in.Questions = nil
	for i := 0; i < checkin.MaxQuestions; i++ {
		in.Questions = append(in.Questions, store.Question{Key: "q", FR: long, EN: long})
	}
	in.TableName = strings.Repeat("<&>", 200)
	in.PromptID = 1<<63 - 1
	text, blocks := checkin.PromptMessage(in)
	if err := blockkit.ValidateMessage(text, blocks); err != nil {
		t.Fatal(err)
	}
}
