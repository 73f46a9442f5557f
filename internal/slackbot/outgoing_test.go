package slackbot

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/slackfake"
)

func TestResponseURLWaitsOutRateLimit(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	sl := &sleeps{}
	logger, logs := testLogger()
	c := newCore(testConfig(fake, sl), &testHandler{}, logger)

	url := fake.NewResponseURL()
	fake.FailNext("response", 1, http.StatusTooManyRequests)
	c.post(url, textMessage("bonjour"))

	if got := fake.Responses(url); len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	if n := len(fake.Calls("response")); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if got := sl.all(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
		t.Errorf("waits = %v, want [1s] (Retry-After)", got)
	}
	out := logs.String()
	if !strings.Contains(out, "retrying outgoing call") || strings.Contains(out, "/response/") {
		t.Errorf("log: %s", out)
	}
}

// A 5xx may come after Slack showed the reply: it is logged, never sent twice.
func TestResponseURLServerErrorIsNotRetried(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	sl := &sleeps{}
	logger, logs := testLogger()
	c := newCore(testConfig(fake, sl), &testHandler{}, logger)
	url := fake.NewResponseURL()
	fake.FailNext("response", 1, http.StatusInternalServerError)
	c.post(url, textMessage("bonjour"))
	if n := len(fake.Calls("response")); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if len(sl.all()) != 0 {
		t.Errorf("waited %v", sl.all())
	}
	if out := logs.String(); !strings.Contains(out, "reply not delivered") || !strings.Contains(out, "status=500") ||
		!strings.Contains(out, "not_retried") || strings.Contains(out, "/response/") {
		t.Errorf("log: %s", out)
	}

	// No response_url at all is an error too, not a silent drop.
	c.post("", textMessage("x"))
	if !strings.Contains(logs.String(), "no usable response_url") {
		t.Errorf("missing response_url not logged: %s", logs)
	}
}

func TestResponseURLGivesUpLoudly(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	logger, logs := testLogger()
	c := newCore(testConfig(fake, &sleeps{}), &testHandler{}, logger)
	url := fake.NewResponseURL()
	fake.FailNext("response", 100, http.StatusTooManyRequests)
	c.post(url, textMessage("bonjour"))
	if n := len(fake.Calls("response")); n != maxAttempts {
		t.Errorf("%d attempts, want %d", n, maxAttempts)
	}
	out := logs.String()
	if !strings.Contains(out, "giving up") || !strings.Contains(out, "reply not delivered") {
		t.Errorf("give-up not logged: %s", out)
	}
}

// countingServer counts the requests it gets and lets serve answer them.
func countingServer(t *testing.T, serve http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		serve(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A post that timed out or lost its connection may have reached Slack: it is
// not sent again.
func TestResponseURLNotRetriedAfterSending(t *testing.T) {
	release := make(chan struct{})
	hanging, hangs := countingServer(t, func(http.ResponseWriter, *http.Request) { <-release })
	defer close(release) // before the server's cleanup, which waits for handlers
	dropping, drops := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	for _, tc := range []struct {
		name     string
		url      string
		attempts *atomic.Int32
	}{
		{"timeout", hanging.URL + "/commands/T1/1/secretpart", hangs},
		{"dropped connection", dropping.URL + "/commands/T1/1/secretpart", drops},
	} {
		sl := &sleeps{}
		logger, logs := testLogger()
		c := newCore(testConfig(nil, sl), &testHandler{}, logger)
		c.client.hc.Timeout = 50 * time.Millisecond // instead of attemptTimeout
		c.post(tc.url, textMessage("x"))
		if n := tc.attempts.Load(); n != 1 {
			t.Errorf("%s: %d attempts, want 1", tc.name, n)
		}
		if len(sl.all()) != 0 {
			t.Errorf("%s: waited %v", tc.name, sl.all())
		}
		if out := logs.String(); !strings.Contains(out, "reply not delivered") || !strings.Contains(out, "not_retried") ||
			strings.Contains(out, "secretpart") {
			t.Errorf("%s: log: %s", tc.name, out)
		}
	}
}

// A refused connection carried nothing: the post is sent again, and arrives.
func TestResponseURLRetriesRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused

	delivered := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		delivered <- string(b)
	}))
	t.Cleanup(srv.Close)
	var waits []time.Duration
	cfg := testConfig(nil, nil)
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		// Slack is back before the second attempt.
		if len(waits) == 0 {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv.Listener = l
			srv.Start()
		}
		waits = append(waits, d)
		return ctx.Err()
	}
	logger, logs := testLogger()
	c := newCore(cfg, &testHandler{}, logger)
	c.post("http://"+addr+"/commands/T1/1/secretpart", textMessage("bonjour"))
	select {
	case got := <-delivered:
		if !strings.Contains(got, "bonjour") {
			t.Errorf("delivered %q", got)
		}
	default:
		t.Fatalf("not delivered after %v; log: %s", waits, logs)
	}
	if !reflect.DeepEqual(waits, []time.Duration{firstBackoff}) {
		t.Errorf("waits = %v, want [%v]", waits, firstBackoff)
	}
}

