package slackfake

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// client is a slack-go client of the fake, as Relais builds one.
func client(s *Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()+"/"))
}

// call posts a form-encoded Web API call with the bot token and decodes the answer.
func call(t *testing.T, s *Server, method string, form url.Values) map[string]any {
	t.Helper()
	form.Set("token", s.BotToken())
	_, body := post(t, s.APIURL()+"/"+method, FormContentType, form.Encode(), nil)
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%s: %v: %s", method, err, body)
	}
	return out
}

func wantError(t *testing.T, what string, a map[string]any, code string) {
	t.Helper()
	if a["ok"] != false || a["error"] != code {
		t.Errorf("%s: %v, want %s", what, a, code)
	}
}

// A post to a user lands in the app's DM with them, with its metadata;
// history shows it newest first, metadata only when asked; a thread reply
// counts on its parent.
func TestDMsMetadataAndThreads(t *testing.T) {
	s := New(t, Options{})
	api, ctx := client(s), context.Background()
	meta := slack.SlackMetadata{EventType: "checkin_prompt", EventPayload: map[string]any{"delivery": "k1"}}

	ch, ts, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("Bonjour", false), slack.MsgOptionMetadata(meta))
	if err != nil || ch != "D1" {
		t.Fatalf("post to U1: %q %v, want channel D1", ch, err)
	}
	if ch2, _, _ := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("Encore", false)); ch2 != ch {
		t.Errorf("second post to U1 went to %s", ch2)
	}
	if ch3, _, _ := api.PostMessageContext(ctx, "W9", slack.MsgOptionText("x", false)); ch3 != "DW9" || s.DMUser("DW9") != "W9" {
		t.Errorf("post to W9 went to %s", ch3)
	}
	open, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || open.ID != ch || s.DM("U1") != ch {
		t.Errorf("conversations.open: %+v %v, want %s", open, err, ch)
	}
	msgs := s.ChannelMessages(ch)
	if len(msgs) != 2 || msgs[0].Text != "Bonjour" || msgs[0].Metadata.Value("delivery") != "k1" ||
		msgs[0].Metadata.EventType != "checkin_prompt" || msgs[0].User != BotUserID {
		t.Fatalf("DM shows %+v", msgs)
	}

	// Metadata as a JSON body too.
	_, body := post(t, s.APIURL()+"/chat.postMessage", JSONContentType,
		`{"channel":"D1","text":"json","metadata":{"event_type":"e","event_payload":{"delivery":"k2"}}}`,
		map[string]string{"Authorization": "Bearer " + s.BotToken()})
	if !strings.Contains(body, `"ok":true`) || s.CountByMetadataKey(ch, "delivery")["k2"] != 1 {
		t.Errorf("JSON metadata: %s", body)
	}

	// A thread reply: in the thread, not in the channel; counted on the parent.
	_, rts, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("réponse", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	thread := s.Thread(ch, ts)
	if len(thread) != 2 || thread[0].ReplyCount != 1 || thread[1].TS != rts || thread[1].ThreadTS != ts {
		t.Errorf("thread = %+v", thread)
	}
	if n := len(s.ChannelMessages(ch)); n != 3 {
		t.Errorf("channel shows %d messages, want 3 (the reply is in the thread)", n)
	}
	if n := len(s.Posted(ch)); n != 4 {
		t.Errorf("Posted = %d, want 4", n)
	}
	wantError(t, "unknown thread", call(t, s, "chat.postMessage", url.Values{"channel": {ch}, "text": {"x"}, "thread_ts": {"1.000000"}}), "invalid_thread_ts")

	h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil || len(h.Messages) != 3 || h.Messages[2].Timestamp != ts || h.Messages[0].Text != "json" {
		t.Fatalf("history: %+v %v", h, err)
	}
	if h.Messages[2].ReplyCount != 1 || h.Messages[2].Metadata.EventType != "" {
		t.Errorf("history without metadata: %+v", h.Messages[2])
	}
	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true, Limit: 2})
	if err != nil || len(h.Messages) != 2 || !h.HasMore || h.ResponseMetaData.NextCursor == "" {
		t.Fatalf("history page: %+v %v", h, err)
	}
	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch,
		IncludeAllMetadata: true, Cursor: h.ResponseMetaData.NextCursor})
	if err != nil || len(h.Messages) != 1 || h.Messages[0].Metadata.EventPayload["delivery"] != "k1" {
		t.Fatalf("history with metadata: %+v %v", h, err)
	}
	h, _ = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: ts})
	if len(h.Messages) != 2 {
		t.Errorf("history after %s: %d messages, want 2", ts, len(h.Messages))
	}
	replies, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: ts})
	if err != nil || len(replies) != 2 || replies[1].Text != "réponse" {
		t.Errorf("replies: %+v %v", replies, err)
	}

	// Edited in place, then deleted.
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("Bonjour !", false)); err != nil {
		t.Fatal(err)
	}
	if m := s.Thread(ch, ts)[0]; m.Text != "Bonjour !" || m.Edits != 1 || m.Metadata.Value("delivery") != "k1" {
		t.Errorf("updated: %+v", m)
	}
	if link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ch, Ts: ts}); err != nil ||
		!strings.HasPrefix(link, s.URL+"/archives/D1/p") {
		t.Errorf("permalink %q %v", link, err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, ch, rts); err != nil {
		t.Fatal(err)
	}
	if th := s.Thread(ch, ts); len(th) != 1 || th[0].ReplyCount != 0 {
		t.Errorf("after deleting the reply: %+v", th)
	}
	wantError(t, "update of a deleted message", call(t, s, "chat.update", url.Values{"channel": {ch}, "ts": {rts}, "text": {"x"}}), "message_not_found")
}

