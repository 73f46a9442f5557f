package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DeliveryEventType is the metadata event_type of every message the Sender
// posts; its payload's "key" is the delivery key.
const DeliveryEventType = "relais_delivery"

// Defaults for SenderConfig.
const (
	// DefaultPostRate stays under Slack's workspace limit of about 50
	// chat.postMessage calls in any one second, with a margin for jitter.
	DefaultPostRate = 48.0
	// DefaultPerConversation is Slack's "about one message per second per
	// channel".
	DefaultPerConversation = time.Second
	// DefaultLookupRate paces conversations.history, .replies and .open,
	// Tier 3 (50+ a minute).
	DefaultLookupRate = 50.0 / 60
	lookupBurst       = 5
	// senderCallTimeout bounds one HTTP exchange with Slack.
	senderCallTimeout = 15 * time.Second
	// historyPages bounds FindPosted's pagination (200 messages a page).
	historyPages = 5
)

// SenderConfig configures a Sender.
type SenderConfig struct {
	BotToken string
	// APIURL is the Web API base, without a trailing slash; default Slack's.
	APIURL string
	// PostRate is chat.postMessage calls per second across the workspace;
	// default DefaultPostRate.
	PostRate float64
	// PerConversation is the spacing between two posts in one conversation;
	// default DefaultPerConversation, negative for none.
	PerConversation time.Duration
	// LookupRate is history and conversations.open calls per second; default
	// DefaultLookupRate.
	LookupRate float64
	// Now and Sleep are the pacer's clock; default the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTPClient is used as is (default: one with senderCallTimeout). It
	// must not retry: the deliver worker owns retries.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Sender posts the messages Relais sends on its own initiative. Unlike the
// client NewClient returns, it never retries: a 5xx or a dropped connection
// may hide a message Slack did post, and only the caller (a River job with
// the delivery's record) can decide whether to look for it or post again.
// It paces itself under Slack's limits and classifies every failure as a
// *RateLimitedError, *RefusedError, *UncertainError, *NotSentError or
// *PermanentError.
type Sender struct {
	token  string
	apiURL string
	hc     *http.Client
	pace   *pacer
	logger *slog.Logger
	dms    sync.Map // user id → D… channel, learned from answers
}

// NewSender builds a Sender.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.PostRate == 0 {
		cfg.PostRate = DefaultPostRate
	}
	if cfg.PerConversation == 0 {
		cfg.PerConversation = DefaultPerConversation
	}
	if cfg.LookupRate == 0 {
		cfg.LookupRate = DefaultLookupRate
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepTimer
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr.MaxIdleConnsPerHost = 64 // a fan-out keeps many posts in flight
		hc = &http.Client{Transport: tr, Timeout: senderCallTimeout}
	}
	p := newPacer(cfg.Now, cfg.Sleep, max(cfg.PerConversation, 0))
	p.limit("chat.postMessage", cfg.PostRate, 1)
	for _, m := range []string{"conversations.history", "conversations.replies", "conversations.open"} {
		p.limit(m, cfg.LookupRate, lookupBurst)
	}
	return &Sender{token: cfg.BotToken, apiURL: strings.TrimRight(cfg.APIURL, "/"), hc: hc, pace: p, logger: orDefault(cfg.Logger)}
}

// RateLimitedError is a 429: nothing was done; call again after RetryAfter.
type RateLimitedError struct {
	Method     string
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("slack %s: rate limited, retry after %s", e.Method, e.RetryAfter)
}

// RefusedError is a destination that will never work as it is: the user is
// gone or cannot be messaged, the channel is archived or lacks Relais.
type RefusedError struct{ Code string }

func (e *RefusedError) Error() string { return "slack refused the destination: " + e.Code }

// UncertainError is a call whose effect is unknown (5xx, timeout, connection
// lost after sending): Slack may have posted the message.
type UncertainError struct{ Err error }

func (e *UncertainError) Error() string { return "slack call of unknown outcome: " + e.Err.Error() }
func (e *UncertainError) Unwrap() error { return e.Err }

