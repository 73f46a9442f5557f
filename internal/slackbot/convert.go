package slackbot

import (
	"encoding/json"
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
		TriggerID: sc.TriggerID,
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
			TriggerID: ic.TriggerID,
			MessageTS: ic.Container.MessageTs,
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

// submissionAck is the acknowledgement body of a view submission.
type submissionAck struct {
	ResponseAction string                  `json:"response_action"`
	Errors         map[string]string       `json:"errors,omitempty"`
	View           *slack.ModalViewRequest `json:"view,omitempty"`
}

// submissionAckOf renders a handler's answer; nil (an empty ack) closes the
// modal.
func submissionAckOf(r commands.SubmissionReply) *submissionAck {
	switch {
	case len(r.Errors) > 0:
		return &submissionAck{ResponseAction: "errors", Errors: r.Errors}
	case r.Update != nil:
		return &submissionAck{ResponseAction: "update", View: r.Update}
	}
	return nil
}

func errorsAck(blockID, msg string) *submissionAck {
	return &submissionAck{ResponseAction: "errors", Errors: map[string]string{blockID: msg}}
}

// firstInputBlock is where a message about the whole submission shows.
func firstInputBlock(v slack.View) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	for id := range v.State.Values {
		return id
	}
	return "relais"
}

// submissionFromCallback turns a view_submission into the transport-neutral
// ViewSubmission, with every input's value.
func submissionFromCallback(ic slack.InteractionCallback) (commands.ViewSubmission, error) {
	if ic.User.ID == "" || ic.View.ID == "" {
		return commands.ViewSubmission{}, fmt.Errorf("%w: view_submission without user or view", errMalformed)
	}
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	sub := commands.ViewSubmission{
		Caller:          commands.Caller{SlackUserID: ic.User.ID, TeamID: team},
		CallbackID:      ic.View.CallbackID,
		ViewID:          ic.View.ID,
		PrivateMetadata: ic.View.PrivateMetadata,
		TriggerID:       ic.TriggerID,
		Values:          map[string]map[string]commands.InputValue{},
	}
	if ic.View.State == nil {
		return sub, nil
	}
	for blockID, inputs := range ic.View.State.Values {
		sub.Values[blockID] = map[string]commands.InputValue{}
		for actionID, a := range inputs {
			v := commands.InputValue{Text: a.Value}
			if a.SelectedOption.Value != "" {
				v.Selected = append(v.Selected, a.SelectedOption.Value)
			}
			for _, o := range a.SelectedOptions {
				v.Selected = append(v.Selected, o.Value)
			}
			v.Selected = append(v.Selected, a.SelectedUsers...)
			if a.SelectedUser != "" {
				v.Selected = append(v.Selected, a.SelectedUser)
			}
			if a.SelectedDate != "" {
				v.Text = a.SelectedDate
			}
			if a.SelectedTime != "" {
				v.Text = a.SelectedTime // a timepicker's "HH:MM"
			}
			sub.Values[blockID][actionID] = v
		}
	}
	return sub, nil
}

// editedMessage is the message a message_changed event carries (its new
// version) or a message_deleted one (previous_message, as it was).
type editedMessage struct {
	User     string `json:"user"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	BotID    string `json:"bot_id"`
	// Files are only counted: Relais does not keep them.
	Files []json.RawMessage `json:"files"`
}

// innerEvent holds the fields Relais reads from an event; an edited message
// (subtype message_changed) carries the new version in Message, a deleted
// one (message_deleted) its ts in DeletedTS and what it was in
// PreviousMessage.
type innerEvent struct {
	Type        string            `json:"type"`
	User        string            `json:"user"`
	Channel     string            `json:"channel"`
	ChannelType string            `json:"channel_type"`
	Text        string            `json:"text"`
	TS          string            `json:"ts"`
	ThreadTS    string            `json:"thread_ts"`
	Subtype     string            `json:"subtype"`
	BotID       string            `json:"bot_id"`
	Tab         string            `json:"tab"`
	Message     *editedMessage    `json:"message"`
	DeletedTS   string            `json:"deleted_ts"`
	Previous    *editedMessage    `json:"previous_message"`
	Files       []json.RawMessage `json:"files"`
}

// eventFromCallback decodes an event_callback's inner event.
func eventFromCallback(o outerEvent) (commands.Event, error) {
	var in innerEvent
	if err := json.Unmarshal(o.Event, &in); err != nil || in.Type == "" {
		return commands.Event{}, fmt.Errorf("%w: event without type", errMalformed)
	}
	ev := commands.Event{ID: o.EventID, TeamID: o.TeamID, Type: in.Type, User: in.User, Channel: in.Channel,
		ChannelType: in.ChannelType, Text: in.Text, TS: in.TS, ThreadTS: in.ThreadTS, Subtype: in.Subtype,
		BotID: in.BotID, Tab: in.Tab, Files: len(in.Files)}
	switch {
	case in.Subtype == "message_changed" && in.Message != nil:
		m := in.Message
		ev.User, ev.Text, ev.TS, ev.ThreadTS, ev.BotID, ev.Files = m.User, m.Text, m.TS, m.ThreadTS, m.BotID, len(m.Files)
	case in.Subtype == "message_deleted":
		// The deleted message, as it was: whose, where, in which thread.
		ev.TS, ev.Text, ev.Files = in.DeletedTS, "", 0
		if m := in.Previous; m != nil {
			ev.User, ev.ThreadTS, ev.BotID = m.User, m.ThreadTS, m.BotID
		}
	case in.Subtype == "file_share" && ev.Files == 0:
		ev.Files = 1 // a file_share is a file, whatever the payload lists
	}
	return ev, nil
}
