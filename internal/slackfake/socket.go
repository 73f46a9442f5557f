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

type socketState struct {
	conns   []*wsConn // every connection ever opened, in order
	current *wsConn
	acks    map[string]Ack
}

type wsConn struct {
	conn *websocket.Conn
	wmu  sync.Mutex // gorilla allows one concurrent writer
	done chan struct{}
	// ready is set once hello is sent; guarded by Server.mu.
	ready bool
}

func (c *wsConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteJSON(v)
}

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
	c := &wsConn{conn: conn, done: make(chan struct{})}
	s.mu.Lock()
	s.sock.conns = append(s.sock.conns, c)
	s.sock.current = c
	n := len(s.sock.conns)
	s.mu.Unlock()

	// Hello first, as Slack does, before the connection counts as open.
	_ = c.writeJSON(map[string]any{
		"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0FAKE"},
		"debug_info":      map[string]any{"host": fmt.Sprintf("fake-%d", n), "approximate_connection_time": 18060},
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
		if s.sock.current == c {
			s.sock.current = nil
		}
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
		s.sock.acks[a.EnvelopeID] = a
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

// Connections is how many Socket Mode connections were opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sock.conns)
}

// WaitConnection waits until the n-th connection (1-based) is open and has
// been sent its hello.
func (s *Server) WaitConnection(t testing.TB, n int) {
	t.Helper()
	s.waitFor(t, fmt.Sprintf("Socket Mode connection #%d", n), func() bool {
		c := s.sock.current
		return len(s.sock.conns) >= n && c == s.sock.conns[n-1] && c.ready
	})
}

// Push sends env over the current connection.
func (s *Server) Push(t testing.TB, env Envelope) {
	t.Helper()
	s.mu.Lock()
	c := s.sock.current
	s.mu.Unlock()
	if c == nil {
		t.Fatalf("slackfake: no Socket Mode connection to push %s to", env.EnvelopeID)
	}
	if err := c.writeJSON(env); err != nil {
		t.Fatalf("slackfake: push %s: %v", env.EnvelopeID, err)
	}
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

// DropConnection closes the current connection abruptly, without a close
// frame, as a network failure would.
func (s *Server) DropConnection(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	c := s.sock.current
	s.mu.Unlock()
	if c == nil {
		t.Fatalf("slackfake: no Socket Mode connection to drop")
	}
	c.conn.Close()
	s.waitFor(t, "dropped connection to close", func() bool { return s.sock.current != c })
}

// RequestDisconnect sends Slack's "disconnect" message (connection refresh).
func (s *Server) RequestDisconnect(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	c := s.sock.current
	s.mu.Unlock()
	if c == nil {
		t.Fatalf("slackfake: no Socket Mode connection")
	}
	if err := c.writeJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested",
		"debug_info": map[string]any{"host": "fake"}}); err != nil {
		t.Fatalf("slackfake: disconnect: %v", err)
	}
}
