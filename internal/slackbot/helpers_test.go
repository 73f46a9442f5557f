package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/slackfake"
)

const testSecret = "test-signing-secret-0123456789"

// testHandler is a commands.Handler whose behaviour each test sets.
type testHandler struct {
	command func(ctx context.Context, inv commands.Invocation) commands.Reply
	action  func(ctx context.Context, act commands.ActionInvocation) commands.Reply

	mu   sync.Mutex
	invs []commands.Invocation
	acts []commands.ActionInvocation
}

func (h *testHandler) Command(ctx context.Context, inv commands.Invocation) commands.Reply {
	h.mu.Lock()
	h.invs = append(h.invs, inv)
	h.mu.Unlock()
	if h.command != nil {
		return h.command(ctx, inv)
	}
	return commands.Reply{Text: "commande: " + inv.Text}
}

func (h *testHandler) Action(ctx context.Context, act commands.ActionInvocation) commands.Reply {
	h.mu.Lock()
	h.acts = append(h.acts, act)
	h.mu.Unlock()
	if h.action != nil {
		return h.action(ctx, act)
	}
	return commands.Reply{Text: "action: " + act.ActionID}
}

func (h *testHandler) invocations() []commands.Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]commands.Invocation(nil), h.invs...)
}

func (h *testHandler) actions() []commands.ActionInvocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]commands.ActionInvocation(nil), h.acts...)
}

// memDeduper is an in-memory EventDeduper (the PostgreSQL one is tested with
// testdb).
type memDeduper struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (d *memDeduper) MarkEventProcessed(_ context.Context, id, _, _ string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return false, d.err
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if d.seen[id] {
		return false, nil
	}
	d.seen[id] = true
	return true, nil
}

// recordingEvents is an EventHandler that counts and forwards events.
type recordingEvents struct {
	mu     sync.Mutex
	events []slackevents.EventsAPIEvent
	ch     chan slackevents.EventsAPIEvent
}

func newRecordingEvents() *recordingEvents {
	return &recordingEvents{ch: make(chan slackevents.EventsAPIEvent, 100)}
}

func (r *recordingEvents) HandleEvent(_ context.Context, ev slackevents.EventsAPIEvent) error {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.ch <- ev
	return nil
}

func (r *recordingEvents) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recordingEvents) next(t *testing.T) slackevents.EventsAPIEvent {
	t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-time.After(slackfake.WaitTimeout):
		t.Fatal("timed out waiting for an event")
		return slackevents.EventsAPIEvent{}
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// sleeps records the waits an outgoing call asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// fixedNow is the clock of the HTTP tests.
var fixedNow = time.Date(2026, 10, 5, 14, 0, 0, 0, time.UTC)

func testConfig(fake *slackfake.Server, sl *sleeps) Config {
	cfg := Config{
		SigningSecret: testSecret,
		AckBudget:     5 * time.Second, // generous: fast handlers must answer inline
		Now:           func() time.Time { return fixedNow },
	}
	if fake != nil {
		cfg.BotToken, cfg.AppToken, cfg.APIURL = fake.BotToken(), fake.AppToken(), fake.APIURL()
	}
	if sl != nil {
		cfg.Sleep = sl.sleep
	}
	return cfg
}

func serve(rc http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, req)
	return rec
}

func signed(path, contentType string, body []byte) *http.Request {
	return slackfake.SignedRequest(testSecret, fixedNow, path, contentType, body)
}

// decodeMessage reads a reply (ack body or response_url post).
func decodeMessage(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply is not JSON: %v: %q", err, b)
	}
	return m
}

func shutdown(t *testing.T, rc *Receiver) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slackfake.WaitTimeout)
	defer cancel()
	if err := rc.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func sectionBlocks(text string) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}
}

func ioNop(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
