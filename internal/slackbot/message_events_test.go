package slackbot

import (
	"encoding/json"
	"testing"

	"github.com/pic-montreal/relais/commands"
)

// A DM, its edit and its deletion reach the handler as the message they
// are about: who wrote it, its ts and its thread, from Slack's own shapes
// (message_changed carries the new version, message_deleted the old one).
func TestMessageEventsCarryTheMessageTheyAreAbout(t *testing.T) {
	for name, c := range map[string]struct {
		inner string
		want  commands.Event
	}{
		"reply": {`{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"Bonjour &amp; merci",
			"ts":"1700000002.000200","thread_ts":"1700000001.000100"}`,
			commands.Event{Type: "message", Channel: "D1", ChannelType: "im", User: "U1", Text: "Bonjour &amp; merci",
				TS: "1700000002.000200", ThreadTS: "1700000001.000100"}},
		"edit": {`{"type":"message","subtype":"message_changed","channel":"D1","channel_type":"im",
			"ts":"1700000009.000900","message":{"type":"message","user":"U1","text":"Corrigé","ts":"1700000002.000200",
			"thread_ts":"1700000001.000100","edited":{"user":"U1","ts":"1700000009.000000"}},
			"previous_message":{"type":"message","user":"U1","text":"Bonjour","ts":"1700000002.000200"}}`,
			commands.Event{Type: "message", Subtype: "message_changed", Channel: "D1", ChannelType: "im", User: "U1",
				Text: "Corrigé", TS: "1700000002.000200", ThreadTS: "1700000001.000100"}},
		"deletion": {`{"type":"message","subtype":"message_deleted","channel":"D1","channel_type":"im","hidden":true,
			"ts":"1700000010.001000","deleted_ts":"1700000002.000200",
			"previous_message":{"type":"message","user":"U1","text":"Bonjour","ts":"1700000002.000200","thread_ts":"1700000001.000100"}}`,
			commands.Event{Type: "message", Subtype: "message_deleted", Channel: "D1", ChannelType: "im", User: "U1",
				TS: "1700000002.000200", ThreadTS: "1700000001.000100"}},
		"a file in the thread": {`{"type":"message","subtype":"file_share","channel":"D1","channel_type":"im","user":"U1",
			"text":"Le compte rendu","ts":"1700000003.000300","thread_ts":"1700000001.000100",
			"files":[{"id":"F1","name":"cr.pdf"},{"id":"F2","name":"photo.jpg"}]}`,
			commands.Event{Type: "message", Subtype: "file_share", Channel: "D1", ChannelType: "im", User: "U1",
				Text: "Le compte rendu", TS: "1700000003.000300", ThreadTS: "1700000001.000100", Files: 2}},
		"a file_share without its files listed": {`{"type":"message","subtype":"file_share","channel":"D1",
			"channel_type":"im","user":"U1","text":"","ts":"1700000004.000400","thread_ts":"1700000001.000100"}`,
			commands.Event{Type: "message", Subtype: "file_share", Channel: "D1", ChannelType: "im", User: "U1",
				TS: "1700000004.000400", ThreadTS: "1700000001.000100", Files: 1}},
		"a bot's edit": {`{"type":"message","subtype":"message_changed","channel":"D1","channel_type":"im",
			"message":{"type":"message","user":"U0BOT","bot_id":"B1","text":"Merci, reçu","ts":"1700000001.000100"}}`,
			commands.Event{Type: "message", Subtype: "message_changed", Channel: "D1", ChannelType: "im", User: "U0BOT",
				BotID: "B1", Text: "Merci, reçu", TS: "1700000001.000100"}},
	} {
		t.Run(name, func(t *testing.T) {
			ev, err := eventFromCallback(outerEvent{EventID: "Ev1", TeamID: "T1", Event: json.RawMessage(c.inner)})
			if err != nil {
				t.Fatal(err)
			}
			c.want.ID, c.want.TeamID = "Ev1", "T1"
			if ev != c.want {
				t.Errorf("got  %+v\nwant %+v", ev, c.want)
			}
		})
	}
}
