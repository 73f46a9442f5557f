package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Message is one message as people see it in a conversation. The fake keeps
// them so a test can check what a channel shows, not only which calls came:
// a response_url post with replace_original changes the clicked message for
// everyone who sees it, as real Slack does.
type Message struct {
	// ID is the fake's handle for the message ("m1"), for Click.
	ID      string
	Channel string
	TS      string
	// VisibleTo is the one user who sees an ephemeral message; empty for a
	// message everyone in the channel sees.
	VisibleTo string
	Text      string
	Blocks    json.RawMessage
	// Edits counts the times the message was replaced (response_url or
	// chat.update).
	Edits   int
	Deleted bool
	// User is who posted it: BotUserID for the app's Web API posts.
	User string
	// ThreadTS is the ts of the thread's parent for a thread reply; empty
	// for a message in the channel itself.
	ThreadTS string
	// Broadcast says a thread reply was also sent to the channel
	// (reply_broadcast).
	Broadcast bool
	// ReplyCount is how many replies a thread parent has (reply_count).
	ReplyCount int
	// Metadata is the message metadata posted with it, if any.
	Metadata *Metadata
	// Files are the files shared with the message (files.completeUploadExternal).
	Files []File
}

// InThread reports whether m is a thread reply, shown in the thread rather
// than in the channel (unless broadcast).
func (m Message) InThread() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// inChannelView reports whether m shows in the channel itself: not a thread
// reply, unless broadcast.
func (m Message) inChannelView() bool { return !m.InThread() || m.Broadcast }

// Ephemeral reports whether only VisibleTo sees the message.
func (m Message) Ephemeral() bool { return m.VisibleTo != "" }

// Shows is the message's text and blocks as one string, for assertions; the
// JSON escapes Go's encoder writes for <, > and & are undone, so a test sees
// "<@U123>" as Slack reads it.
func (m Message) Shows() string {
	return m.Text + "\n" + jsonUnescaper.Replace(string(m.Blocks))
}

var jsonUnescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// responseOrigin is what a response_url belongs to: the user who ran a
// command or clicked, in which channel, and for a click the message clicked.
type responseOrigin struct {
	channel, user string
	messageID     string // empty for a slash command's response_url
}

