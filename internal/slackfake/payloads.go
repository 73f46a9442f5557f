package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Content types of Slack's requests.
const (
	FormContentType = "application/x-www-form-urlencoded"
	JSONContentType = "application/json"
)

// Sign returns Slack's v0 signature of body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a POST signed like Slack's. target is a path (for
// calling a handler's ServeHTTP) or a full URL (for an http.Client).
func SignedRequest(secret string, ts time.Time, target, contentType string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		panic(fmt.Sprintf("slackfake: bad target %q: %v", target, err))
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	return req
}

// SlashCommand describes a `/pic …` invocation; empty fields get defaults.
type SlashCommand struct {
	TeamID      string
	UserID      string
	ChannelID   string
	Command     string // default "/pic"
	Text        string
	ResponseURL string
	// TriggerID defaults to a fixed id that views.open refuses
	// (invalid_trigger_id): use Server.IssueTriggerID for one it accepts.
	TriggerID string
}

func (c SlashCommand) withDefaults() SlashCommand {
	if c.TeamID == "" {
		c.TeamID = TeamID
	}
	if c.UserID == "" {
		c.UserID = "U0USER"
	}
	if c.ChannelID == "" {
		c.ChannelID = "C0CHAN"
	}
	if c.Command == "" {
		c.Command = "/pic"
	}
	if c.TriggerID == "" {
		c.TriggerID = "13345224609.738474920.8088930838d88f008e0"
	}
	return c
}

// Form returns the fields Slack posts for a slash command.
func (c SlashCommand) Form() url.Values {
	c = c.withDefaults()
	return url.Values{
		"token":                 {"gIkuvaNzQIHg97ATvDxqgjtO"}, // deprecated verification token
		"team_id":               {c.TeamID},
		"team_domain":           {"fake"},
		"channel_id":            {c.ChannelID},
		"channel_name":          {"general"},
		"user_id":               {c.UserID},
		"user_name":             {"someone"},
		"command":               {c.Command},
		"text":                  {c.Text},
		"api_app_id":            {"A0FAKE"},
		"is_enterprise_install": {"false"},
		"response_url":          {c.ResponseURL},
		"trigger_id":            {c.TriggerID},
	}
}

// Body is the form-encoded HTTP body of the command.
func (c SlashCommand) Body() []byte { return []byte(c.Form().Encode()) }

// JSON is the command as a Socket Mode payload: the same fields, as strings.
func (c SlashCommand) JSON() json.RawMessage {
	m := map[string]string{}
	for k, v := range c.Form() {
		m[k] = v[0]
	}
	return mustJSON(m)
}

// BlockAction describes a click on a button; empty fields get defaults.
type BlockAction struct {
	TeamID      string
	UserID      string
	ChannelID   string
	ActionID    string
	BlockID     string
	Value       string
	ResponseURL string
	MessageTS   string
	// TriggerID defaults to a fixed id that views.open refuses; Click
	// issues a fresh one.
	TriggerID string
	// InChannel says the clicked message is one everyone in the channel
	// sees (container.is_ephemeral false); by default it is ephemeral.
	InChannel bool
}

// JSON is the block_actions interaction payload Slack sends.
func (a BlockAction) JSON() json.RawMessage {
	if a.TeamID == "" {
		a.TeamID = TeamID
	}
	if a.UserID == "" {
		a.UserID = "U0USER"
	}
	if a.ChannelID == "" {
		a.ChannelID = "C0CHAN"
	}
	if a.BlockID == "" {
		a.BlockID = "b1"
	}
	if a.MessageTS == "" {
		a.MessageTS = "1700000000.000100"
	}
	if a.TriggerID == "" {
		a.TriggerID = "13345224609.738474920.8088930838d88f008e0"
	}
	return mustJSON(obj{
		"type":       "block_actions",
		"token":      "gIkuvaNzQIHg97ATvDxqgjtO",
		"api_app_id": "A0FAKE",
		"trigger_id": a.TriggerID,
		"team":       obj{"id": a.TeamID, "domain": "fake"},
		"user":       obj{"id": a.UserID, "username": "someone", "name": "someone", "team_id": a.TeamID},
		"container": obj{"type": "message", "message_ts": a.MessageTS, "channel_id": a.ChannelID,
			"is_ephemeral": !a.InChannel},
		"channel":      obj{"id": a.ChannelID, "name": "general"},
		"message":      obj{"type": "message", "ts": a.MessageTS, "text": "…", "bot_id": "B0BOT"},
		"response_url": a.ResponseURL,
		"state":        obj{"values": obj{}},
		"actions": []obj{{
			"type": "button", "action_id": a.ActionID, "block_id": a.BlockID, "value": a.Value,
			"text":      obj{"type": "plain_text", "text": "Suivant", "emoji": true},
			"action_ts": "1700000001.000200",
		}},
	})
}

// InteractionBody is the HTTP body of an interaction: payload=<JSON>.
func InteractionBody(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// EventCallback is an Events API event_callback wrapping inner (the "event").
func EventCallback(eventID string, inner any) json.RawMessage {
	return mustJSON(obj{
		"token":          "gIkuvaNzQIHg97ATvDxqgjtO",
		"team_id":        TeamID,
		"api_app_id":     "A0FAKE",
		"event":          inner,
		"type":           "event_callback",
		"event_id":       eventID,
		"event_time":     1700000000,
		"event_context":  "4-fake",
		"authorizations": []obj{{"team_id": TeamID, "user_id": BotUserID, "is_bot": true}},
	})
}

// AppHomeOpened is the inner event of a user opening the app's Home tab.
func AppHomeOpened(userID string) map[string]any {
	return obj{"type": "app_home_opened", "user": userID, "channel": "D0HOME", "tab": "home",
		"event_ts": "1700000000.000300"}
}

// URLVerification is the request Slack sends when the events URL is set.
func URLVerification(challenge string) json.RawMessage {
	return mustJSON(obj{"token": "gIkuvaNzQIHg97ATvDxqgjtO", "challenge": challenge, "type": "url_verification"})
}

// SlashCommandEnvelope wraps a command for Socket Mode.
func SlashCommandEnvelope(envelopeID string, c SlashCommand) Envelope {
	return Envelope{EnvelopeID: envelopeID, Type: "slash_commands", Payload: c.JSON(), AcceptsResponsePayload: true}
}

// InteractiveEnvelope wraps an interaction payload for Socket Mode.
func InteractiveEnvelope(envelopeID string, payload json.RawMessage) Envelope {
	return Envelope{EnvelopeID: envelopeID, Type: "interactive", Payload: payload}
}

// EventsAPIEnvelope wraps an Events API body for Socket Mode.
func EventsAPIEnvelope(envelopeID string, body json.RawMessage, retryAttempt int) Envelope {
	env := Envelope{EnvelopeID: envelopeID, Type: "events_api", Payload: body, RetryAttempt: retryAttempt}
	if retryAttempt > 0 {
		env.RetryReason = "timeout"
	}
	return env
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
