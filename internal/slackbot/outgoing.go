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
	"time"
)

const (
	// maxAttempts bounds one outgoing call (the first try included).
	maxAttempts = 5
	// firstBackoff is the wait after the first 5xx or network error; it doubles.
	firstBackoff = 500 * time.Millisecond
	// defaultRetryAfter is used when a 429 comes without a usable Retry-After.
	defaultRetryAfter = time.Second
	// postTimeout bounds the delivery of one reply to a response_url, waits
	// for Retry-After included.
	postTimeout = 2 * time.Minute
	// attemptTimeout bounds one HTTP exchange.
	attemptTimeout = 30 * time.Second
)

// retryPolicy says which failed calls may be sent again.
type retryPolicy int

const (
	// retryTransient retries 429s, 5xx and network errors: Web API calls.
	retryTransient retryPolicy = iota
	// retryUnsent retries only what Slack surely did not act on, a 429 or a
	// connection that could not be opened: a response_url post that timed
	// out, lost its connection or got a 5xx may already be on screen, and
	// sending it again could show it twice.
	retryUnsent
)

// retryClient is the one HTTP client Relais uses towards Slack. It implements
// slack-go's httpClient (Do), so the Web API client goes through it too.
type retryClient struct {
	hc     *http.Client
	sleep  func(ctx context.Context, d time.Duration) error
	logger *slog.Logger
}

func newHTTPClient(cfg Config, logger *slog.Logger) *retryClient {
	cfg = cfg.withDefaults()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = 15 * time.Second
	return &retryClient{
		hc:     &http.Client{Transport: tr, Timeout: attemptTimeout},
		sleep:  cfg.Sleep,
		logger: logger,
	}
}

// Do sends req, waiting out 429s for Retry-After and retrying 5xx and network
// errors with backoff, at most maxAttempts times. When it gives up it logs an
// error and returns the last response (or error) so the caller sees why.
func (c *retryClient) Do(req *http.Request) (*http.Response, error) {
	return c.do(req, retryTransient)
}

// do is Do under policy. A failure the policy does not retry is returned at
// once, for the caller to log.
func (c *retryClient) do(req *http.Request, policy retryPolicy) (*http.Response, error) {
	ctx := req.Context()
	target := describeTarget(req)
	// A body that cannot be rewound is sent once.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("rewind request body: %w", err)
			}
			req.Body = body
		}
		resp, err := c.hc.Do(req)
		var wait time.Duration
		var reason string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				c.abandoned(ctx, target, attempt)
				return nil, err
			}
			if policy == retryUnsent && !connectFailed(err) {
				return nil, err
			}
			wait, reason = backoff, "network error"
			backoff *= 2
		case resp.StatusCode == http.StatusTooManyRequests:
			wait, reason = retryAfter(resp.Header), "rate limited (429)"
		case resp.StatusCode >= 500:
			if policy == retryUnsent {
				return resp, nil
			}
			wait, reason = backoff, "server error ("+strconv.Itoa(resp.StatusCode)+")"
			backoff *= 2
		default:
			return resp, nil
		}

		giveUp := attempt >= maxAttempts || !replayable
		if dl, ok := ctx.Deadline(); ok && !giveUp && time.Until(dl) < wait {
			// Waiting would outlive the caller: better say so now.
			giveUp, reason = true, reason+", wait exceeds deadline"
		}
		if giveUp {
			attrs := []any{"target", target, "attempts", attempt, "reason", reason}
			if err != nil {
				attrs = append(attrs, "error", redactErr(err))
			}
			c.logger.Error("slack: giving up on outgoing call", attrs...)
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		c.logger.Warn("slack: retrying outgoing call", "target", target, "attempt", attempt, "reason", reason, "wait", wait)
		if serr := c.sleep(ctx, wait); serr != nil {
			c.abandoned(ctx, target, attempt)
			return nil, serr
		}
	}
}

// abandoned logs a call whose context ended: an error when time ran out, but
// only a debug line when the caller cancelled on purpose (shutdown).
func (c *retryClient) abandoned(ctx context.Context, target string, attempts int) {
	level := slog.LevelError
	if errors.Is(ctx.Err(), context.Canceled) {
		level = slog.LevelDebug
	}
	c.logger.Log(ctx, level, "slack: outgoing call abandoned", "target", target, "attempts", attempts, "error", ctx.Err())
}

// connectFailed reports whether err happened while opening the connection
// (refused, unreachable, unknown host), before any byte of the request left.
func connectFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryAfter reads Retry-After in seconds, the form Slack sends.
func retryAfter(h http.Header) time.Duration {
	s := strings.TrimSpace(h.Get("Retry-After"))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return defaultRetryAfter
	}
	if n > 3600 {
		n = 3600
	}
	return time.Duration(n) * time.Second
}

// describeTarget names a request for logs without its secrets: a Web API
// method by name, a response_url by host only (its path is a credential).
func describeTarget(req *http.Request) string {
	p := req.URL.Path
	if i := strings.LastIndex(p, "/api/"); i >= 0 {
		return "api " + p[i+len("/api/"):]
	}
	return "response_url " + req.URL.Host
}

// redactErr drops the URL that net/http puts in its errors: a response_url
// is a credential.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// postResponse delivers m to a response_url. Failures are logged: the caller
// is a goroutine that has nobody else to tell. Only a post Slack surely did
// not act on is retried (retryUnsent).
func (c *retryClient) postResponse(responseURL string, m message) {
	u, err := url.Parse(responseURL)
	if responseURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.logger.Error("slack: reply not delivered: no usable response_url")
		return
	}
	body, err := json.Marshal(m)
	if err != nil {
		c.logger.Error("slack: reply not delivered: cannot encode it", "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), postTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		c.logger.Error("slack: reply not delivered", "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := c.do(req, retryUnsent)
	if err != nil {
		attrs := []any{"target", describeTarget(req), "error", redactErr(err)}
		if !connectFailed(err) && ctx.Err() == nil {
			attrs = append(attrs, "not_retried", "Slack may have shown it")
		}
		c.logger.Error("slack: reply not delivered", attrs...)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// Slack answers e.g. 404 "expired_url" or "used_url": short, ours to log.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
		attrs := []any{"target", describeTarget(req), "status", resp.StatusCode, "slack_error", string(b)}
		if resp.StatusCode >= 500 {
			attrs = append(attrs, "not_retried", "Slack may have shown it")
		}
		c.logger.Error("slack: reply not delivered", attrs...)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
}