// NotSentError is a call that surely never reached Slack (the connection
// could not be opened, the context ended before sending): safe to retry.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "slack call not sent: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// PermanentError is a message Slack will refuse however often it is sent
// (invalid_blocks, msg_too_long, invalid_auth…).
type PermanentError struct{ Code string }

func (e *PermanentError) Error() string { return "slack refused the message: " + e.Code }

// refusedCodes mean "this destination will never work".
var refusedCodes = map[string]bool{
	"user_not_found": true, "account_inactive": true, "cannot_dm_bot": true, "user_disabled": true,
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "restricted_action": true,
	"restricted_action_read_only_channel": true, "restricted_action_thread_only_channel": true,
	"restricted_action_non_threadable_channel": true, "team_access_not_granted": true,
	"messages_tab_disabled": true, "ekm_access_denied": true, "user_is_bot": true, "invalid_channel": true,
}

// uncertainCodes are Slack's own words for "something went wrong on our
// side": the message may or may not be there.
var uncertainCodes = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
}

// PostMessage posts text (and blocks, a JSON array, when given) to channel
// (a conversation, or a user id for the app's DM with them), in thread
// threadTS when set, with key in the message's metadata. It returns the
// conversation Slack posted in (D… for a DM) and the message's ts.
func (s *Sender) PostMessage(ctx context.Context, channel, text string, blocks json.RawMessage, threadTS, key string) (string, string, error) {
	if err := s.pace.wait(ctx, "chat.postMessage", channel); err != nil {
		return "", "", &NotSentError{Err: err}
	}
	body := map[string]any{
		"channel":  channel,
		"text":     text,
		"metadata": map[string]any{"event_type": DeliveryEventType, "event_payload": map[string]string{"key": key}},
	}
	if len(blocks) > 0 {
		body["blocks"] = blocks
	}
	if threadTS != "" {
		body["thread_ts"] = threadTS
	}
	var ans struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if err := s.call(ctx, "chat.postMessage", body, nil, &ans); err != nil {
		return "", "", err
	}
	if strings.HasPrefix(ans.Channel, "D") && IsUserID(channel) {
		s.dms.Store(channel, ans.Channel)
	}
	return ans.Channel, ans.TS, nil
}

// UpdateMessage replaces the text and blocks of message ts in channel (a
// conversation id) with chat.update.
func (s *Sender) UpdateMessage(ctx context.Context, channel, ts, text string, blocks json.RawMessage) error {
	if err := s.pace.wait(ctx, "chat.update", channel); err != nil {
		return &NotSentError{Err: err}
	}
	body := map[string]any{"channel": channel, "ts": ts, "text": text}
	if len(blocks) > 0 {
		body["blocks"] = blocks
	}
	var ans struct{}
	return s.call(ctx, "chat.update", body, nil, &ans)
}

