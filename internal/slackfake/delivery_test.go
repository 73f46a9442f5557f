package slackfake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestRefusals(t *testing.T) {
	s := New(t, Options{})
	s.RefuseDM("U1", "user_not_found")
	s.RefuseDM("U2", "cannot_dm_bot")
	s.RefuseChannel("C9", "is_archived")
	wantError(t, "post to U1", call(t, s, "chat.postMessage", url.Values{"channel": {"U1"}, "text": {"x"}}), "user_not_found")
	wantError(t, "post to U1's DM", call(t, s, "chat.postMessage", url.Values{"channel": {s.DM("U1")}, "text": {"x"}}), "user_not_found")
	wantError(t, "open U2", call(t, s, "conversations.open", url.Values{"users": {"U2"}}), "cannot_dm_bot")
	wantError(t, "post to C9", call(t, s, "chat.postMessage", url.Values{"channel": {"C9"}, "text": {"x"}}), "is_archived")
	if n := len(s.Posted(s.DM("U1"))) + len(s.Posted("C9")); n != 0 {
		t.Errorf("refused posts show %d messages", n)
	}
	s.RefuseDM("U1", "")
	if a := call(t, s, "chat.postMessage", url.Values{"channel": {"U1"}, "text": {"x"}}); a["ok"] != true {
		t.Errorf("after lifting: %v", a)
	}
}

// LimitRate admits n calls in any sliding second of the fake's clock.
func TestLimitRate(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := New(t, Options{Now: clock})
	s.LimitRate("chat.postMessage", 3)
	form := url.Values{"token": {s.BotToken()}, "channel": {"C1"}, "text": {"x"}}.Encode()
	status := func() int {
		resp, _ := post(t, s.APIURL()+"/chat.postMessage", FormContentType, form, nil)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("429 without Retry-After: 1")
		}
		return resp.StatusCode
	}
	var got []int
	for range 4 {
		got = append(got, status())
		tick(100 * time.Millisecond)
	}
	tick(600 * time.Millisecond) // 1 s after the first call: it leaves the window
	got = append(got, status(), status())
	want := []int{200, 200, 200, 429, 200, 429}
	if len(got) != len(want) {
		t.Fatalf("statuses %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if n := s.MaxInAnyWindow("chat.postMessage", time.Second); n != 3 {
		t.Errorf("MaxInAnyWindow = %d, want 3", n)
	}
	if n := s.MaxInAnyWindow("chat.postMessage", 2*time.Second); n != 4 {
		t.Errorf("MaxInAnyWindow(2s) = %d, want 4", n)
	}
	if n := len(s.Posted("C1")); n != 4 {
		t.Errorf("%d messages posted, want 4", n)
	}
}

// On the real clock, concurrent callers never get more than n through in a second.
func TestLimitRateRealClock(t *testing.T) {
	s := New(t, Options{})
	s.LimitRate("chat.postMessage", 5)
	form := url.Values{"token": {s.BotToken()}, "channel": {"C1"}, "text": {"x"}}.Encode()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := http.Post(s.APIURL()+"/chat.postMessage", FormContentType, strings.NewReader(form))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := s.MaxInAnyWindow("chat.postMessage", time.Second); n > 5 || n == 0 {
		t.Errorf("MaxInAnyWindow = %d, want 5 at most", n)
	}
	if d, c := len(s.Delivered("chat.postMessage")), len(s.Calls("chat.postMessage")); d >= c {
		t.Errorf("%d of %d calls delivered: none limited", d, c)
	}
}

// A failure after storing leaves the message posted: a naive retry shows it twice.
func TestFailAfterStoring(t *testing.T) {
	for _, mode := range []string{FailWith500, FailDrop} {
		t.Run(mode, func(t *testing.T) {
			s := New(t, Options{})
			api, ctx := client(s), context.Background()
			s.FailAfterStoring("chat.postMessage", 1, mode)
			meta := slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "digest", EventPayload: map[string]any{"key": "d1"}})
			_, _, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("Condensé", false), meta)
			if err == nil {
				t.Fatal("no error")
			}
			var se slack.StatusCodeError
			if mode == FailWith500 && (!errors.As(err, &se) || se.Code != http.StatusInternalServerError) {
				t.Errorf("err = %v, want HTTP 500", err)
			}
			if _, _, err := api.PostMessageContext(ctx, "U1", slack.MsgOptionText("Condensé", false), meta); err != nil {
				t.Fatal(err)
			}
			if n := s.CountByMetadataKey("", "key")["d1"]; n != 2 || len(s.Posted(s.DM("U1"))) != 2 {
				t.Errorf("the DM shows the digest %d times, want 2 (one stored before the failure)", n)
			}
			calls := s.Calls("chat.postMessage")
			want := http.StatusInternalServerError
			if mode == FailDrop {
				want = StatusDropped
			}
			if len(calls) != 2 || calls[0].Status != want || len(s.Delivered("chat.postMessage")) != 1 {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}