// chat.postMessage refuses what Slack refuses.
func TestPostMessageValidation(t *testing.T) {
	s := New(t, Options{})
	section := `{"type":"section","text":{"type":"mrkdwn","text":"x"}}`
	many := "[" + strings.TrimSuffix(strings.Repeat(section+",", MaxMessageBlocks+1), ",") + "]"
	fifty := "[" + strings.TrimSuffix(strings.Repeat(section+",", MaxMessageBlocks), ",") + "]"
	for _, tc := range []struct {
		what string
		form url.Values
		code string
	}{
		{"no channel", url.Values{"text": {"x"}}, "channel_not_found"},
		{"no text nor blocks", url.Values{"channel": {"C1"}}, "no_text"},
		{"empty blocks", url.Values{"channel": {"C1"}, "blocks": {"[]"}}, "no_text"},
		{"blocks not an array", url.Values{"channel": {"C1"}, "text": {"x"}, "blocks": {`{"type":"section"}`}}, "invalid_blocks"},
		{"blocks not JSON", url.Values{"channel": {"C1"}, "blocks": {`[{`}}, "invalid_blocks"},
		{"51 blocks", url.Values{"channel": {"C1"}, "text": {"x"}, "blocks": {many}}, "invalid_blocks"},
		{"too long", url.Values{"channel": {"C1"}, "text": {strings.Repeat("é", MaxMessageText+1)}}, "msg_too_long"},
		{"bad metadata", url.Values{"channel": {"C1"}, "text": {"x"}, "metadata": {`{"event_type":"e","event_payload":"s"}`}}, "invalid_metadata_format"},
	} {
		wantError(t, tc.what, call(t, s, "chat.postMessage", tc.form), tc.code)
	}
	if n := len(s.Posted("C1")); n != 0 {
		t.Errorf("refused posts show %d messages", n)
	}
	for _, form := range []url.Values{
		{"channel": {"C1"}, "blocks": {fifty}},
		{"channel": {"C1"}, "text": {strings.Repeat("é", MaxMessageText)}},
	} {
		if a := call(t, s, "chat.postMessage", form); a["ok"] != true {
			t.Errorf("at the limit: %v", a["error"])
		}
	}
	if c := s.Calls("chat.postMessage")[1]; c.Error != "no_text" || c.Status != 200 {
		t.Errorf("recorded %+v", c)
	}
}
