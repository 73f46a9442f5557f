package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/slackfake"
)

const testSecret = "test-secret"

// slackServer checks each request is a signed slash command, as the real
// receiver does, then lets reply answer it.
func slackServer(t *testing.T, reply func(w http.ResponseWriter, form url.Values)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, err := strconv.ParseInt(r.Header.Get("X-Slack-Request-Timestamp"), 10, 64)
		if err != nil || r.Header.Get("X-Slack-Signature") != slackfake.Sign(testSecret, time.Unix(ts, 0), body) ||
			time.Since(time.Unix(ts, 0)) > time.Minute {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("command") != "/pic" || form.Get("user_id") == "" ||
			r.Header.Get("Content-Type") != slackfake.FormContentType {
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		reply(w, form)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func answer(w http.ResponseWriter, form url.Values) {
	writeJSON(w, map[string]any{"response_type": "ephemeral", "text": "answer to " + form.Get("text"),
		"blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "ok"}}}})
}

func testOptions(srv *httptest.Server, rate float64, d time.Duration) Options {
	g := NewGenerator(SyntheticCorpus(20), []string{KindQuartier, KindFinancement}, 1)
	return Options{URL: srv.URL + "/slack/commands", Secret: testSecret, Rate: rate, Duration: d, Next: g.Next}
}

func TestRunCountsEveryScheduledRequest(t *testing.T) {
	srv := slackServer(t, answer)
	res, err := Run(context.Background(), testOptions(srv, 200, 250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if res.All.Due != 50 || res.All.OK != 50 || res.All.Failed() != 0 || res.All.Latency.Count != 50 {
		t.Fatalf("all: %+v", res.All)
	}
	sum := 0
	for _, k := range res.ByKind {
		sum += k.Due
		if k.Kind != KindQuartier && k.Kind != KindFinancement {
			t.Errorf("unexpected kind %q", k.Kind)
		}
	}
	if sum != 50 || len(res.ByKind) != 2 {
		t.Errorf("by kind: %+v", res.ByKind)
	}
	// 200/s for 250 ms: due times fall in second 0 only.
	if len(res.Timeline) != 1 || res.Timeline[0].Due != 50 || res.Timeline[0].Latency.Count != 50 {
		t.Errorf("timeline: %+v", res.Timeline)
	}
}

func TestLatencyRunsFromTheScheduledTime(t *testing.T) {
	// The server answers one request at a time, 20 ms each, while the
	// schedule sends one every 5 ms: requests queue. The last of ten is due
	// 45 ms after the first and cannot be answered before 200 ms, so counted
	// from its due time it took at least 155 ms; counted from when a
	// closed-loop client would send it, 20 ms.
	var mu sync.Mutex
	srv := slackServer(t, func(w http.ResponseWriter, form url.Values) {
		mu.Lock()
		time.Sleep(20 * time.Millisecond)
		mu.Unlock()
		answer(w, form)
	})
	res, err := Run(context.Background(), testOptions(srv, 200, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if res.All.Due != 10 || res.All.OK != 10 {
		t.Fatalf("all: %+v", res.All)
	}
	if l := res.All.Latency; l.Max < 155*time.Millisecond || l.P50 < 20*time.Millisecond {
		t.Errorf("latency %+v: not counted from the schedule", l)
	}
	// Sends are not held back by the slow server: all ten left near their
	// due time, concurrently.
	if res.SendLag.Count != 10 {
		t.Errorf("send lag: %+v", res.SendLag)
	}
}

func TestRequestsBeyondTheCapAreDroppedNotDelayed(t *testing.T) {
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(3)
	o := testOptions(slackServer(t, answer), 1000, 20*time.Millisecond)
	o.MaxInFlight = 3
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	block := func(cmd Command, due time.Time) (class, time.Duration, bool) {
		started.Done()
		<-release
		return classOK, time.Since(due), true
	}
	wait := o.dispatch(context.Background(), block)
	// dispatch has returned: every request was sent or dropped while the
	// first three were still waiting.
	started.Wait()
	close(release)
	res := wait()
	if res.All.Due != 20 || res.All.OK != 3 || res.All.Dropped != 17 || res.All.Failed() != 17 {
		t.Errorf("counts: %+v", res.All.Counts)
	}
}

func TestRepliesAreClassified(t *testing.T) {
	// The transport may send both languages in one ack.
	slow := i18n.T(domain.French, "error.slow") + "\n" + i18n.T(domain.English, "error.slow")
	internal := i18n.T(domain.English, "error.internal")
	var mu sync.Mutex
	n := 0
	srv := slackServer(t, func(w http.ResponseWriter, form url.Values) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		switch i % 6 {
		case 0:
			answer(w, form)
		case 1:
			writeJSON(w, map[string]any{"text": slow})
		case 2:
			writeJSON(w, map[string]any{"text": internal})
		case 3:
			_, _ = io.WriteString(w, "ok")
		case 4:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 5:
			writeJSON(w, map[string]any{"blocks": []any{}})
		}
	})
	res, err := Run(context.Background(), testOptions(srv, 600, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c := res.All.Counts
	if c.Due != 60 || c.OK != 10 || c.SlowAcks != 10 || c.ErrorReplies != 10 || c.BadReplies != 20 || c.Non200 != 10 {
		t.Errorf("counts: %+v", c)
	}
	// Every request got a response, so every one has a latency.
	if res.All.Latency.Count != 60 {
		t.Errorf("latencies: %d", res.All.Latency.Count)
	}
}

func TestErrorsAndCheck(t *testing.T) {
	srv := slackServer(t, answer)
	o := testOptions(srv, 100, 50*time.Millisecond)
	if err := Check(o); err != nil {
		t.Errorf("Check against a good server: %v", err)
	}
	o.Secret = "wrong"
	if err := Check(o); err == nil {
		t.Error("Check with the wrong secret: want an error")
	}
	res, err := Run(context.Background(), o)
	if err != nil || res.All.Non200 != 5 {
		t.Errorf("wrong secret: %+v, %v", res.All.Counts, err)
	}
	srv.Close()
	o.Secret = testSecret
	o.Client = nil
	if err := Check(o); err == nil {
		t.Error("Check against a closed server: want an error")
	}
	res, err = Run(context.Background(), o)
	if err != nil || res.All.Errors != 5 || res.All.Latency.Count != 0 {
		t.Errorf("closed server: %+v, %v", res.All, err)
	}
	if _, err := Run(context.Background(), Options{URL: "ftp://x", Secret: "s", Rate: 1, Duration: time.Second}); err == nil {
		t.Error("bad URL: want an error")
	}
}

func TestRampStopsAtTheFirstBreach(t *testing.T) {
	// The first step's five requests are answered at once, every later one
	// after 60 ms: the ramp must stop at its second step, over a 50 ms limit.
	var mu sync.Mutex
	n := 0
	srv := slackServer(t, func(w http.ResponseWriter, form url.Values) {
		mu.Lock()
		n++
		slow := n > 5
		mu.Unlock()
		if slow {
			time.Sleep(60 * time.Millisecond)
		}
		answer(w, form)
	})
	o := testOptions(srv, 0, 100*time.Millisecond)
	var seen []float64
	rr, err := Ramp(context.Background(), o, []float64{50, 100, 200}, 50*time.Millisecond, 0, func(r Result) {
		seen = append(seen, r.Rate)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Steps) != 2 || rr.Sustained != 50 || rr.BreachRate != 100 || rr.BreachReason == "" || len(seen) != 2 {
		t.Errorf("ramp: sustained %g, breach %g (%s), %d steps", rr.Sustained, rr.BreachRate, rr.BreachReason, len(rr.Steps))
	}
}