// reply is the part of a message body Slack reads on a response_url or in an
// acknowledgement.
type reply struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal *bool           `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
}

// CommandResponseURL is the response_url of a slash command that user runs
// in channel: what is posted to it appears in that channel (ephemeral to
// user unless response_type is in_channel). It never replaces a message:
// a slash command's first reply cannot be replaced.
func (s *Server) CommandResponseURL(channel, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked(responseOrigin{channel: channel, user: user})
}

func (s *Server) newResponseURLLocked(o responseOrigin) string {
	s.nextID++
	path := fmt.Sprintf("/response/%d", s.nextID)
	if s.origins == nil {
		s.origins = map[string]responseOrigin{}
	}
	s.origins[path] = o
	return s.URL + path
}

// ShowAck shows the acknowledgement body of user's slash command in channel
// as Slack does (ephemeral unless response_type is in_channel) and returns
// the message's ID. An empty body shows nothing and returns "".
func (s *Server) ShowAck(t testing.TB, channel, user string, body []byte) string {
	t.Helper()
	if len(strings.TrimSpace(string(body))) == 0 {
		return ""
	}
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("slackfake: acknowledgement is not a message: %v: %s", err, body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.newMessageLocked(channel, r)
	if r.ResponseType != "in_channel" {
		m.VisibleTo = user
	}
	s.notifyLocked()
	return m.ID
}

// newMessageLocked appends a message everyone in channel sees.
func (s *Server) newMessageLocked(channel string, r reply) *Message {
	m := &Message{ID: fmt.Sprintf("m%d", len(s.messages)+1), Channel: channel,
		TS: s.nextTSLocked(), Text: r.Text, Blocks: r.Blocks}
	s.messages = append(s.messages, m)
	return m
}

// applyResponseLocked changes the conversation as Slack does for a post to a
// response_url: replace or delete the clicked message for everyone who sees
// it, or add a message (ephemeral to the user unless in_channel). Posts to a
// URL from NewResponseURL, which belongs to no conversation, change nothing.
func (s *Server) applyResponseLocked(path string, body []byte) error {
	o, ok := s.origins[path]
	if !ok {
		return nil
	}
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		return err
	}
	if o.messageID != "" && (r.DeleteOriginal || (r.ReplaceOriginal != nil && *r.ReplaceOriginal)) {
		m := s.messageLocked(o.messageID)
		if m == nil || m.Deleted {
			return fmt.Errorf("message_not_found")
		}
		if r.DeleteOriginal {
			m.Deleted = true
			return nil
		}
		// Visibility stays the original's, whatever response_type says.
		m.Text, m.Blocks = r.Text, r.Blocks
		m.Edits++
		return nil
	}
	m := s.newMessageLocked(o.channel, r)
	if r.ResponseType != "in_channel" {
		m.VisibleTo = o.user
	}
	return nil
}

func (s *Server) messageLocked(id string) *Message {
	for _, m := range s.messages {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// Message returns the message with id as it is now.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(id)
	if m == nil {
		t.Fatalf("slackfake: no message %s", id)
	}
	return *m
}

// ChannelMessages is what everyone in channel sees: its messages that are
// neither ephemeral nor deleted, oldest first; thread replies are in Thread
// (unless broadcast).
func (s *Server) ChannelMessages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && !m.Ephemeral() && !m.Deleted && m.inChannelView() {
			out = append(out, *m)
		}
	}
	return out
}

// SeenBy is what user sees in channel: the channel's messages and the
// ephemeral ones shown to user, oldest first; thread replies are in Thread
// (unless broadcast).
func (s *Server) SeenBy(channel, user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && !m.Deleted && (m.VisibleTo == "" || m.VisibleTo == user) && m.inChannelView() {
			out = append(out, *m)
		}
	}
	return out
}

// WaitMessages waits until channel holds n messages user sees, and returns them.
func (s *Server) WaitMessages(t testing.TB, channel, user string, n int) []Message {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("%d message(s) seen by %s in %s", n, user, channel), func() bool {
		count := 0
		for _, m := range s.messages {
			if m.Channel == channel && !m.Deleted && (m.VisibleTo == "" || m.VisibleTo == user) && m.inChannelView() {
				count++
			}
		}
		return count >= n
	})
	return s.SeenBy(channel, user)
}

// Button is a button of a message, as the user sees it.
type Button struct {
	ActionID, BlockID, Value, Text string
}

// Buttons lists the buttons of a message's blocks, in order.
func (m Message) Buttons() []Button {
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var out []Button
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" {
				out = append(out, Button{ActionID: e.ActionID, BlockID: b.BlockID, Value: e.Value, Text: e.Text.Text})
			}
		}
	}
	return out
}

// Click is the block_actions payload Slack sends when user clicks the button
// with actionID in message id, and the response_url it carries, which acts
// on that message; container.is_ephemeral says whether the message is
// private, and its trigger_id is fresh (IssueTriggerID). It fails the test when user cannot see the message or it has no
// such button.
func (s *Server) Click(t testing.TB, id, user, actionID string) (payload json.RawMessage, responseURL string) {
	t.Helper()
	s.mu.Lock()
	m := s.messageLocked(id)
	if m == nil || m.Deleted || (m.Ephemeral() && m.VisibleTo != user) {
		s.mu.Unlock()
		t.Fatalf("slackfake: %s cannot see message %s", user, id)
	}
	msg := *m
	responseURL = s.newResponseURLLocked(responseOrigin{channel: m.Channel, user: user, messageID: m.ID})
	triggerID := s.issueTriggerLocked(user)
	s.mu.Unlock()
	for _, b := range msg.Buttons() {
		if b.ActionID == actionID {
			return BlockAction{UserID: user, ChannelID: msg.Channel, ActionID: b.ActionID, BlockID: b.BlockID,
				Value: b.Value, ResponseURL: responseURL, MessageTS: msg.TS, TriggerID: triggerID,
				InChannel: !msg.Ephemeral()}.JSON(), responseURL
		}
	}
	t.Fatalf("slackfake: message %s has no button %s: %s", id, actionID, msg.Blocks)
	return nil, ""
}

// ClickResponseURL is a response_url for a click by user on message id, for
// tests that forge a payload Relais never rendered.
func (s *Server) ClickResponseURL(t testing.TB, id, user string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(id)
	if m == nil {
		t.Fatalf("slackfake: no message %s", id)
	}
	return s.newResponseURLLocked(responseOrigin{channel: m.Channel, user: user, messageID: m.ID})
}

// nextTSLocked is a new message's ts: like Slack's, the time of posting in
// seconds and microseconds on the fake's clock, so a history search "since
// a time" finds what was posted after it; unique and increasing.
func (s *Server) nextTSLocked() string {
	us := s.nowLocked().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}
