// Package config reads Relais' configuration from environment variables, and
// only from them, so that the same binary runs unchanged under a shell, a
// container or a service manager. Load validates every variable at start and
// returns one error naming the first variable that is wrong, so a bad
// deployment fails at once instead of at the first Slack request.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Variable names, exported so that help texts and tests use the same spelling.
const (
	EnvDatabaseURL        = "DATABASE_URL"
	EnvHTTPAddr           = "RELAIS_HTTP_ADDR"
	EnvLogLevel           = "RELAIS_LOG_LEVEL"
	EnvLogFormat          = "RELAIS_LOG_FORMAT"
	EnvSlackBotToken      = "SLACK_BOT_TOKEN"
	EnvSlackAppToken      = "SLACK_APP_TOKEN"
	EnvSlackSigningSecret = "SLACK_SIGNING_SECRET"
	EnvSlackAPIURL        = "SLACK_API_URL"
	EnvTimezone           = "RELAIS_TIMEZONE"
	EnvShutdownTimeout    = "RELAIS_SHUTDOWN_TIMEOUT"
	EnvAllowSampleData    = "RELAIS_ALLOW_SAMPLE_DATA"
	EnvCoordinationChan   = "RELAIS_COORDINATION_CHANNEL"
	EnvSlackPostRate      = "RELAIS_SLACK_POST_RATE"
	EnvJobRescueAfter     = "RELAIS_JOB_RESCUE_AFTER"
)

// Defaults, used when a variable is unset or empty.
const (
	DefaultDatabaseURL     = "postgres://postgres@127.0.0.1:5432/relais?sslmode=disable"
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultSlackAPIURL     = "https://slack.com/api"
	DefaultTimezone        = "America/Montreal"
	DefaultShutdownTimeout = 15 * time.Second
	// DefaultSlackPostRate keeps chat.postMessage under Slack's workspace
	// limit of about 50 in any second, with a margin.
	DefaultSlackPostRate = 48.0
	// DefaultJobRescueAfter is when a job still marked running belongs to a
	// process that died and runs again: our jobs take seconds.
	DefaultJobRescueAfter = 2 * time.Minute
)

// Log formats.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// Config is Relais' validated configuration. Build it with Load or FromEnv.
type Config struct {
	// DatabaseURL is a postgres:// URL that names a database. It may hold a
	// password: log it only through Config's LogValue or RedactedDatabaseURL.
	DatabaseURL string
	// HTTPAddr is the host:port `relais serve` listens on.
	HTTPAddr  string
	LogLevel  slog.Level
	LogFormat string // LogFormatText or LogFormatJSON

	// Slack credentials; any may be empty (console and local runs need none).
	SlackBotToken      string // xoxb-…
	SlackAppToken      string // xapp-…, for Socket Mode
	SlackSigningSecret string // verifies HTTP requests from Slack
	// SlackAPIURL is the Web API base without a trailing slash; slack-go wants
	// one, so pass SlackAPIURL+"/" to slack.OptionAPIURL.
	SlackAPIURL string

	// Timezone is where schedules and dates are read (the partnership works in
	// Montreal time, whatever the server's zone).
	Timezone *time.Location
	// ShutdownTimeout bounds how long in-flight work may finish after SIGTERM.
	ShutdownTimeout time.Duration
	// AllowSampleData lets `relais serve` serve a database that holds the
	// fictional sample data (tests, benchmarks); real partners must never
	// mistake it for theirs.
	AllowSampleData bool

	// CoordinationChannel (C…/G…) receives alerts to coordinators; empty
	// sends them as DMs to each active coordinator.
	CoordinationChannel string
	// SlackPostRate is how many chat.postMessage calls per second Relais
	// allows itself across the workspace.
	SlackPostRate float64
	// JobRescueAfter is how long a job may stay "running" before another
	// process takes it as abandoned (its process died) and runs it again.
	JobRescueAfter time.Duration
	// DigestChannels receive the monthly digest, each in its language and
	// for its audience; none posts no digest.
	DigestChannels []DigestChannel
}

