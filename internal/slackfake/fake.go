// Package slackfake is a fake Slack for tests: a Web API and a Socket Mode
// endpoint on 127.0.0.1 (httptest) that record every call, check tokens, and
// can be told to answer 429 or 5xx; a response_url endpoint; and builders for
// signed requests and payloads shaped like Slack's.
//
// It answers only what Relais uses; it is not a Slack emulator.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for Options.
const (
	DefaultBotToken = "xoxb-fake-bot-token"
	DefaultAppToken = "xapp-fake-app-token"
	TeamID          = "T0FAKE"
	BotUserID       = "U0BOT"
)

// WaitTimeout bounds every Wait* helper: a safety net that fails the test
// instead of hanging it, not a schedule.
var WaitTimeout = 10 * time.Second

// Options configure a Server; zero values take the defaults.
type Options struct {
	BotToken string
	AppToken string
	// PingInterval is how often the Socket Mode endpoint pings clients;
	// default 5 s.
	PingInterval time.Duration
}

// Call is one request the fake received.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), or "response" for a
	// post to a response URL.
	Method string
	Path   string
	// Token is the bearer token (Authorization header, or the token form field
	// that slack-go sends for form-encoded methods).
	Token       string
	ContentType string
	Form        url.Values
	JSON        json.RawMessage
	// Status is what the fake answered (429 and 5xx when told to fail).
	Status int
	// shownErr is why a response_url post could not change the
	// conversation (its message was deleted).
	shownErr error
}

// Param returns a parameter of a form or JSON call, as a string.
func (c Call) Param(name string) string {
	if c.Form != nil {
		if v := c.Form.Get(name); v != "" {
			return v
		}
	}
	if len(c.JSON) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(c.JSON, &m) == nil {
			raw, ok := m[name]
			if !ok {
				return ""
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
			return string(raw)
		}
	}
	return ""
}

type failure struct{ status, n int }

// Server is the fake. Create it with New; it is closed when the test ends.
type Server struct {
	// URL is the server's base, http://127.0.0.1:port.
	URL string

	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every recorded change
	calls    []Call
	failures map[string]failure
	locales  map[string]string
	nextID   int
	ts       int64
	sock     socketState
	// messages and origins model what people see (messages.go).
	messages []*Message
	origins  map[string]responseOrigin
}

// New starts a fake Slack on 127.0.0.1.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.BotToken == "" {
		opts.BotToken = DefaultBotToken
	}
	if opts.AppToken == "" {
		opts.AppToken = DefaultAppToken
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 5 * time.Second
	}
	s := &Server{
		opts:     opts,
		changed:  make(chan struct{}),
		failures: map[string]failure{},
		locales:  map[string]string{},
		ts:       1700000000,
		sock:     socketState{acks: map[string]Ack{}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponse)
	mux.HandleFunc("/socket", s.serveSocket)
	s.srv = httptest.NewServer(mux) // httptest listens on 127.0.0.1
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close drops Socket Mode connections and stops the server.
func (s *Server) Close() {
	s.closeSockets()
	s.srv.Close()
}

// APIURL is the Web API base to put in slackbot.Config.APIURL (no trailing
// slash).
func (s *Server) APIURL() string { return s.URL + "/api" }

// BotToken and AppToken are the tokens the fake accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken is the app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// SetLocale sets what users.info answers for userID; unknown users get
// user_not_found.
func (s *Server) SetLocale(userID, locale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locales[userID] = locale
}

// FailNext makes the next n calls of method ("response" for response URLs)
// answer status; a 429 carries Retry-After: 1.
func (s *Server) FailNext(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = failure{status: status, n: n}
}

// NewResponseURL returns a fresh response URL that records what is posted to it.
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("%s/response/%d", s.URL, s.nextID)
}

// Calls returns the calls of method received so far (all of them when method
// is ""), failed attempts included.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method, false)
}

func (s *Server) callsLocked(method string, okOnly bool) []Call {
	var out []Call
	for _, c := range s.calls {
		if (method == "" || c.Method == method) && (!okOnly || c.Status == http.StatusOK) {
			out = append(out, c)
		}
	}
	return out
}

// Delivered returns the calls of method that were answered 200.
func (s *Server) Delivered(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method, true)
}

// WaitDelivered waits until n calls of method were answered 200 and returns them.
func (s *Server) WaitDelivered(t testing.TB, method string, n int) []Call {
	t.Helper()
	var out []Call
	s.waitFor(t, fmt.Sprintf("%d delivered %s call(s)", n, method), func() bool {
		out = s.callsLocked(method, true)
		return len(out) >= n
	})
	return out
}

// Responses returns the bodies posted with success to responseURL.
func (s *Server) Responses(responseURL string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.responsesLocked(responseURL)
}

func (s *Server) responsesLocked(responseURL string) []json.RawMessage {
	u, err := url.Parse(responseURL)
	if err != nil {
		return nil
	}
	var out []json.RawMessage
	for _, c := range s.calls {
		if c.Method == "response" && c.Path == u.Path && c.Status == http.StatusOK {
			out = append(out, c.JSON)
		}
	}
	return out
}

