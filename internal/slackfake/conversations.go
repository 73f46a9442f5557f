package slackfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's limits on a message, as chat.postMessage and chat.update check them.
const (
	MaxMessageText   = 40000 // characters of text; beyond, msg_too_long
	MaxMessageBlocks = 50    // blocks in a message; beyond, invalid_blocks
)

// Metadata is message metadata ("Using message metadata"): an event type
// and a JSON object payload.
type Metadata struct {
	EventType    string          `json:"event_type"`
	EventPayload json.RawMessage `json:"event_payload"`
}

// Value returns a top-level field of the payload as a string (a JSON
// string unquoted, anything else as its JSON text); "" when absent.
func (md *Metadata) Value(key string) string {
	if md == nil {
		return ""
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(md.EventPayload, &p) != nil {
		return ""
	}
	raw, ok := p[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// convState is the fake's DMs: the app's conversation with each user.
type convState struct {
	dmOf   map[string]string // user → D… channel
	userOf map[string]string // D… channel → user
}

// isUserID reports whether id names a user (U… or W…) rather than a
// conversation.
func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W')
}

// dmLocked returns the D… id of the app's DM with user, the same for every
// call: "D" and the id without its U (DW… for a W… user).
func (s *Server) dmLocked(user string) string {
	if id, ok := s.conv.dmOf[user]; ok {
		return id
	}
	if s.conv.dmOf == nil {
		s.conv.dmOf, s.conv.userOf = map[string]string{}, map[string]string{}
	}
	id := "D" + strings.TrimPrefix(user, "U")
	for n := 2; s.conv.userOf[id] != ""; n++ {
		id = fmt.Sprintf("D%s%d", strings.TrimPrefix(user, "U"), n)
	}
	s.conv.dmOf[user], s.conv.userOf[id] = id, user
	return id
}

// DM returns the D… id of the app's DM with user, where chat.postMessage to
// user posts and which conversations.open answers.
func (s *Server) DM(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmLocked(user)
}

// DMUser returns the user of the app's DM channel, or "" if channel is not one.
func (s *Server) DMUser(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv.userOf[channel]
}

// answerMoreLocked answers the methods of conversations.go, views.go and
// files.go; ok is false for any other method.
func (s *Server) answerMoreLocked(method string, c Call) (a obj, ok bool) {
	switch method {
	case "chat.postMessage":
		return s.postMessageLocked(c), true
	case "chat.update":
		return s.updateMessageLocked(c), true
	case "chat.delete":
		return s.deleteMessageLocked(c), true
	case "chat.getPermalink":
		return s.permalinkLocked(c), true
	case "conversations.open":
		return s.openConversationLocked(c), true
	case "conversations.history":
		return s.historyLocked(c), true
	case "conversations.replies":
		return s.repliesLocked(c), true
	case "views.open", "views.push", "views.update", "views.publish":
		return s.answerViewLocked(method, c), true
	case "files.getUploadURLExternal", "files.completeUploadExternal":
		return s.answerFileLocked(method, c), true
	case "conversations.info", "conversations.members":
		return s.answerChannelLocked(method, c), true
	case "users.info":
		return s.botInfoLocked(c)
	}
	return nil, false
}

// checkContent validates a message's text, blocks and metadata as Slack
// does; code is the error, "" when they are fine. needText says that text
// or blocks must be given.
func checkContent(c Call, needText bool) (blocks json.RawMessage, md *Metadata, code string) {
	text := c.Param("text")
	n := 0
	if raw := c.Param("blocks"); raw != "" && raw != "null" {
		var list []map[string]any
		if json.Unmarshal([]byte(raw), &list) != nil || len(list) > MaxMessageBlocks {
			return nil, nil, "invalid_blocks"
		}
		for _, b := range list {
			if t, _ := b["type"].(string); t == "" {
				return nil, nil, "invalid_blocks"
			}
		}
		blocks, n = json.RawMessage(raw), len(list)
	}
	if needText && text == "" && n == 0 {
		return nil, nil, "no_text"
	}
	if utf8.RuneCountInString(text) > MaxMessageText {
		return nil, nil, "msg_too_long"
	}
	md, code = parseMetadata(c.Param("metadata"))
	return blocks, md, code
}

// parseMetadata reads the metadata parameter: a JSON object with
// event_type and an event_payload object.
func parseMetadata(raw string) (*Metadata, string) {
	if raw == "" {
		return nil, ""
	}
	var md Metadata
	if json.Unmarshal([]byte(raw), &md) != nil || md.EventType == "" {
		return nil, "invalid_metadata_format"
	}
	var payload map[string]json.RawMessage
	if json.Unmarshal(md.EventPayload, &payload) != nil || payload == nil {
		return nil, "invalid_metadata_format"
	}
	return &md, ""
}

func (s *Server) postMessageLocked(c Call) obj {
	ch := c.Param("channel")
	if ch == "" {
		return slackError("channel_not_found")
	}
	if code := s.refusalLocked(ch); code != "" {
		return slackError(code)
	}
	blocks, md, code := checkContent(c, true)
	if code != "" {
		return slackError(code)
	}
	if isUserID(ch) {
		ch = s.dmLocked(ch)
	}
	var parent *Message
	if ts := c.Param("thread_ts"); ts != "" {
		if parent = s.conversationMessageLocked(ch, ts); parent == nil {
			return slackError("invalid_thread_ts")
		}
		if parent.InThread() { // a reply's ts: the reply goes to its thread
			parent = s.conversationMessageLocked(ch, parent.ThreadTS)
		}
	}
	m := s.newMessageLocked(ch, reply{Text: c.Param("text"), Blocks: blocks})
	m.User, m.Metadata = BotUserID, md
	if parent != nil {
		m.ThreadTS = parent.TS
		m.Broadcast = isTrue(c.Param("reply_broadcast"))
		parent.ThreadTS = parent.TS
		parent.ReplyCount++
	}
	return obj{"ok": true, "channel": m.Channel, "ts": m.TS, "message": messageJSON(m, true)}
}

func isTrue(v string) bool { return v == "true" || v == "1" }

// conversationMessageLocked is the message everyone in channel sees with ts
// (not ephemeral, not deleted), or nil.
func (s *Server) conversationMessageLocked(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral() && !m.Deleted {
			return m
		}
	}
	return nil
}

func (s *Server) updateMessageLocked(c Call) obj {
	ch, ts := c.Param("channel"), c.Param("ts")
	if ch == "" {
		return slackError("channel_not_found")
	}
	if code := s.refusalLocked(ch); code != "" {
		return slackError(code)
	}
	m := s.conversationMessageLocked(ch, ts)
	if m == nil {
		return slackError("message_not_found")
	}
	if m.User != BotUserID {
		return slackError("cant_update_message")
	}
	blocks, md, code := checkContent(c, false)
	if code != "" {
		return slackError(code)
	}
	if c.Param("text") == "" && blocks == nil && md == nil {
		return slackError("no_text")
	}
	// As in Slack, blocks and metadata left out are kept.
	m.Text = c.Param("text")
	if blocks != nil {
		m.Blocks = blocks
	}
	if md != nil {
		m.Metadata = md
	}
	m.Edits++
	return obj{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m, true)}
}

