package slackbot

import (
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
)

// message is the JSON Slack takes both in an acknowledgement body and on a
// response_url ("Handling user interaction"; the same shape in Socket Mode ack
// payloads).
type message struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
	// A pointer, so that replies to clicks can say false explicitly: left
	// out, Slack may replace the clicked message (and make an ephemeral
	// answer public).
	ReplaceOriginal *bool `json:"replace_original,omitempty"`
}

const (
	responseEphemeral = "ephemeral"
	responseInChannel = "in_channel"
)

// commandMessage renders a command's reply; replace_original is only sent when
// asked for, since a slash command has no original message.
func commandMessage(r commands.Reply) message {
	m := message{ResponseType: responseEphemeral, Text: r.Text, Blocks: r.Blocks}
	if r.InChannel {
		m.ResponseType = responseInChannel
	}
	if r.ReplaceOriginal {
		t := true
		m.ReplaceOriginal = &t
	}
	return m
}

// actionMessage renders the reply to a click, always saying whether the
// clicked message is replaced (pagination) or a new one is posted.
func actionMessage(r commands.Reply) message {
	m := commandMessage(r)
	replace := r.ReplaceOriginal
	m.ReplaceOriginal = &replace
	return m
}

// textMessage is an ephemeral plain-text message (the transport's own words).
func textMessage(text string) message {
	return message{ResponseType: responseEphemeral, Text: text}
}

// emptyReply reports a Reply with nothing to show; the transport then sends
// nothing rather than a blank message.
func emptyReply(r commands.Reply) bool { return r.Text == "" && len(r.Blocks) == 0 }

var errMalformed = errors.New("malformed payload")

// invocationFromSlash turns a slash command (form-encoded over HTTP, JSON over
// Socket Mode) into the transport-neutral Invocation.
func invocationFromSlash(sc slack.SlashCommand) (commands.Invocation, error) {
	if sc.UserID == "" || sc.TeamID == "" {
		return commands.Invocation{}, fmt.Errorf("%w: slash command without user_id or team_id", errMalformed)
	}
	return commands.Invocation{
		Caller:    commands.Caller{SlackUserID: sc.UserID, TeamID: sc.TeamID},
		ChannelID: sc.ChannelID,
		Text:      sc.Text,
	}, nil
}

// actionsFromCallback lists the button clicks of a block_actions payload.
// ok is false for other interaction kinds, which Relais does not handle yet
// (modals, shortcuts): they are acknowledged and ignored.
func actionsFromCallback(ic slack.InteractionCallback) (acts []commands.ActionInvocation, ok bool, err error) {
	if ic.Type != slack.InteractionTypeBlockActions {
		return nil, false, nil
	}
	if ic.User.ID == "" {
		return nil, true, fmt.Errorf("%w: block_actions without user", errMalformed)
	}
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	surface := surfaceOf(ic)
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil {
			continue
		}
		value := a.Value
		if value == "" {
			// Select menus and overflow menus carry their value here.
			value = a.SelectedOption.Value
		}
		acts = append(acts, commands.ActionInvocation{
			Caller:    commands.Caller{SlackUserID: ic.User.ID, TeamID: team},
			ChannelID: channel,
			ActionID:  a.ActionID,
			Value:     value,
			Surface:   surface,
		})
	}
	return acts, true, nil
}

// surfaceOf tells, from Slack's own payload, whether the clicked message is
// seen by the clicker alone: an ephemeral message or a view. Anything else,
// a DM included (it may be a group's, or two people's with Relais' reply
// shared in it), is a message others see.
func surfaceOf(ic slack.InteractionCallback) commands.Surface {
	if ic.Container.IsEphemeral || ic.Container.Type == "view" || ic.View.ID != "" {
		return commands.SurfacePrivate
	}
	return commands.SurfaceShared
}