// Error is a configuration error: which variable, and what is wrong with it.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

func errorf(name, format string, args ...any) error {
	return &Error{Var: name, Msg: fmt.Sprintf(format, args...)}
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Load builds a Config from getenv (os.Getenv in production, a map in tests).
// Unset and empty variables take their default; surrounding spaces are
// ignored, since a value pasted into a secret store often ends in a newline.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var c Config
	var err error

	if c.DatabaseURL, err = parseDatabaseURL(get(EnvDatabaseURL, DefaultDatabaseURL)); err != nil {
		return Config{}, err
	}
	if c.HTTPAddr, err = parseHostPort(EnvHTTPAddr, get(EnvHTTPAddr, DefaultHTTPAddr)); err != nil {
		return Config{}, err
	}
	if c.LogLevel, err = parseLogLevel(get(EnvLogLevel, "info")); err != nil {
		return Config{}, err
	}
	switch f := strings.ToLower(get(EnvLogFormat, LogFormatText)); f {
	case LogFormatText, LogFormatJSON:
		c.LogFormat = f
	default:
		return Config{}, errorf(EnvLogFormat, "%q is not a log format (want text or json)", f)
	}

	// Tokens are never echoed in errors: a wrong one may still be a real secret.
	c.SlackBotToken = get(EnvSlackBotToken, "")
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		return Config{}, errorf(EnvSlackBotToken, `must be a bot token starting with "xoxb-"`)
	}
	c.SlackAppToken = get(EnvSlackAppToken, "")
	if c.SlackAppToken != "" {
		if !strings.HasPrefix(c.SlackAppToken, "xapp-") {
			return Config{}, errorf(EnvSlackAppToken, `must be an app-level token starting with "xapp-"`)
		}
		if c.SlackBotToken == "" {
			return Config{}, errorf(EnvSlackAppToken, "is set but %s is not: Socket Mode needs both", EnvSlackBotToken)
		}
	}
	c.SlackSigningSecret = get(EnvSlackSigningSecret, "")
	if strings.ContainsFunc(c.SlackSigningSecret, isSpace) {
		return Config{}, errorf(EnvSlackSigningSecret, "contains a space: copy it again from the app's Basic Information page")
	}
	if c.SlackAPIURL, err = parseHTTPURL(EnvSlackAPIURL, get(EnvSlackAPIURL, DefaultSlackAPIURL)); err != nil {
		return Config{}, err
	}

	tz := get(EnvTimezone, DefaultTimezone)
	if tz == "Local" {
		// "Local" would silently follow the server's zone, which is what this
		// variable exists to avoid.
		return Config{}, errorf(EnvTimezone, `"Local" is not allowed: name a zone such as America/Montreal`)
	}
	if c.Timezone, err = time.LoadLocation(tz); err != nil {
		return Config{}, errorf(EnvTimezone, "%q is not a known time zone (want an IANA name such as America/Montreal)", tz)
	}

	st := get(EnvShutdownTimeout, DefaultShutdownTimeout.String())
	if c.ShutdownTimeout, err = time.ParseDuration(st); err != nil {
		return Config{}, errorf(EnvShutdownTimeout, "%q is not a duration (want e.g. 15s or 1m)", st)
	}
	if c.ShutdownTimeout <= 0 {
		return Config{}, errorf(EnvShutdownTimeout, "%q must be positive", st)
	}

	// Only 0 and 1: a guard against serving fictional data to Slack should
	// not turn on by a guess such as "no" or "off" being read as true.
	switch v := get(EnvAllowSampleData, "0"); v {
	case "0":
	case "1":
		c.AllowSampleData = true
	default:
		return Config{}, errorf(EnvAllowSampleData, "%q is not 0 or 1", v)
	}

	c.CoordinationChannel = get(EnvCoordinationChan, "")
	if ch := c.CoordinationChannel; ch != "" && !isChannelID(ch) {
		return Config{}, errorf(EnvCoordinationChan, "%q is not a channel id (want C… or G…, from the channel's details)", ch)
	}
	ra := get(EnvJobRescueAfter, DefaultJobRescueAfter.String())
	if c.JobRescueAfter, err = time.ParseDuration(ra); err != nil || c.JobRescueAfter < 10*time.Second || c.JobRescueAfter > time.Hour {
		return Config{}, errorf(EnvJobRescueAfter, "%q is not a duration from 10s to 1h (want e.g. 2m)", ra)
	}

	rate := get(EnvSlackPostRate, strconv.FormatFloat(DefaultSlackPostRate, 'f', -1, 64))
	if c.SlackPostRate, err = strconv.ParseFloat(rate, 64); err != nil || !(c.SlackPostRate > 0 && c.SlackPostRate <= 1000) {
		return Config{}, errorf(EnvSlackPostRate, "%q is not a rate from 0 (excluded) to 1000 messages per second", rate)
	}
	if c.DigestChannels, err = parseDigestChannels(get(EnvDigestChannels, "")); err != nil {
		return Config{}, err
	}
	return c, nil
}

