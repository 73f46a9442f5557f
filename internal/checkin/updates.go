package checkin

import (
	"fmt"

	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/store"
)

// KindPromptUpdate is the kind of the deliveries that bring a prompt DM up
// to date.
const KindPromptUpdate = "prompt_update"

// PromptUpdates are the deliveries that rewrite posted prompt DMs (from
// store TouchPrompts) as their prompts now are: rendered by RenderPromptState
// when sent, keyed on the message and the prompt's revision so each change
// updates each DM once.
func PromptUpdates(dms []store.PromptDM) []delivery.Message {
	msgs := make([]delivery.Message, len(dms))
	for i, d := range dms {
		msgs[i] = delivery.Message{
			Key:  fmt.Sprintf("prompt-state:%d:%s:%d", d.RecipientID, d.MessageTS, d.Revision),
			Kind: KindPromptUpdate, To: d.ChannelID, UpdateTS: d.MessageTS,
			Render: RenderPromptState, RecipientID: d.RecipientID,
		}
	}
	return msgs
}
