package commands_test

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

// Every button of a prompt DM is routed, and for now answers the clicker
// alone, in their language, that answering from Slack comes next.
func TestCheckinPromptButtons(t *testing.T) {
	rt, st := newRouter(t)
	_, blocks := checkin.PromptMessage(checkin.PromptInput{Lang: domain.French, TableName: "Table",
		Period: schedule.Date{Year: 2026, Month: time.December, Day: 1}, Questions: checkin.DefaultQuestions,
		ClosesAt: time.Date(2027, 1, 19, 22, 0, 0, 0, time.UTC), PromptID: 7})
	var buttons []*slack.ButtonBlockElement
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				buttons = append(buttons, e.(*slack.ButtonBlockElement))
			}
		}
	}
	if len(buttons) != 3 {
		t.Fatalf("%d buttons in the prompt", len(buttons))
	}
	for _, b := range buttons {
		for user, lang := range map[string]domain.Language{smMember: domain.English, cdnMember: domain.French, guest: domain.French} {
			r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user}, ActionID: b.ActionID,
				Value: b.Value, Surface: commands.SurfacePrivate})
			if r.Text != i18n.T(lang, "checkin.button.soon") || r.InChannel || r.ReplaceOriginal {
				t.Errorf("%s by %s: %+v", b.ActionID, user, r)
			}
		}
	}
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE entity LIKE 'checkin%'`); err != nil || n != 0 {
		t.Errorf("a click wrote %d rows (%v)", n, err)
	}
}