// KnownDM is the D… id of the app's DM with user when an earlier answer
// gave it, without calling Slack.
func (s *Sender) KnownDM(user string) (string, bool) {
	v, ok := s.dms.Load(user)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// DMChannel returns the D… id of the app's DM with user (conversations.open,
// Tier 3: for the rare re-check of a DM whose id no answer gave).
func (s *Sender) DMChannel(ctx context.Context, user string) (string, error) {
	if id, ok := s.KnownDM(user); ok {
		return id, nil
	}
	if err := s.pace.wait(ctx, "conversations.open", ""); err != nil {
		return "", &NotSentError{Err: err}
	}
	var ans struct {
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	if err := s.call(ctx, "conversations.open", nil, url.Values{"users": {user}}, &ans); err != nil {
		return "", err
	}
	if ans.Channel.ID == "" {
		return "", &PermanentError{Code: "no_channel_in_answer"}
	}
	s.dms.Store(user, ans.Channel.ID)
	return ans.Channel.ID, nil
}

// FindPosted looks in channel's history, back to since, for the message
// Relais posted with key; found is false when it is not there. Pagination
// is bounded: a conversation that busy since then is not searched further.
func (s *Sender) FindPosted(ctx context.Context, channel, key string, since time.Time) (ts string, found bool, err error) {
	return s.find(ctx, "conversations.history", url.Values{"channel": {channel}}, key, since)
}

// FindPostedInThread is FindPosted among the replies of thread threadTS,
// which conversations.history does not show.
func (s *Sender) FindPostedInThread(ctx context.Context, channel, threadTS, key string, since time.Time) (string, bool, error) {
	return s.find(ctx, "conversations.replies", url.Values{"channel": {channel}, "ts": {threadTS}}, key, since)
}

func (s *Sender) find(ctx context.Context, method string, params url.Values, key string, since time.Time) (string, bool, error) {
	params.Set("include_all_metadata", "true")
	params.Set("limit", "200")
	if !since.IsZero() {
		params.Set("oldest", strconv.FormatInt(since.Unix(), 10)+".000000")
	}
	for range historyPages {
		if err := s.pace.wait(ctx, method, ""); err != nil {
			return "", false, &NotSentError{Err: err}
		}
		var ans struct {
			Messages []struct {
				TS       string `json:"ts"`
				Metadata *struct {
					EventType    string `json:"event_type"`
					EventPayload struct {
						Key string `json:"key"`
					} `json:"event_payload"`
				} `json:"metadata"`
			} `json:"messages"`
			Meta struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		if err := s.call(ctx, method, nil, params, &ans); err != nil {
			return "", false, err
		}
		for _, m := range ans.Messages {
			if md := m.Metadata; md != nil && md.EventType == DeliveryEventType && md.EventPayload.Key == key {
				return m.TS, true, nil
			}
		}
		if ans.Meta.NextCursor == "" {
			return "", false, nil
		}
		params.Set("cursor", ans.Meta.NextCursor)
	}
	s.logger.Warn("slack: history search stopped at its page limit", "method", method, "pages", historyPages)
	return "", false, nil
}

// call sends one request (JSON when jsonBody is set, else form), once, and
// decodes an ok answer into out.
func (s *Sender) call(ctx context.Context, method string, jsonBody any, form url.Values, out any) error {
	var body io.Reader
	contentType := "application/x-www-form-urlencoded"
	if jsonBody != nil {
		b, err := json.Marshal(jsonBody)
		if err != nil {
			return &PermanentError{Code: "unencodable_request"}
		}
		body, contentType = bytes.NewReader(b), "application/json; charset=utf-8"
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+"/"+method, body)
	if err != nil {
		return &PermanentError{Code: "bad_request"}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.hc.Do(req)
	if err != nil {
		err = redactErr(err)
		if connectFailed(err) {
			return &NotSentError{Err: err}
		}
		return &UncertainError{Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		d := retryAfter(resp.Header)
		s.pace.pause(method, d)
		return &RateLimitedError{Method: method, RetryAfter: d}
	case resp.StatusCode >= 500:
		return &UncertainError{Err: fmt.Errorf("%s: HTTP %d", method, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return &PermanentError{Code: "http_" + strconv.Itoa(resp.StatusCode)}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &UncertainError{Err: fmt.Errorf("%s: reading the answer: %w", method, err)}
	}
	var status struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &status); err != nil {
		return &UncertainError{Err: fmt.Errorf("%s: unreadable answer", method)}
	}
	if !status.OK {
		return classifyCode(method, status.Error)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &UncertainError{Err: fmt.Errorf("%s: unreadable answer", method)}
	}
	return nil
}

func classifyCode(method, code string) error {
	switch {
	case code == "ratelimited" || code == "rate_limited":
		return &RateLimitedError{Method: method, RetryAfter: defaultRetryAfter}
	case refusedCodes[code]:
		return &RefusedError{Code: code}
	case uncertainCodes[code]:
		return &UncertainError{Err: errors.New(method + ": " + code)}
	}
	return &PermanentError{Code: code}
}

// IsUserID reports whether id is a Slack user id (U… or W…), to which
// chat.postMessage posts in the app's DM.
func IsUserID(id string) bool { return len(id) > 1 && (id[0] == 'U' || id[0] == 'W') }