func TestPostMessageWaitsOutRateLimit(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	sl := &sleeps{}
	logger, logs := testLogger()
	api := NewClient(testConfig(fake, sl), logger)

	fake.FailNext("chat.postMessage", 1, http.StatusTooManyRequests)
	ch, ts, err := api.PostMessageContext(context.Background(), "U1", slack.MsgOptionText("Rappel", false))
	if err != nil || !strings.HasPrefix(ch, "D") || ts == "" { // the DM with U1, as Slack answers
		t.Fatalf("post: %q %q %v", ch, ts, err)
	}
	delivered := fake.Delivered("chat.postMessage")
	if len(delivered) != 1 || delivered[0].Param("text") != "Rappel" || delivered[0].Token != fake.BotToken() {
		t.Fatalf("delivered = %+v", delivered)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if got := sl.all(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
		t.Errorf("waits = %v, want [1s]", got)
	}
	if strings.Contains(logs.String(), fake.BotToken()) {
		t.Error("token logged")
	}
}

func TestPostMessageRetriesServerErrors(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	sl := &sleeps{}
	logger, _ := testLogger()
	api := NewClient(testConfig(fake, sl), logger)
	fake.FailNext("chat.postMessage", 2, http.StatusInternalServerError)
	if _, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Delivered("chat.postMessage")); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
	if got := sl.all(); !reflect.DeepEqual(got, []time.Duration{firstBackoff, 2 * firstBackoff}) {
		t.Errorf("waits = %v", got)
	}
}

func TestPostMessageGivesUp(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	logger, logs := testLogger()
	api := NewClient(testConfig(fake, &sleeps{}), logger)
	fake.FailNext("chat.postMessage", 100, http.StatusTooManyRequests)
	_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want a RateLimitedError", err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != maxAttempts {
		t.Errorf("%d attempts, want %d", n, maxAttempts)
	}
	if out := logs.String(); !strings.Contains(out, "giving up") || !strings.Contains(out, "api chat.postMessage") {
		t.Errorf("log: %s", out)
	}
}

// A Retry-After longer than the caller's deadline gives up at once rather
// than sleeping past it.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	sl := &sleeps{}
	logger, logs := testLogger()
	api := NewClient(testConfig(fake, sl), logger)
	fake.FailNext("auth.test", 1, http.StatusTooManyRequests)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := api.AuthTestContext(ctx); err == nil {
		t.Fatal("no error")
	}
	if len(sl.all()) != 0 {
		t.Errorf("slept %v", sl.all())
	}
	if !strings.Contains(logs.String(), "wait exceeds deadline") {
		t.Errorf("log: %s", logs)
	}
}

func TestWebAPIMethodsOfTheFake(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	logger, _ := testLogger()
	api := NewClient(testConfig(fake, &sleeps{}), logger)
	ctx := context.Background()
	if r, err := api.AuthTestContext(ctx); err != nil || r.TeamID != slackfake.TeamID {
		t.Fatalf("auth.test: %+v %v", r, err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatalf("chat.postEphemeral: %v", err)
	}
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || ch.ID == "" {
		t.Fatalf("conversations.open: %+v %v", ch, err)
	}
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Note", false, false)}
	if _, err := api.OpenViewContext(ctx, fake.IssueTriggerID("U1"), view); err != nil {
		t.Fatalf("views.open: %v", err)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: sectionBlocks("Accueil")}}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home}); err != nil {
		t.Fatalf("views.publish: %v", err)
	}
	for _, c := range fake.Calls("") {
		if c.Token != fake.BotToken() {
			t.Errorf("%s sent token %q", c.Method, c.Token)
		}
	}

	// A wrong token is refused like Slack does.
	bad := testConfig(fake, &sleeps{})
	bad.BotToken = "xoxb-wrong"
	if _, err := NewClient(bad, logger).AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
}

// A response_url is a credential: network errors are logged without it.
func TestNetworkErrorLogsNoURL(t *testing.T) {
	sl := &sleeps{}
	logger, logs := testLogger()
	c := newCore(testConfig(nil, sl), &testHandler{}, logger)
	c.post("http://127.0.0.1:1/commands/T1/123/secretpart", textMessage("x"))
	out := logs.String()
	if !strings.Contains(out, "giving up") || !strings.Contains(out, "reply not delivered") {
		t.Errorf("log: %s", out)
	}
	if strings.Contains(out, "secretpart") {
		t.Errorf("response_url logged: %s", out)
	}
	if n := len(sl.all()); n != maxAttempts-1 {
		t.Errorf("%d waits, want %d", n, maxAttempts-1)
	}
}
