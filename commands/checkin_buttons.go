package commands

import (
	"context"

	"github.com/pic-montreal/relais/internal/checkin"
)

// checkinButtons declares the three buttons of a check-in prompt DM. Their
// value is a prompt id, a hint only: whoever clicks, rights are checked
// against the directory, never taken from the button.
func (rt *Router) checkinButtons() []Interaction {
	return []Interaction{
		{ActionID: checkin.ActionAnswer, Run: rt.checkinSoon},
		{ActionID: checkin.ActionNothing, Run: rt.checkinSoon},
		{ActionID: checkin.ActionSkip, Run: rt.checkinSoon},
	}
}

// checkinSoon answers a click on a prompt button privately, in the clicker's
// language, and changes nothing: answering from Slack comes with part 2, so
// the prompt stays open and the DM as it was.
func (rt *Router) checkinSoon(ctx context.Context, act ActionInvocation) Reply {
	return rt.problemReply(ctx, act.Caller, "checkin.button.soon")
}
