package slackfake

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// deliveryState is how the fake refuses, limits and fails calls on demand.
type deliveryState struct {
	// admitted holds, per method, when each call passed FailNext and the
	// rate limit (what the limit counts, as Slack counts every call).
	admitted        map[string][]time.Time
	limits          map[string]int
	refusedDMs      map[string]string // user → error code
	refusedChannels map[string]string // channel → error code
	afterStoring    map[string]afterStoring
}

type afterStoring struct {
	n    int
	mode string
}

func newDeliveryState() deliveryState {
	return deliveryState{admitted: map[string][]time.Time{}, limits: map[string]int{},
		refusedDMs: map[string]string{}, refusedChannels: map[string]string{},
		afterStoring: map[string]afterStoring{}}
}

// nowLocked is the fake's clock: Options.Now moved on by Advance.
func (s *Server) nowLocked() time.Time { return s.opts.Now().Add(s.offset) }

// Now is the time on the fake's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

// Advance moves the fake's clock on by d (trigger expiry, rate windows).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.notifyLocked()
}

// RefuseDM makes chat.postMessage to user, or to its D… channel, and
// conversations.open with user answer ok:false with code (user_not_found,
// account_inactive, cannot_dm_bot, …); code "" lifts the refusal.
func (s *Server) RefuseDM(user, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setOrDelete(s.deliv.refusedDMs, user, code)
}

// RefuseChannel makes every write to channel (chat.postMessage, chat.update,
// chat.delete, files.completeUploadExternal) answer ok:false with code
// (not_in_channel, channel_not_found, is_archived, …), and its reads too
// for channel_not_found; code "" lifts the refusal.
func (s *Server) RefuseChannel(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	setOrDelete(s.deliv.refusedChannels, channel, code)
}

func setOrDelete(m map[string]string, k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}

// refusalLocked is the code a write to channel (a conversation or a user
// id) is refused with, or "".
func (s *Server) refusalLocked(channel string) string {
	if isUserID(channel) {
		return s.deliv.refusedDMs[channel]
	}
	if u := s.conv.userOf[channel]; u != "" {
		if code := s.deliv.refusedDMs[u]; code != "" {
			return code
		}
	}
	return s.deliv.refusedChannels[channel]
}

// LimitRate admits at most n calls of method in any sliding second of the
// fake's clock; the others are answered HTTP 429 with Retry-After: 1. n <= 0
// lifts the limit.
func (s *Server) LimitRate(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.deliv.limits, method)
		return
	}
	s.deliv.limits[method] = n
}

// rateLimitedLocked reports whether a call of method at now is over its
// limit: n calls already admitted in the second before now.
func (s *Server) rateLimitedLocked(method string, now time.Time) bool {
	n, ok := s.deliv.limits[method]
	if !ok {
		return false
	}
	times, count := s.deliv.admitted[method], 0
	for i := len(times) - 1; i >= 0 && now.Sub(times[i]) < time.Second; i-- {
		count++ // times are in order on a clock that does not go back
	}
	return count >= n
}

// MaxInAnyWindow is the largest number of delivered (HTTP 200) calls of
// method received within any window of that length, from their Call.Time.
func (s *Server) MaxInAnyWindow(method string, window time.Duration) int {
	s.mu.Lock()
	var times []time.Time
	for _, c := range s.calls {
		if c.Method == method && c.Status == http.StatusOK {
			times = append(times, c.Time)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	best := 0
	for i, j := 0, 0; j < len(times); j++ {
		for times[j].Sub(times[i]) >= window {
			i++
		}
		best = max(best, j-i+1)
	}
	return best
}

// Modes of FailAfterStoring.
const (
	FailWith500 = "500"  // answer HTTP 500 after storing
	FailDrop    = "drop" // close the connection without an answer after storing
)

// FailAfterStoring makes the next n successful calls of method take effect
// (the message is posted, the view opened…) and then fail as mode says:
// "500" answers HTTP 500, "drop" closes the connection without an answer.
// A client that retries such a call shows its message twice.
func (s *Server) FailAfterStoring(method string, n int, mode string) {
	if mode != FailWith500 && mode != FailDrop {
		panic(fmt.Sprintf("slackfake: FailAfterStoring mode %q, want %q or %q", mode, FailWith500, FailDrop))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliv.afterStoring[method] = afterStoring{n: n, mode: mode}
}

// failAfterStoringLocked consumes one queued failure of method, if any, and
// returns the status to record.
func (s *Server) failAfterStoringLocked(method string) (status int, failed bool) {
	f := s.deliv.afterStoring[method]
	if f.n <= 0 {
		return 0, false
	}
	f.n--
	s.deliv.afterStoring[method] = f
	if f.mode == FailDrop {
		return StatusDropped, true
	}
	return http.StatusInternalServerError, true
}

// dropConnection closes the client's connection without writing anything,
// as a network failure after Slack acted would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