func (s *Server) deleteMessageLocked(c Call) obj {
	ch := c.Param("channel")
	if code := s.refusalLocked(ch); code != "" {
		return slackError(code)
	}
	m := s.conversationMessageLocked(ch, c.Param("ts"))
	if m == nil {
		return slackError("message_not_found")
	}
	if m.User != BotUserID {
		return slackError("cant_delete_message")
	}
	m.Deleted = true
	if m.InThread() {
		if p := s.conversationMessageLocked(ch, m.ThreadTS); p != nil {
			p.ReplyCount--
		}
	}
	return obj{"ok": true, "channel": m.Channel, "ts": m.TS}
}

// permalinkLocked answers chat.getPermalink with a URL on the fake itself,
// so nothing a test follows leaves 127.0.0.1.
func (s *Server) permalinkLocked(c Call) obj {
	ch, ts := c.Param("channel"), c.Param("message_ts")
	m := s.conversationMessageLocked(ch, ts)
	if m == nil {
		return slackError("message_not_found")
	}
	link := s.permalink(m)
	return obj{"ok": true, "channel": ch, "permalink": link}
}

func (s *Server) permalink(m *Message) string {
	link := fmt.Sprintf("%s/archives/%s/p%s", s.URL, m.Channel, strings.ReplaceAll(m.TS, ".", ""))
	if m.InThread() {
		link += "?" + url.Values{"thread_ts": {m.ThreadTS}, "cid": {m.Channel}}.Encode()
	}
	return link
}

// Permalink is the URL chat.getPermalink gives for message id.
func (s *Server) Permalink(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.messageLocked(id); m != nil {
		return s.permalink(m)
	}
	return ""
}

func (s *Server) openConversationLocked(c Call) obj {
	users := c.Param("users")
	if users == "" {
		if ch := c.Param("channel"); ch != "" {
			return obj{"ok": true, "channel": obj{"id": ch}}
		}
		return slackError("users_list_not_supplied")
	}
	user := strings.TrimSpace(strings.Split(users, ",")[0])
	if code := s.deliv.refusedDMs[user]; code != "" {
		return slackError(code)
	}
	id := s.dmLocked(user)
	return obj{"ok": true, "channel": obj{"id": id, "is_im": true, "user": user}}
}

