// Package slackfake is a fake Slack for tests: a Web API and a Socket Mode
// endpoint on 127.0.0.1 (httptest) that record every call, check tokens, and
// can be told to answer 429 or 5xx; a response_url endpoint; and builders for
// signed requests and payloads shaped like Slack's.
//
// Beyond recording calls, it models what people see, so a test checks the
// consequence of a call rather than the call, in the same step as the call
// is recorded:
//   - conversations (messages.go, conversations.go): channel messages,
//     ephemeral ones, response_url replace/delete, the app's DM with each
//     user (chat.postMessage to U…/W… lands in a stable D… channel), thread
//     replies, message metadata, edits and deletions, read back with
//     conversations.history and conversations.replies;
//   - surfaces (views.go): each user's modal stack and App Home; a modal
//     opens only with a fresh trigger_id (once, 3 s of the fake's clock);
//   - files (files.go): uploads shared in a conversation as a message;
//   - delivery (delivery.go): refusals per user or channel, per-method rate
//     limits over a sliding second (429, Retry-After), and failures after
//     the message is stored (HTTP 500 or a dropped connection), so a naive
//     retry shows a duplicate in the conversation.
//
// Time comes from the fake's clock: real time unless Options.Now says
// otherwise, moved on by Advance.
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
	// Now is the fake's clock (trigger expiry, rate windows, Call.Time);
	// default time.Now. Advance moves it on.
	Now func() time.Time
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
	// Status is what the fake answered (429 and 5xx when told to fail);
	// StatusDropped when it closed the connection without answering.
	Status int
	// Error is the Slack error code of an ok:false answer.
	Error string
	// Time is when the fake received the call, on its clock.
	Time time.Time
	// answer is the Web API answer, decided when the call is recorded.
	answer obj
	// shownErr is why a response_url post could not change the
	// conversation (its message was deleted).
	shownErr error
}

// StatusDropped is the Call.Status of a call whose connection the fake
// closed without an answer (FailAfterStoring with "drop").
const StatusDropped = 0

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
	ts       int64 // a counter for view and trigger ids
	lastTS   int64 // the last message ts issued, in microseconds
	sock     socketState
	// messages and origins model what people see (messages.go).
	messages []*Message
	origins  map[string]responseOrigin
	// offset moves opts.Now on (Advance).
	offset time.Duration
	// conv, views, files and deliv are the state of conversations.go,
	// views.go, files.go and delivery.go.
	conv  convState
	views viewState
	files fileState
	deliv deliveryState
	chans channelState // channels.go
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		changed:  make(chan struct{}),
		failures: map[string]failure{},
		locales:  map[string]string{},
		ts:       1700000000,
		sock:     socketState{acks: map[string]Ack{}},
		deliv:    newDeliveryState(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponse)
	mux.HandleFunc("/socket", s.serveSocket)
	mux.HandleFunc("/upload/", s.serveUpload)
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
	if q := r.URL.Query(); len(q) > 0 && strings.HasPrefix(r.URL.Path, "/api/") {
		// A GET call (chat.getPermalink) carries its parameters in the URL.
		if c.Form == nil {
			c.Form = url.Values{}
		}
		for k, v := range q {
			c.Form[k] = append(c.Form[k], v...)
		}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.Token = tok
	} else if c.Form != nil {
		c.Token = c.Form.Get("token")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c.Time = s.nowLocked()
	if f, ok := s.failures[method]; ok && f.n > 0 {
		c.Status = f.status
		f.n--
		s.failures[method] = f
	} else if s.rateLimitedLocked(method, c.Time) {
		c.Status = http.StatusTooManyRequests
	}
	if c.Status == http.StatusOK {
		s.deliv.admitted[method] = append(s.deliv.admitted[method], c.Time)
	}
	if method == "response" && c.Status == http.StatusOK && json.Valid(c.JSON) {
		// Shown in the same step as recorded: a test woken by the call
		// sees its consequence.
		c.shownErr = s.applyResponseLocked(c.Path, c.JSON)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") && c.Status == http.StatusOK {
		// Likewise a Web API call: answered, and what it changes shown,
		// before anyone is told it was recorded.
		s.answerCallLocked(&c)
	}
	s.calls = append(s.calls, c)
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
	switch c.Status {
	case http.StatusOK:
		writeJSON(w, c.answer)
	case StatusDropped:
		dropConnection(w)
	default:
		writeFailure(w, c.Status)
	}
}

// answerCallLocked authenticates a Web API call and answers it, applying
// what it changes; a failure queued with FailAfterStoring then replaces the
// answer's status.
func (s *Server) answerCallLocked(c *Call) {
	want := s.opts.BotToken
	if c.Method == "apps.connections.open" {
		want = s.opts.AppToken
	}
	switch {
	case c.Token == "":
		c.answer = slackError("not_authed")
	case c.Token != want:
		c.answer = slackError("invalid_auth")
	default:
		c.answer = s.answerLocked(c.Method, *c)
	}
	if ok, _ := c.answer["ok"].(bool); !ok {
		c.Error, _ = c.answer["error"].(string)
		return
	}
	if status, failed := s.failAfterStoringLocked(c.Method); failed {
		c.Status = status
	}
}

// answerLocked is the fake's reply to an authenticated Web API call.
func (s *Server) answerLocked(method string, c Call) obj {
	if a, ok := s.answerMoreLocked(method, c); ok {
		return a
	}
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
	case "chat.postEphemeral":
		if c.Param("channel") == "" || c.Param("user") == "" {
			return slackError("channel_not_found")
		}
		return obj{"ok": true, "message_ts": s.nextTSLocked()}
	case "apps.connections.open":
		return obj{"ok": true, "url": "ws" + strings.TrimPrefix(s.URL, "http") + "/socket"}
	}
	return slackError("unknown_method")
}