// isChannelID accepts a public (C…) or private (G…) channel id.
func isChannelID(s string) bool {
	if len(s) < 2 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	for _, r := range s[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func parseDatabaseURL(raw string) (string, error) {
	const want = "(want postgres://user@host:5432/dbname?sslmode=disable)"
	u, err := url.Parse(raw)
	if err != nil {
		// The raw value may hold a password, and url's error quotes it.
		return "", errorf(EnvDatabaseURL, "is not a URL %s", want)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		if u.Scheme == "" {
			return "", errorf(EnvDatabaseURL, "is not a postgres:// URL %s", want)
		}
		return "", errorf(EnvDatabaseURL, "scheme %q is not postgres or postgresql %s", u.Scheme, want)
	}
	if u.Opaque != "" {
		return "", errorf(EnvDatabaseURL, "is not a postgres:// URL %s", want)
	}
	// An empty host is allowed: lib/pq then takes it from ?host= (a Unix socket).
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", errorf(EnvDatabaseURL, "%s names no database %s", redactURL(u), want)
	}
	if strings.Contains(name, "/") {
		return "", errorf(EnvDatabaseURL, "%s: database name %q contains a slash", redactURL(u), name)
	}
	if port := u.Port(); port != "" {
		if _, err := parsePort(port); err != nil {
			return "", errorf(EnvDatabaseURL, "%s: port %q is not a number from 0 to 65535", redactURL(u), port)
		}
	}
	return raw, nil
}

func parseHostPort(name, v string) (string, error) {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", errorf(name, "%q is not a host:port (want e.g. 127.0.0.1:8080 or :8080)", v)
	}
	if _, err := parsePort(port); err != nil {
		return "", errorf(name, "%q: port %q is not a number from 0 to 65535", v, port)
	}
	return v, nil
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}

func parseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errorf(EnvLogLevel, "%q is not a log level (want debug, info, warn or error)", v)
}

func parseHTTPURL(name, v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errorf(name, "%q is not an http:// or https:// URL", v)
	}
	if u.User != nil {
		return "", errorf(name, "must not hold credentials")
	}
	return strings.TrimRight(v, "/"), nil
}

// SocketMode reports whether Relais can connect to Slack over Socket Mode
// (an app-level token and a bot token).
func (c Config) SocketMode() bool { return c.SlackAppToken != "" && c.SlackBotToken != "" }

// HTTPMode reports whether Relais can receive signed HTTP requests from Slack
// (a signing secret is set).
func (c Config) HTTPMode() bool { return c.SlackSigningSecret != "" }

