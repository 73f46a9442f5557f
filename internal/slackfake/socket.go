package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope is a Socket Mode message from Slack to the app.
type Envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt,omitempty"`
	RetryReason            string          `json:"retry_reason,omitempty"`
}

// Ack is the app's acknowledgement of an envelope.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

// DefaultRefreshGrace is how long a connection told to disconnect stays open
// before the fake closes it, unless SetRefreshGrace says otherwise.
const DefaultRefreshGrace = 10 * time.Second

// socketState models Slack's side of Socket Mode: an app may hold several
// connections; envelopes are spread over those that are open and not being
// refreshed, and one pushed when there is none is lost.
type socketState struct {
	conns []*wsConn // every connection ever opened, in order
	// acks holds the first ack of each envelope, the one Slack acts on (it
	// ignores later ones); ackLog all of them in order.
	acks   map[string]Ack
	ackLog []Ack
	// dispatchFailures are the envelopes pushed while no connection could
	// take them (the user sees "dispatch_failed").
	dispatchFailures []string
	next             int           // round-robin over usable connections
	grace            time.Duration // 0: DefaultRefreshGrace
	// loseNextAck: the next ack dies with its connection (LoseNextAck).
	loseNextAck bool
}

type wsConn struct {
	number int // 1-based, in opening order
	conn   *websocket.Conn
	// wmu serialises writes (gorilla allows one writer) and makes "is it
	// still usable" and the write one step, so nothing follows a disconnect.
	wmu  sync.Mutex
	done chan struct{}
	// Guarded by Server.mu.
	ready      bool // hello sent
	refreshing bool // disconnect sent: no more envelopes
	closed     bool
}

// writeJSONLocked writes v; c.wmu must be held.
func (c *wsConn) writeJSONLocked(v any) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteJSON(v)
}

func (c *wsConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeJSONLocked(v)
}

// usable reports whether Slack would send an envelope to c; s.mu must be held.
func (c *wsConn) usable() bool { return c.ready && !c.refreshing && !c.closed }

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com; a fake has no
	// origin to protect.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	s.mu.Lock()
	c := &wsConn{number: len(s.sock.conns) + 1, conn: conn, done: make(chan struct{})}
	s.sock.conns = append(s.sock.conns, c)
	open := 0
	for _, o := range s.sock.conns {
		if !o.closed {
			open++
		}
	}
	s.mu.Unlock()

	// Hello first, as Slack does, before the connection counts as open.
	_ = c.writeJSON(map[string]any{
		"type": "hello", "num_connections": open,
		"connection_info": map[string]any{"app_id": "A0FAKE"},
		"debug_info":      map[string]any{"host": fmt.Sprintf("fake-%d", c.number), "approximate_connection_time": 18060},
	})
	s.mu.Lock()
	c.ready = true
	s.notifyLocked()
	s.mu.Unlock()

	go s.ping(c)
	defer func() {
		close(c.done)
		conn.Close()
		s.mu.Lock()
		c.closed = true
		s.notifyLocked()
		s.mu.Unlock()
	}()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var a Ack
		if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		if s.sock.loseNextAck {
			s.sock.loseNextAck = false
			s.mu.Unlock()
			return // the deferred close drops the connection
		}
		if _, seen := s.sock.acks[a.EnvelopeID]; !seen {
			s.sock.acks[a.EnvelopeID] = a
		}
		s.sock.ackLog = append(s.sock.ackLog, a)
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// ping keeps slack-go's dead-connection timer happy, as Slack's pings do.
func (s *Server) ping(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			// WriteControl may run concurrently with other writes.
			_ = c.conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		}
	}
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := append([]*wsConn(nil), s.sock.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.conn.Close()
	}
}

// SetRefreshGrace sets how long a connection stays open after its
// "disconnect" (RequestDisconnect) before the fake closes it.
func (s *Server) SetRefreshGrace(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sock.grace = d
}

// Connections is how many Socket Mode connections were opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sock.conns)
}

// usableLocked returns the connections that envelopes may go to.
func (s *Server) usableLocked() []*wsConn {
	var out []*wsConn
	for _, c := range s.sock.conns {
		if c.usable() {
			out = append(out, c)
		}
	}
	return out
}

// WaitConnection waits until the n-th connection (1-based, in opening order)
// has been sent its hello; it may have closed since.
func (s *Server) WaitConnection(t testing.TB, n int) {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("Socket Mode connection #%d", n), func() bool {
		return len(s.sock.conns) >= n && s.sock.conns[n-1].ready
	})
}

// WaitUsableConnections waits until at least n connections can take
// envelopes (open, hello sent, not being refreshed).
func (s *Server) WaitUsableConnections(t testing.TB, n int) {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("%d usable Socket Mode connection(s)", n), func() bool {
		return len(s.usableLocked()) >= n
	})
}

