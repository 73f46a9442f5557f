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
	// view (modal, App Home), Relais' one-to-one DM with the clicker, or the
	// console.
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
}

// Handler is what the transports call. Both Slack transports (Socket Mode and
// signed HTTP) and the console run the same Handler.
type Handler interface {
	Command(ctx context.Context, inv Invocation) Reply
	Action(ctx context.Context, act ActionInvocation) Reply
}

// LocaleSource tells a Slack user's locale ("fr-CA", "en-US"), for users who
// have not chosen a language in Relais. The Slack transport implements it with
// users.info; elsewhere it may be nil.
type LocaleSource interface {
	SlackLocale(ctx context.Context, slackUserID string) (string, error)
}
