package slackfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialSocket opens a Socket Mode connection as an app would and reads hello.
func dialSocket(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	_, body := post(t, s.APIURL()+"/apps.connections.open", JSONContentType, "",
		map[string]string{"Authorization": "Bearer " + s.AppToken()})
	var open struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(body), &open); err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(open.URL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}
	return conn
}

func readType(t *testing.T, conn *websocket.Conn) (typ, envelopeID string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(WaitTimeout))
	var m struct {
		Type       string `json:"type"`
		EnvelopeID string `json:"envelope_id"`
	}
	if err := conn.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m.Type, m.EnvelopeID
}

// Refresh as Slack does it: disconnect, no more envelopes on that connection,
// acks still accepted during the grace period, then the connection closes;
// with no usable connection an envelope is lost.
func TestSocketModeRefresh(t *testing.T) {
	s := New(t, Options{})
	s.SetRefreshGrace(50 * time.Millisecond)
	first, second := dialSocket(t, s), dialSocket(t, s)
	s.WaitUsableConnections(t, 2)

	// Envelopes are spread over the open connections.
	s.Push(t, SlashCommandEnvelope("e1", SlashCommand{}))
	s.Push(t, SlashCommandEnvelope("e2", SlashCommand{}))
	_, id1 := readType(t, first)
	_, id2 := readType(t, second)
	if id1 != "e1" || id2 != "e2" {
		t.Fatalf("envelopes went %q to #1 and %q to #2", id1, id2)
	}

	if n := s.RequestDisconnect(t); n != 1 {
		t.Fatalf("refreshed connection #%d, want the oldest, #1", n)
	}
	if typ, _ := readType(t, first); typ != "disconnect" {
		t.Fatalf("got %q, want disconnect", typ)
	}
	for _, id := range []string{"e3", "e4"} {
		if !s.Push(t, SlashCommandEnvelope(id, SlashCommand{})) {
			t.Fatalf("%s not dispatched", id)
		}
		if _, got := readType(t, second); got != id {
			t.Fatalf("connection #2 got %q, want %s", got, id)
		}
	}
	// The refreshed connection still takes acks, then is closed.
	if err := first.WriteJSON(map[string]string{"envelope_id": "e1"}); err != nil {
		t.Fatal(err)
	}
	s.WaitAck(t, "e1")
	_ = first.SetReadDeadline(time.Now().Add(WaitTimeout))
	_, _, err := first.ReadMessage()
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("after the grace period: %v, want a normal close", err)
	}

	if err := second.WriteJSON(map[string]string{"envelope_id": "e2"}); err != nil {
		t.Fatal(err)
	}
	if err := second.WriteJSON(map[string]any{"envelope_id": "e2", "payload": map[string]string{"text": "late"}}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "two acks of e2", func() bool { return len(s.sock.ackLog) >= 3 })
	if n := len(s.AcksOf("e2")); n != 2 {
		t.Errorf("%d acks of e2, want 2", n)
	}
	if a := s.WaitAck(t, "e2"); a.Payload != nil {
		t.Errorf("ack of e2 = %s: a later ack replaced the first", a.Payload)
	}

	s.DropConnections(t)
	if s.Push(t, SlashCommandEnvelope("e5", SlashCommand{})) {
		t.Error("e5 dispatched with no connection open")
	}
	if got := s.DispatchFailures(); !reflect.DeepEqual(got, []string{"e5"}) {
		t.Errorf("dispatch failures = %v", got)
	}
}
