package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SlackSink stands in for Slack's Web API in benchmarks of what Relais sends
// on its own (a check-in fan-out): it accepts chat.postMessage at most Limit
// times in any one-second window, answering HTTP 429 with Retry-After: 1
// beyond, as Slack does, and counts every post by its delivery key (the
// message metadata) to report lost and duplicated messages. It also answers
// conversations.history and conversations.open, which a delivery re-check
// calls. It is a measuring instrument, not a Slack emulator: tests use
// internal/slackfake.
type SlackSink struct {
	Limit int

	mu       sync.Mutex
	posts    []time.Time // accepted posts, for the sliding window
	byKey    map[string]int
	history  map[string][]sinkMessage
	limited  int
	first    time.Time
	last     time.Time
	nextTS   int64
	requests int
}

type sinkMessage struct {
	TS  string
	Key string
}

// NewSlackSink returns a sink allowing limit posts in any one-second window.
func NewSlackSink(limit int) *SlackSink {
	return &SlackSink{Limit: limit, byKey: map[string]int{}, history: map[string][]sinkMessage{}, nextTS: 1700000000}
}

// SinkStats is what the sink saw.
type SinkStats struct {
	Posted      int     `json:"posted"`
	Keys        int     `json:"keys"`
	Duplicated  int     `json:"duplicated"`
	RateLimited int     `json:"rate_limited"`
	Requests    int     `json:"requests"`
	Seconds     float64 `json:"seconds"` // from the first accepted post to the last
}

// Stats reports the posts so far.
func (s *SlackSink) Stats() SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SinkStats{Posted: len(s.posts), Keys: len(s.byKey), RateLimited: s.limited, Requests: s.requests}
	for _, n := range s.byKey {
		if n > 1 {
			st.Duplicated += n - 1
		}
	}
	if !s.first.IsZero() {
		st.Seconds = s.last.Sub(s.first).Seconds()
	}
	return st
}

// ServeHTTP answers /api/<method> and GET /stats.
func (s *SlackSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/stats" {
		writeSinkJSON(w, s.Stats())
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	params, err := sinkParams(r)
	if err != nil {
		writeSinkJSON(w, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	switch method {
	case "auth.test":
		writeSinkJSON(w, map[string]any{"ok": true, "team_id": "TBENCH", "user_id": "UBENCHBOT"})
	case "conversations.open":
		writeSinkJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": dmOf(params.Get("users"))}})
	case "conversations.history":
		var msgs []map[string]any
		h := s.history[params.Get("channel")]
		for i := len(h) - 1; i >= 0; i-- {
			msgs = append(msgs, map[string]any{"type": "message", "ts": h[i].TS,
				"metadata": map[string]any{"event_type": "relais_delivery", "event_payload": map[string]any{"key": h[i].Key}}})
		}
		writeSinkJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
	case "chat.postMessage":
		now := time.Now()
		cut := 0
		for cut < len(s.posts) && now.Sub(s.posts[cut]) >= time.Second {
			cut++
		}
		window := s.posts[cut:]
		if s.Limit > 0 && len(window) >= s.Limit {
			s.limited++
			w.Header().Set("Retry-After", "1")
			http.Error(w, "ratelimited", http.StatusTooManyRequests)
			return
		}
		s.posts = append(s.posts, now)
		if s.first.IsZero() {
			s.first = now
		}
		s.last = now
		channel := params.Get("channel")
		if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
			channel = dmOf(channel)
		}
		s.nextTS++
		ts := fmt.Sprintf("%d.000100", s.nextTS)
		key := metadataKey(params.Get("metadata"))
		s.byKey[key]++
		s.history[channel] = append(s.history[channel], sinkMessage{TS: ts, Key: key})
		writeSinkJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts})
	default:
		writeSinkJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func dmOf(user string) string {
	user, _, _ = strings.Cut(user, ",")
	return "D" + strings.TrimLeft(user, "UW")
}

// metadataKey reads the delivery key Relais puts in a message's metadata;
// posts without one are counted under "".
func metadataKey(raw string) string {
	var m struct {
		EventPayload struct {
			Key string `json:"key"`
		} `json:"event_payload"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &m) != nil {
		return ""
	}
	return m.EventPayload.Key
}

// sinkParams reads a Web API call's parameters from a form, a JSON body or
// the query string.
func sinkParams(r *http.Request) (url.Values, error) {
	q := r.URL.Query()
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]json.RawMessage
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, err
			}
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				q.Set(k, s)
			} else {
				q.Set(k, string(v))
			}
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			q[k] = v
		}
	}
	return q, nil
}

func writeSinkJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
