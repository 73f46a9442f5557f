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

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

const testSecret = "test-signing-secret-0123456789"

// testHandler is a commands.Handler whose behaviour each test sets.
type testHandler struct {
	command func(ctx context.Context, inv commands.Invocation) commands.Reply
	action  func(ctx context.Context, act commands.ActionInvocation) commands.Reply
	submit  func(ctx context.Context, sub commands.ViewSubmission) commands.SubmissionReply
	// events handles events; nil drops them.
	events *recordingEvents

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

func (h *testHandler) Submit(ctx context.Context, sub commands.ViewSubmission) commands.SubmissionReply {
	if h.submit != nil {
		return h.submit(ctx, sub)
	}
	return commands.SubmissionReply{}
}

func (h *testHandler) Event(ctx context.Context, ev commands.Event) (commands.EventReply, error) {
	if h.events != nil {
		return h.events.handle(ctx, ev)
	}
	return commands.EventReply{}, nil
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

// recordingEvents handles events for tests as a real handler does: with a
// store, it records each event id in the same transaction as its effect
// (here, counting the event), so only first deliveries count; err, when
// set, is every event's outcome (a database down).
type recordingEvents struct {
	st    *store.Store
	err   error
	reply commands.EventReply
	// asked, when set, is told each event id once the store has answered.
	asked chan string

	mu     sync.Mutex
	events []commands.Event
	ch     chan commands.Event
}

func newRecordingEvents(st *store.Store) *recordingEvents {
	return &recordingEvents{st: st, ch: make(chan commands.Event, 100)}
}

func (r *recordingEvents) handle(ctx context.Context, ev commands.Event) (commands.EventReply, error) {
	if r.err != nil {
		return commands.EventReply{}, r.err
	}
	first := true
	if r.st != nil {
		err := r.st.InTx(ctx, "test", func(tx *store.Tx) error {
			var err error
			first, err = tx.MarkEventProcessed(ctx, ev.ID, ev.TeamID, ev.Type)
			return err
		})
		if r.asked != nil {
			r.asked <- ev.ID // once the store has answered
		}
		if err != nil {
			return commands.EventReply{}, err
		}
	}
	if !first {
		return commands.EventReply{}, nil
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.ch <- ev
	return r.reply, nil
}

func (r *recordingEvents) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recordingEvents) next(t *testing.T) commands.Event {
	t.Helper()
	select {
	case ev := <-r.ch:
		return ev
	case <-time.After(slackfake.WaitTimeout):
		t.Fatal("timed out waiting for an event")
		return commands.Event{}
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

// fakeTriggerID is the trigger_id slackfake's payloads carry by default.
const fakeTriggerID = "13345224609.738474920.8088930838d88f008e0"