// messageJSON is m as conversations.history shows it; metadata only when
// withMetadata.
func messageJSON(m *Message, withMetadata bool) obj {
	out := obj{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User == BotUserID {
		out["user"], out["bot_id"] = BotUserID, "B0BOT"
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.ThreadTS == m.TS {
		out["reply_count"] = m.ReplyCount
	}
	if m.Broadcast {
		out["subtype"] = "thread_broadcast"
	}
	if m.Edits > 0 {
		out["edited"] = obj{"user": BotUserID, "ts": m.TS}
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	if len(m.Files) > 0 {
		files := make([]obj, len(m.Files))
		for i, f := range m.Files {
			files[i] = f.json()
		}
		out["files"] = files
	}
	return out
}

// tsMicros reads a Slack ts ("1700000001.000300", or "1700000001") as
// microseconds; ok is false when it is not one.
func tsMicros(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, false
	}
	frac = (frac + "000000")[:6]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return n*1e6 + f, true
}

// page is the part of msgs (oldest first) between oldest and latest
// (exclusive unless inclusive), as history shows it: newest first when
// newestFirst, at most limit, from the cursor on.
func page(c Call, msgs []*Message, newestFirst bool) (out []*Message, next string, code string) {
	limit := 100
	if v := c.Param("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, "", "invalid_limit"
		}
		if n > 0 {
			limit = min(n, 1000)
		}
	}
	inclusive := isTrue(c.Param("inclusive"))
	lo, hi := int64(0), int64(1)<<62
	if v := c.Param("oldest"); v != "" {
		var ok bool
		if lo, ok = tsMicros(v); !ok {
			return nil, "", "invalid_ts_oldest"
		}
	}
	if v := c.Param("latest"); v != "" {
		var ok bool
		if hi, ok = tsMicros(v); !ok {
			return nil, "", "invalid_ts_latest"
		}
	}
	var in []*Message
	for _, m := range msgs {
		t, _ := tsMicros(m.TS)
		if (t > lo || (inclusive && t == lo)) && (t < hi || (inclusive && t == hi)) {
			in = append(in, m)
		}
	}
	sort.SliceStable(in, func(i, j int) bool {
		a, _ := tsMicros(in[i].TS)
		b, _ := tsMicros(in[j].TS)
		if newestFirst {
			return a > b
		}
		return a < b
	})
	start := 0
	if cur := c.Param("cursor"); cur != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cur, "fake:"))
		if err != nil || n < 0 || n > len(in) {
			return nil, "", "invalid_cursor"
		}
		start = n
	}
	end := min(start+limit, len(in))
	if end < len(in) {
		next = fmt.Sprintf("fake:%d", end)
	}
	return in[start:end], next, ""
}

func pageAnswer(msgs []*Message, next string, withMetadata bool) obj {
	list := make([]obj, len(msgs))
	for i, m := range msgs {
		list[i] = messageJSON(m, withMetadata)
	}
	a := obj{"ok": true, "messages": list, "has_more": next != ""}
	if next != "" {
		a["response_metadata"] = obj{"next_cursor": next}
	}
	return a
}

// historyLocked answers conversations.history: the messages of the
// conversation itself (thread replies only when broadcast), newest first;
// metadata only with include_all_metadata, as Slack does.
func (s *Server) historyLocked(c Call) obj {
	ch := c.Param("channel")
	if ch == "" || s.deliv.refusedChannels[ch] == "channel_not_found" {
		return slackError("channel_not_found")
	}
	var msgs []*Message
	for _, m := range s.messages {
		if m.Channel == ch && !m.Ephemeral() && !m.Deleted && m.inChannelView() {
			msgs = append(msgs, m)
		}
	}
	out, next, code := page(c, msgs, true)
	if code != "" {
		return slackError(code)
	}
	return pageAnswer(out, next, isTrue(c.Param("include_all_metadata")))
}

// repliesLocked answers conversations.replies: the thread's parent, then
// its replies, oldest first.
func (s *Server) repliesLocked(c Call) obj {
	ch, ts := c.Param("channel"), c.Param("ts")
	if ch == "" || s.deliv.refusedChannels[ch] == "channel_not_found" {
		return slackError("channel_not_found")
	}
	parent := s.conversationMessageLocked(ch, ts)
	if parent == nil {
		return slackError("thread_not_found")
	}
	if parent.InThread() {
		parent = s.conversationMessageLocked(ch, parent.ThreadTS)
		if parent == nil {
			return slackError("thread_not_found")
		}
	}
	msgs := []*Message{parent}
	for _, m := range s.messages {
		if m.Channel == ch && m.InThread() && m.ThreadTS == parent.TS && !m.Deleted {
			msgs = append(msgs, m)
		}
	}
	out, next, code := page(c, msgs, false)
	if code != "" {
		return slackError(code)
	}
	return pageAnswer(out, next, isTrue(c.Param("include_all_metadata")))
}

// Posted is every message everyone in channel can see, thread replies
// included, oldest first: what a test counts duplicates in. Channel ""
// means every conversation (all DMs of a fan-out, say).
func (s *Server) Posted(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if (channel == "" || m.Channel == channel) && !m.Ephemeral() && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// Thread is the thread of the message with ts in channel: the parent, then
// its replies, oldest first; nil when there is no such message.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := s.conversationMessageLocked(channel, ts)
	if parent == nil {
		return nil
	}
	out := []Message{*parent}
	for _, m := range s.messages {
		if m.Channel == channel && m.InThread() && m.ThreadTS == ts && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// CountByMetadataKey counts the messages Posted in channel ("" for all) by
// the value of key in their metadata payload; a count above 1 is a duplicate.
func (s *Server) CountByMetadataKey(channel, key string) map[string]int {
	out := map[string]int{}
	for _, m := range s.Posted(channel) {
		if v := m.Metadata.Value(key); v != "" {
			out[v]++
		}
	}
	return out
}
