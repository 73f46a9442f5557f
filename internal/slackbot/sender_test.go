package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// fakeSender is a Sender on fake with no pacing, so tests are about answers.
func fakeSender(fake *slackfake.Server) *Sender {
	return NewSender(SenderConfig{BotToken: fake.BotToken(), APIURL: fake.APIURL(), PostRate: 1e6, PerConversation: -1, LookupRate: 1e6})
}

func TestSenderPostsWithKeyInMetadata(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	s := fakeSender(fake)
	ctx := context.Background()
	blocks := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"Bonjour"}}]`)
	ch, ts, err := s.PostMessage(ctx, "UALICE", "Bonjour", blocks, "", "prompt:1:UALICE")
	if err != nil {
		t.Fatal(err)
	}
	if ch != fake.DM("UALICE") || ts == "" {
		t.Errorf("posted in %q at %q, want the DM %q", ch, ts, fake.DM("UALICE"))
	}
	if got := fake.CountByMetadataKey("", "key"); got["prompt:1:UALICE"] != 1 || len(got) != 1 {
		t.Errorf("metadata keys: %v", got)
	}
	if dm, ok := s.KnownDM("UALICE"); !ok || dm != ch {
		t.Errorf("KnownDM = %q %v, want the answer's %q", dm, ok, ch)
	}

	found, ok, err := s.FindPosted(ctx, ch, "prompt:1:UALICE", time.Time{})
	if err != nil || !ok || found != ts {
		t.Errorf("FindPosted = %q %v %v, want %q", found, ok, err, ts)
	}
	if _, ok, err := s.FindPosted(ctx, ch, "prompt:2:UALICE", time.Time{}); err != nil || ok {
		t.Errorf("FindPosted of a key never posted: %v %v", ok, err)
	}
	if calls := fake.Calls("conversations.history"); len(calls) == 0 || calls[0].Param("include_all_metadata") != "true" {
		t.Error("history was not asked for metadata")
	}

	// In a thread, the reply is found among the thread's replies.
	_, rts, err := s.PostMessage(ctx, ch, "réponse", nil, ts, "reminder:1:UALICE")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.FindPostedInThread(ctx, ch, ts, "reminder:1:UALICE", time.Time{}); err != nil || !ok || got != rts {
		t.Errorf("FindPostedInThread = %q %v %v, want %q", got, ok, err, rts)
	}
}

func TestSenderFindPostedPaginates(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	s := fakeSender(fake)
	ctx := context.Background()
	_, first, err := s.PostMessage(ctx, "CTABLE", "premier", nil, "", "k:first")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 { // pushes the first message to history's second page
		if _, _, err := s.PostMessage(ctx, "CTABLE", "suivant", nil, "", "k:"+string(rune('a'+i%26))+time.Duration(i).String()); err != nil {
			t.Fatal(err)
		}
	}
	ts, ok, err := s.FindPosted(ctx, "CTABLE", "k:first", time.Time{})
	if err != nil || !ok || ts != first {
		t.Errorf("FindPosted = %q %v %v, want %q", ts, ok, err, first)
	}
	if n := len(fake.Calls("conversations.history")); n != 2 {
		t.Errorf("%d history pages read, want 2", n)
	}
}

func TestSenderClassifiesFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("refused DM", func(t *testing.T) {
		fake := slackfake.New(t, slackfake.Options{})
		fake.RefuseDM("UGONE", "account_inactive")
		_, _, err := fakeSender(fake).PostMessage(ctx, "UGONE", "x", nil, "", "k")
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Code != "account_inactive" {
			t.Errorf("err = %v, want RefusedError account_inactive", err)
		}
	})
	t.Run("archived channel", func(t *testing.T) {
		fake := slackfake.New(t, slackfake.Options{})
		fake.RefuseChannel("COLD", "is_archived")
		_, _, err := fakeSender(fake).PostMessage(ctx, "COLD", "x", nil, "", "k")
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("err = %v, want RefusedError", err)
		}
	})
	t.Run("invalid blocks", func(t *testing.T) {
		fake := slackfake.New(t, slackfake.Options{})
		_, _, err := fakeSender(fake).PostMessage(ctx, "CX", "x", json.RawMessage(`[{"text":"no type"}]`), "", "k")
		var perm *PermanentError
		if !errors.As(err, &perm) || perm.Code != "invalid_blocks" {
			t.Errorf("err = %v, want PermanentError invalid_blocks", err)
		}
	})
	t.Run("429", func(t *testing.T) {
		fake := slackfake.New(t, slackfake.Options{})
		fake.FailNext("chat.postMessage", 1, http.StatusTooManyRequests)
		_, _, err := fakeSender(fake).PostMessage(ctx, "CX", "x", nil, "", "k")
		var rl *RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
			t.Errorf("err = %v, want RateLimitedError after 1s", err)
		}
	})
	for _, mode := range []string{slackfake.FailWith500, slackfake.FailDrop} {
		t.Run("stored then "+mode, func(t *testing.T) {
			fake := slackfake.New(t, slackfake.Options{})
			fake.FailAfterStoring("chat.postMessage", 1, mode)
			_, _, err := fakeSender(fake).PostMessage(ctx, "CX", "x", nil, "", "k")
			var unc *UncertainError
			if !errors.As(err, &unc) {
				t.Errorf("err = %v, want UncertainError", err)
			}
			// Not retried underneath: the caller decides.
			if n := len(fake.Calls("chat.postMessage")); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
			if n := len(fake.Posted("CX")); n != 1 {
				t.Errorf("%d messages posted, want the 1 Slack stored", n)
			}
		})
	}
	t.Run("unreachable server", func(t *testing.T) {
		s := NewSender(SenderConfig{BotToken: "xoxb-x", APIURL: "http://127.0.0.1:1/api"})
		_, _, err := s.PostMessage(ctx, "CX", "x", nil, "", "k")
		var ns *NotSentError
		if !errors.As(err, &ns) {
			t.Errorf("err = %v, want NotSentError", err)
		}
	})
}

func TestSenderDMChannel(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	s := fakeSender(fake)
	id, err := s.DMChannel(context.Background(), "UBOB")
	if err != nil || id != fake.DM("UBOB") {
		t.Fatalf("DMChannel = %q %v, want %q", id, err, fake.DM("UBOB"))
	}
	if _, err := s.DMChannel(context.Background(), "UBOB"); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("conversations.open")); n != 1 {
		t.Errorf("%d conversations.open calls, want 1 (the id is remembered)", n)
	}
}

// virtualClock moves on only when someone sleeps: pacing is checked without
// waiting.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

func TestPacerSpacesPostsPerWorkspaceAndConversation(t *testing.T) {
	clock := &virtualClock{now: time.Unix(1700000000, 0)}
	p := newPacer(clock.Now, clock.Sleep, time.Second)
	p.limit("chat.postMessage", 10, 1)
	ctx := context.Background()
	start := clock.Now()
	var at []time.Duration
	for _, conv := range []string{"U1", "U2", "U3", "U4"} {
		if err := p.wait(ctx, "chat.postMessage", conv); err != nil {
			t.Fatal(err)
		}
		at = append(at, clock.Now().Sub(start))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i] - at[i-1]; gap < 100*time.Millisecond {
			t.Errorf("posts %d and %d only %s apart, want ≥ 100ms at 10/s", i-1, i, gap)
		}
	}
	before := clock.Now()
	for range 2 {
		if err := p.wait(ctx, "chat.postMessage", "CSAME"); err != nil {
			t.Fatal(err)
		}
	}
	if gap := clock.Now().Sub(before); gap < time.Second {
		t.Errorf("two posts in one conversation %s apart, want ≥ 1s", gap)
	}

	p.pause("chat.postMessage", 5*time.Second)
	before = clock.Now()
	if err := p.wait(ctx, "chat.postMessage", "U9"); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Now().Sub(before); waited < 5*time.Second {
		t.Errorf("after a Retry-After of 5s the next post waited only %s", waited)
	}
}

func TestPacerHonoursContext(t *testing.T) {
	clock := &virtualClock{now: time.Unix(1700000000, 0)}
	p := newPacer(clock.Now, clock.Sleep, 0)
	p.limit("m", 1, 1)
	if err := p.wait(context.Background(), "m", ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(time.Hour))
	defer cancel()
	// The next slot is 1s away on the virtual clock, but the real deadline
	// is what matters: set one that has passed.
	past, cancelPast := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancelPast()
	if err := p.wait(past, "m", ""); err == nil {
		t.Error("a wait past the context's end succeeded")
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if err := p.wait(cancelled, "m", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("wait on a cancelled context: %v", err)
	}
}
