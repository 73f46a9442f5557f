package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func post(t *testing.T, u, contentType, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWebAPITokensAndFailures(t *testing.T) {
	s := New(t, Options{})
	form := url.Values{"token": {s.BotToken()}, "channel": {"C1"}, "text": {"hi"}}.Encode()

	_, body := post(t, s.APIURL()+"/chat.postMessage", FormContentType, form, nil)
	if !strings.Contains(body, `"ok":true`) {
		t.Errorf("form token: %s", body)
	}
	_, body = post(t, s.APIURL()+"/views.publish", JSONContentType, `{"user_id":"U1","view":{"type":"home"}}`,
		map[string]string{"Authorization": "Bearer " + s.BotToken()})
	if !strings.Contains(body, `"ok":true`) {
		t.Errorf("bearer token: %s", body)
	}
	_, body = post(t, s.APIURL()+"/auth.test", FormContentType, "token=xoxb-wrong", nil)
	if !strings.Contains(body, "invalid_auth") {
		t.Errorf("wrong token: %s", body)
	}
	_, body = post(t, s.APIURL()+"/auth.test", FormContentType, "", nil)
	if !strings.Contains(body, "not_authed") {
		t.Errorf("no token: %s", body)
	}
	// The bot token does not open Socket Mode connections.
	_, body = post(t, s.APIURL()+"/apps.connections.open", JSONContentType, "",
		map[string]string{"Authorization": "Bearer " + s.BotToken()})
	if !strings.Contains(body, "invalid_auth") {
		t.Errorf("apps.connections.open with bot token: %s", body)
	}

	s.FailNext("chat.postMessage", 2, http.StatusTooManyRequests)
	for range 2 {
		resp, _ := post(t, s.APIURL()+"/chat.postMessage", FormContentType, form, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := post(t, s.APIURL()+"/chat.postMessage", FormContentType, form, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("third call: %d", resp.StatusCode)
	}
	if c, d := len(s.Calls("chat.postMessage")), len(s.Delivered("chat.postMessage")); c != 4 || d != 2 {
		t.Errorf("calls %d delivered %d", c, d)
	}
	if got := s.Delivered("views.publish")[0].Param("user_id"); got != "U1" {
		t.Errorf("JSON param = %q", got)
	}
}

func TestResponseURL(t *testing.T) {
	s := New(t, Options{})
	u := s.NewResponseURL()
	s.FailNext("response", 1, http.StatusInternalServerError)
	if resp, _ := post(t, u, JSONContentType, `{"text":"a"}`, nil); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d", resp.StatusCode)
	}
	if resp, body := post(t, u, JSONContentType, `{"text":"b"}`, nil); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("status %d body %q", resp.StatusCode, body)
	}
	got := s.WaitResponses(t, u, 1)
	if len(got) != 1 || string(got[0]) != `{"text":"b"}` {
		t.Errorf("responses = %s", got)
	}
	if other := s.Responses(s.NewResponseURL()); len(other) != 0 {
		t.Errorf("fresh URL has %d responses", len(other))
	}
}

func TestSocketModeEndpoint(t *testing.T) {
	s := New(t, Options{PingInterval: 10 * time.Millisecond})
	_, body := post(t, s.APIURL()+"/apps.connections.open", JSONContentType, "",
		map[string]string{"Authorization": "Bearer " + s.AppToken()})
	var open struct {
		OK  bool   `json:"ok"`
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(body), &open); err != nil || !open.OK {
		t.Fatalf("apps.connections.open: %s", body)
	}
	conn, _, err := websocket.DefaultDialer.Dial(open.URL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pinged := make(chan struct{}, 1)
	conn.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}
	s.WaitConnection(t, 1)

	s.Push(t, SlashCommandEnvelope("e1", SlashCommand{Text: "aide"}))
	var env Envelope
	if err := conn.ReadJSON(&env); err != nil || env.EnvelopeID != "e1" || env.Type != "slash_commands" || !env.AcceptsResponsePayload {
		t.Fatalf("envelope: %+v %v", env, err)
	}
	var sc map[string]string
	if err := json.Unmarshal(env.Payload, &sc); err != nil || sc["text"] != "aide" || sc["user_id"] == "" {
		t.Fatalf("payload: %s", env.Payload)
	}
	if err := conn.WriteJSON(map[string]any{"envelope_id": "e1", "payload": map[string]string{"text": "ok"}}); err != nil {
		t.Fatal(err)
	}
	if a := s.WaitAck(t, "e1"); string(a.Payload) != `{"text":"ok"}` {
		t.Errorf("ack payload %s", a.Payload)
	}
	// Pings arrive while the client reads.
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-pinged:
	case <-time.After(WaitTimeout):
		t.Error("no ping")
	}
	s.DropConnection(t)
	if s.Connections() != 1 {
		t.Errorf("connections = %d", s.Connections())
	}
}

func TestSignedRequest(t *testing.T) {
	// Slack's worked example.
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	req := SignedRequest("8f742231b10e8888abcd99yyyzzz85a5", time.Unix(1531420618, 0), "/slack/commands", FormContentType, []byte(body))
	if got := req.Header.Get("X-Slack-Signature"); got != "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" {
		t.Errorf("signature %s", got)
	}
	if req.Header.Get("X-Slack-Request-Timestamp") != "1531420618" {
		t.Errorf("timestamp %s", req.Header.Get("X-Slack-Request-Timestamp"))
	}
	b, _ := io.ReadAll(req.Body)
	if string(b) != body {
		t.Error("body changed")
	}
}
