package slackbot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
)

// Config is what the Slack transports need. Only the fields of the transport
// in use are required: SigningSecret for HTTP, AppToken and BotToken for
// Socket Mode, BotToken for the Web API.
type Config struct {
	// SigningSecret verifies HTTP requests ("Signing Secret" in the app's
	// Basic Information page).
	SigningSecret string
	// BotToken (xoxb-…) calls the Web API.
	BotToken string
	// AppToken (xapp-…, scope connections:write) opens Socket Mode connections.
	AppToken string
	// APIURL is the Web API base, without a trailing slash; default
	// "https://slack.com/api". Tests point it at slackfake.
	APIURL string

	// AckBudget is how long a command may take before its reply is sent
	// through response_url instead of in the acknowledgement; default 2 s,
	// which leaves a margin under Slack's 3 s deadline.
	AckBudget time.Duration
	// HandlerTimeout bounds one handler call; default 30 s.
	HandlerTimeout time.Duration
	// Language of the transport's own messages ("slow", "internal error"),
	// which are written before Relais knows who is asking; empty (the
	// default) writes them in French, then English.
	Language domain.Language

	// Now is the clock the signature check uses; default time.Now.
	Now func() time.Time
	// Sleep waits between retries of outgoing calls and between Socket Mode
	// reconnections; it returns early with ctx's error. Default: a timer.
	// Tests inject one that does not really wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api"

func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.AckBudget <= 0 {
		c.AckBudget = 2 * time.Second
	}
	if c.HandlerTimeout <= 0 {
		c.HandlerTimeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepTimer
	}
	return c
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewClient returns a Web API client that goes through Relais' retrying HTTP
// client. The API URL keeps its trailing slash: slack-go appends method names
// to it directly.
//
// slack.OptionRetry is deliberately not used: the HTTP client below already
// honours Retry-After (with an injectable sleep) and retries 5xx, and a second
// retry layer would multiply the attempts. (slack-go also documents that
// OptionRetry must come after OptionHTTPClient, or the latter discards it.)
func NewClient(cfg Config, logger *slog.Logger) *slack.Client {
	cfg = cfg.withDefaults()
	opts := []slack.Option{
		slack.OptionAPIURL(cfg.APIURL + "/"),
		slack.OptionHTTPClient(newHTTPClient(cfg, orDefault(logger))),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	return slack.New(cfg.BotToken, opts...)
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