// WaitResponses waits until n bodies were posted to responseURL.
func (s *Server) WaitResponses(t testing.TB, responseURL string, n int) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	s.waitFor(t, fmt.Sprintf("%d response(s)", n), func() bool {
		out = s.responsesLocked(responseURL)
		return len(out) >= n
	})
	return out
}

// waitFor blocks until cond (called with s.mu held) is true.
func (s *Server) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("slackfake: timed out waiting for %s", what)
		}
	}
}

// notifyLocked wakes the waiters; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// record reads the request into a Call and decides the status: a queued
// failure, or 200.
func (s *Server) record(r *http.Request, method string) (Call, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return Call{}, err
	}
	c := Call{Method: method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Status: http.StatusOK}
	mt, _, _ := mime.ParseMediaType(c.ContentType)
	switch mt {
	case "application/json":
		if len(body) > 0 {
			c.JSON = json.RawMessage(body)
		}
	case "application/x-www-form-urlencoded":
		c.Form, err = url.ParseQuery(string(body))
		if err != nil {
			return Call{}, err
		}
	default:
		if len(body) > 0 {
			return Call{}, fmt.Errorf("unexpected content type %q", c.ContentType)
		}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.Token = tok
	} else if c.Form != nil {
		c.Token = c.Form.Get("token")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.failures[method]; ok && f.n > 0 {
		c.Status = f.status
		f.n--
		s.failures[method] = f
	}
	s.calls = append(s.calls, c)
	if method == "response" && c.Status == http.StatusOK && json.Valid(c.JSON) {
		// Shown in the same step as recorded: a test woken by the call
		// sees its consequence.
		c.shownErr = s.applyResponseLocked(c.Path, c.JSON)
	}
	s.notifyLocked()
	return c, nil
}

func writeFailure(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, http.StatusText(status), status)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

type obj = map[string]any

func slackError(code string) obj { return obj{"ok": false, "error": code} }

func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c, err := s.record(r, "response")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.Status != http.StatusOK {
		writeFailure(w, c.Status)
		return
	}
	if !json.Valid(c.JSON) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if c.shownErr != nil {
		http.Error(w, c.shownErr.Error(), http.StatusNotFound)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c, err := s.record(r, method)
	if err != nil {
		writeJSON(w, slackError("invalid_form_data"))
		return
	}
	if c.Status != http.StatusOK {
		writeFailure(w, c.Status)
		return
	}
	want := s.opts.BotToken
	if method == "apps.connections.open" {
		want = s.opts.AppToken
	}
	switch {
	case c.Token == "":
		writeJSON(w, slackError("not_authed"))
		return
	case c.Token != want:
		writeJSON(w, slackError("invalid_auth"))
		return
	}
	writeJSON(w, s.answer(method, c))
}

// answer is the fake's reply to an authenticated Web API call.
func (s *Server) answer(method string, c Call) obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "auth.test":
		return obj{"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "relais",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": "B0BOT"}
	case "users.info":
		id := c.Param("user")
		loc, ok := s.locales[id]
		if !ok {
			return slackError("user_not_found")
		}
		return obj{"ok": true, "user": obj{"id": id, "team_id": TeamID, "name": strings.ToLower(id), "locale": loc}}
	case "chat.postMessage":
		if c.Param("channel") == "" {
			return slackError("channel_not_found")
		}
		if c.Param("text") == "" && c.Param("blocks") == "" {
			return slackError("no_text")
		}
		m := s.postMessageLocked(c)
		return obj{"ok": true, "channel": m.Channel, "ts": m.TS,
			"message": obj{"type": "message", "text": m.Text, "ts": m.TS, "bot_id": "B0BOT"}}
	case "chat.postEphemeral":
		if c.Param("channel") == "" || c.Param("user") == "" {
			return slackError("channel_not_found")
		}
		s.ts++
		return obj{"ok": true, "message_ts": strconv.FormatInt(s.ts, 10) + ".000200"}
	case "conversations.open":
		users := c.Param("users")
		if users == "" {
			return slackError("users_list_not_supplied")
		}
		return obj{"ok": true, "channel": obj{"id": "D" + strings.TrimPrefix(strings.Split(users, ",")[0], "U")}}
	case "views.open":
		if c.Param("trigger_id") == "" || c.Param("view") == "" {
			return slackError("invalid_arguments")
		}
		s.nextID++
		return obj{"ok": true, "view": obj{"id": fmt.Sprintf("V%d", s.nextID)}}
	case "views.publish":
		if c.Param("user_id") == "" || c.Param("view") == "" {
			return slackError("invalid_arguments")
		}
		s.nextID++
		return obj{"ok": true, "view": obj{"id": fmt.Sprintf("V%d", s.nextID)}}
	case "apps.connections.open":
		return obj{"ok": true, "url": "ws" + strings.TrimPrefix(s.URL, "http") + "/socket"}
	}
	return slackError("unknown_method")
}