// Push sends env over one of the usable connections, in turn, as Slack
// spreads envelopes. With none, env is lost and recorded as a dispatch
// failure; Push then reports false.
func (s *Server) Push(t testing.TB, env Envelope) bool {
	t.Helper()
	for {
		s.mu.Lock()
		usable := s.usableLocked()
		if len(usable) == 0 {
			s.sock.dispatchFailures = append(s.sock.dispatchFailures, env.EnvelopeID)
			s.notifyLocked()
			s.mu.Unlock()
			t.Logf("slackfake: no usable Socket Mode connection: %s lost", env.EnvelopeID)
			return false
		}
		c := usable[s.sock.next%len(usable)]
		s.sock.next++
		s.mu.Unlock()

		c.wmu.Lock()
		s.mu.Lock()
		still := c.usable()
		s.mu.Unlock()
		if !still {
			c.wmu.Unlock()
			continue // refreshed or closed meanwhile: choose again
		}
		err := c.writeJSONLocked(env)
		c.wmu.Unlock()
		if err != nil {
			s.mu.Lock()
			s.sock.dispatchFailures = append(s.sock.dispatchFailures, env.EnvelopeID)
			s.notifyLocked()
			s.mu.Unlock()
			t.Logf("slackfake: push %s: %v", env.EnvelopeID, err)
			return false
		}
		return true
	}
}

// DispatchFailures returns the envelopes Push could not deliver.
func (s *Server) DispatchFailures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sock.dispatchFailures...)
}

// WaitAck waits for the acknowledgement of envelopeID.
func (s *Server) WaitAck(t testing.TB, envelopeID string) Ack {
	t.Helper()
	var a Ack
	s.waitFor(t, "ack of "+envelopeID, func() bool {
		var ok bool
		a, ok = s.sock.acks[envelopeID]
		return ok
	})
	return a
}

// Acked reports whether envelopeID was acknowledged.
func (s *Server) Acked(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sock.acks[envelopeID]
	return ok
}

// AcksOf returns every ack of envelopeID, in the order they came.
func (s *Server) AcksOf(envelopeID string) []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var acks []Ack
	for _, a := range s.sock.ackLog {
		if a.EnvelopeID == envelopeID {
			acks = append(acks, a)
		}
	}
	return acks
}

// newestOpenLocked is the most recently opened connection still open.
func (s *Server) newestOpenLocked() *wsConn {
	for i := len(s.sock.conns) - 1; i >= 0; i-- {
		if c := s.sock.conns[i]; c.ready && !c.closed {
			return c
		}
	}
	return nil
}

// LoseNextAck makes the next ack vanish with its connection, which then
// closes abruptly: an ack written into a connection that was dying, as
// happens when one ends while acks are on their way.
func (s *Server) LoseNextAck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sock.loseNextAck = true
}

// DropConnection closes the most recently opened connection abruptly,
// without a close frame, as a network failure would.
func (s *Server) DropConnection(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	c := s.newestOpenLocked()
	s.mu.Unlock()
	if c == nil {
		t.Fatalf("slackfake: no Socket Mode connection to drop")
	}
	c.conn.Close()
	s.waitFor(t, "dropped connection to close", func() bool { return c.closed })
}

// DropConnections closes every open connection abruptly.
func (s *Server) DropConnections(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	var open []*wsConn
	for _, c := range s.sock.conns {
		if !c.closed {
			open = append(open, c)
		}
	}
	s.mu.Unlock()
	for _, c := range open {
		c.conn.Close()
	}
	s.waitFor(t, "dropped connections to close", func() bool {
		for _, c := range open {
			if !c.closed {
				return false
			}
		}
		return true
	})
}

// RequestDisconnect refreshes a connection as Slack does: it sends
// "disconnect" (refresh_requested) on the oldest usable connection, sends it
// no more envelopes, and closes it after the refresh grace period. It
// returns the connection's number (1-based, in opening order).
func (s *Server) RequestDisconnect(t testing.TB) int {
	t.Helper()
	s.mu.Lock()
	usable := s.usableLocked()
	grace := s.sock.grace
	s.mu.Unlock()
	if len(usable) == 0 {
		t.Fatalf("slackfake: no Socket Mode connection to refresh")
	}
	if grace <= 0 {
		grace = DefaultRefreshGrace
	}
	c := usable[0]
	c.wmu.Lock()
	s.mu.Lock()
	c.refreshing = true
	s.notifyLocked()
	s.mu.Unlock()
	err := c.writeJSONLocked(map[string]any{"type": "disconnect", "reason": "refresh_requested",
		"debug_info": map[string]any{"host": fmt.Sprintf("fake-%d", c.number)}})
	c.wmu.Unlock()
	if err != nil {
		t.Logf("slackfake: disconnect on connection #%d: %v", c.number, err)
	}
	go func() {
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-c.done:
		case <-timer.C:
			c.wmu.Lock()
			_ = c.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, "refreshed"), time.Now().Add(time.Second))
			c.wmu.Unlock()
			c.conn.Close()
		}
	}()
	return c.number
}