// RedactedDatabaseURL is DatabaseURL with any password replaced, for logs and
// error messages.
func (c Config) RedactedDatabaseURL() string { return RedactDatabaseURL(c.DatabaseURL) }

// RedactDatabaseURL hides the password of a database URL, whether in the user
// part or in a password= query parameter (lib/pq accepts both).
func RedactDatabaseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	c := *u
	if q := c.Query(); q.Has("password") || q.Has("sslpassword") {
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

// LogValue lets slog log a Config without its secrets: tokens show only
// whether they are set, the database URL has no password.
func (c Config) LogValue() slog.Value {
	tz := ""
	if c.Timezone != nil {
		tz = c.Timezone.String()
	}
	return slog.GroupValue(
		slog.String("database_url", c.RedactedDatabaseURL()),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
		slog.String("slack_bot_token", setOrNot(c.SlackBotToken)),
		slog.String("slack_app_token", setOrNot(c.SlackAppToken)),
		slog.String("slack_signing_secret", setOrNot(c.SlackSigningSecret)),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("timezone", tz),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Bool("allow_sample_data", c.AllowSampleData),
		slog.String("coordination_channel", c.CoordinationChannel),
		slog.Float64("slack_post_rate", c.SlackPostRate),
		slog.Duration("job_rescue_after", c.JobRescueAfter),
		slog.Bool("socket_mode", c.SocketMode()),
		slog.Bool("http_mode", c.HTTPMode()),
	)
}

// String is the redacted configuration, one key=value per field, so that
// printing a Config with %v never shows a secret.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", a.Key, a.Value)
	}
	return b.String()
}

// GoString keeps %#v from printing the raw fields, secrets included.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

func setOrNot(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set)"
}

// NewLogger builds the process logger from LogLevel and LogFormat, writing
// to w. Call it once, in main, and pass the logger down (or slog.SetDefault).
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Var describes one environment variable, for `relais help` and README.md.
type Var struct {
	Name    string
	Default string
	Meaning string
}

// Vars lists every variable Load reads, in the order it checks them.
func Vars() []Var {
	return []Var{
		{EnvDatabaseURL, DefaultDatabaseURL, "PostgreSQL URL (postgres:// or postgresql://, naming a database; created if missing)"},
		{EnvHTTPAddr, DefaultHTTPAddr, "host:port that `relais serve` listens on (:8080 for all interfaces)"},
		{EnvLogLevel, "info", "debug, info, warn or error"},
		{EnvLogFormat, LogFormatText, "text or json (logs go to stderr)"},
		{EnvSlackBotToken, "", "bot token, xoxb-…"},
		{EnvSlackAppToken, "", "app-level token, xapp-…, for Socket Mode (needs SLACK_BOT_TOKEN)"},
		{EnvSlackSigningSecret, "", "signing secret, to receive Slack's HTTP requests under /slack/"},
		{EnvSlackAPIURL, DefaultSlackAPIURL, "Slack Web API base URL (http or https; tests point it at a fake)"},
		{EnvTimezone, DefaultTimezone, "IANA time zone for schedules and dates"},
		{EnvShutdownTimeout, DefaultShutdownTimeout.String(), "how long in-flight work may finish after SIGINT/SIGTERM (Go duration)"},
		{EnvAllowSampleData, "0", "1 lets `relais serve` serve a database holding the fictional sample data (tests, benchmarks)"},
		{EnvCoordinationChan, "", "channel id (C… or G…) where coordinators' alerts go, French then English; unset: a DM to each active coordinator"},
		{EnvSlackPostRate, "48", "chat.postMessage calls per second Relais allows itself (Slack allows about 50 in any second)"},
		{EnvJobRescueAfter, "2m", "after how long a job left running by a process that died runs again (10s to 1h)"},
		{EnvDigestChannels, "", "channels that receive the monthly digest, channel:language:audience, comma-separated (C0123ABCD:fr:partnership,G0456EFGH:en:coordinators)"},
	}
}
