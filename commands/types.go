package commands

import (
	"context"

	"github.com/slack-go/slack"
)

// Caller is who runs a command, as the transport (Slack or the console) knows them.
type Caller struct {
	SlackUserID string
	TeamID      string
}

// Invocation is one `/pic …` command.
type Invocation struct {
	Caller    Caller
	ChannelID string
	// Text is everything the user typed after the command name, raw.
	Text string
	// TriggerID lets the reply open a modal (Reply.OpenModal): Slack takes
	// it once, within 3 seconds. Empty where there is none (the console).
	TriggerID string
}

// Surface says who else sees the message whose button was clicked. The zero
// value is SurfaceShared: a transport that cannot tell is taken to be
// showing the message to others.
type Surface int

const (
	// SurfaceShared is a message other people see (a channel message, a
	// group DM): it only ever shows what the whole partnership may read.
	SurfaceShared Surface = iota
	// SurfacePrivate is seen by the clicker alone: an ephemeral message, a
	// view (modal, App Home), or the console. A DM is not one: it may be a
	// group's, or two people's with Relais' reply shared in it, and the
	// payload does not tell which.
	SurfacePrivate
)

// ActionInvocation is a click on a button Relais put in a reply.
type ActionInvocation struct {
	Caller    Caller
	ChannelID string
	ActionID  string
	Value     string
	// Surface is where the clicked message is, as the transport knows it
	// from Slack's own payload; never from a value Relais put in the button.
	Surface Surface
	// TriggerID lets the reply open a modal, as for a command.
	TriggerID string
	// MessageTS is the clicked message's timestamp, empty in a view.
	MessageTS string
}

// ViewSubmission is a modal's submit, answered inside the acknowledgement.
type ViewSubmission struct {
	Caller Caller
	// CallbackID names the view's declaration in the registry.
	CallbackID string
	ViewID     string
	// PrivateMetadata is the text Relais put in the view: a hint only, never
	// proof of who may write what.
	PrivateMetadata string
	// Values holds what was entered, by block id then action id.
	Values    map[string]map[string]InputValue
	TriggerID string
}

// InputValue is one input of a submitted view: a text, or selected options.
type InputValue struct {
	Text     string
	Selected []string
}

// SubmissionReply is what a view submission answers. The zero value closes
// the modal.
type SubmissionReply struct {
	// Errors keep the modal open with a message under each block (block id
	// to message), and what was typed stays: response_action "errors".
	Errors map[string]string
	// Update replaces the modal (response_action "update").
	Update *slack.ModalViewRequest
}

// Event is an Events API event the transport hands over, decoded.
type Event struct {
	// ID is Slack's event_id, globally unique: a handler that changes
	// anything records it in the same transaction as the change.
	ID     string
	TeamID string
	// Type is the inner event's type: "app_home_opened", "message"...
	Type string
	User string
	// Channel and ChannelType ("im", "channel"...) of a message event.
	Channel     string
	ChannelType string
	// Text, TS, ThreadTS, User and BotID are the message's; for a
	// message_changed, its new version's, for a message_deleted the deleted
	// message's (TS its ts, Text empty).
	Text     string
	TS       string
	ThreadTS string
	// Subtype and BotID mark messages most handlers ignore (edits, bots).
	Subtype string
	BotID   string
	// Files is how many files the message carries (a file_share, or files
	// on a message): Relais does not keep them.
	Files int
	// Tab is the App Home tab that was opened ("home", "messages").
	Tab string
}

// EventReply is what handling an event asks the transport to show.
type EventReply struct {
	// Home, when set, is published as the event user's App Home.
	Home *slack.HomeTabViewRequest
}

// Reply is what a handler answers. Handlers never talk to Slack: the transport
// delivers the reply (ack body, response_url, or the console's screen).
type Reply struct {
	// Text is the fallback that notifications and screen readers show; it
	// is always set. Slack formats it like a section's mrkdwn, so data in it
	// is escaped (esc) the same way.
	Text   string
	Blocks []slack.Block
	// InChannel makes the reply visible to the whole channel instead of only
	// to the caller.
	InChannel bool
	// ReplaceOriginal replaces the message whose button was clicked
	// (pagination), for everyone who sees that message.
	ReplaceOriginal bool
	// OpenModal, when set, is opened on the request's trigger_id (views.open)
	// instead of, or besides, a message.
	OpenModal *slack.ModalViewRequest

	// partnershipView marks a reply built for a shared request: the only
	// kind Action lets others see.
	partnershipView bool
}

// Handler is what the transports call. Both Slack transports (Socket Mode and
// signed HTTP) and the console run the same Handler.
type Handler interface {
	Command(ctx context.Context, inv Invocation) Reply
	Action(ctx context.Context, act ActionInvocation) Reply
	// Submit answers a modal's submission, inside the acknowledgement.
	Submit(ctx context.Context, sub ViewSubmission) SubmissionReply
	// Event handles an event. An error means it could not be processed and
	// nothing was recorded: the transport lets Slack deliver it again. A
	// handler whose event changes something records ev.ID in the same
	// transaction, so a repeated delivery changes nothing.
	Event(ctx context.Context, ev Event) (EventReply, error)
}

// LocaleSource tells a Slack user's locale ("fr-CA", "en-US"), for users who
// have not chosen a language in Relais. The Slack transport implements it with
// users.info; elsewhere it may be nil.
type LocaleSource interface {
	SlackLocale(ctx context.Context, slackUserID string) (string, error)
}
