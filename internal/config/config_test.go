package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // as in main: zones load even where the system has none
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load with no variables: %v", err)
	}
	if c.DatabaseURL != DefaultDatabaseURL {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if c.HTTPAddr != "127.0.0.1:8080" {
		t.Errorf("HTTPAddr = %q", c.HTTPAddr)
	}
	if c.LogLevel != slog.LevelInfo || c.LogFormat != "text" {
		t.Errorf("log = %v %q", c.LogLevel, c.LogFormat)
	}
	if c.SlackAPIURL != "https://slack.com/api" {
		t.Errorf("SlackAPIURL = %q", c.SlackAPIURL)
	}
	if c.Timezone.String() != "America/Montreal" {
		t.Errorf("Timezone = %v", c.Timezone)
	}
	if c.ShutdownTimeout != 15*time.Second {
		t.Errorf("ShutdownTimeout = %v", c.ShutdownTimeout)
	}
	if c.SocketMode() || c.HTTPMode() {
		t.Errorf("no Slack mode expected without tokens")
	}
}

// Each case sets one variable (plus what it depends on) and either checks
// the parsed value or the error, which must name the variable.
func TestVariables(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr string // substring of the error; "" means no error
	}{
		// DATABASE_URL
		{name: "db postgres", env: map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/relais?sslmode=disable"},
			check: func(c Config) bool { return c.DatabaseURL == "postgres://u:p@db:5432/relais?sslmode=disable" }},
		{name: "db postgresql", env: map[string]string{"DATABASE_URL": "postgresql://u@db/relais"},
			check: func(c Config) bool { return c.DatabaseURL == "postgresql://u@db/relais" }},
		{name: "db unix socket", env: map[string]string{"DATABASE_URL": "postgres:///relais?host=/var/run/postgresql"},
			check: func(c Config) bool { return strings.HasSuffix(c.DatabaseURL, "/var/run/postgresql") }},
		{name: "db spaces trimmed", env: map[string]string{"DATABASE_URL": " postgres://db/relais\n"},
			check: func(c Config) bool { return c.DatabaseURL == "postgres://db/relais" }},
		{name: "db mysql", env: map[string]string{"DATABASE_URL": "mysql://u@db/relais"},
			wantErr: `DATABASE_URL: scheme "mysql" is not postgres`},
		{name: "db dsn", env: map[string]string{"DATABASE_URL": "host=db dbname=relais"},
			wantErr: "DATABASE_URL: is not a postgres:// URL"},
		{name: "db no name", env: map[string]string{"DATABASE_URL": "postgres://u:secret@db:5432/"},
			wantErr: "DATABASE_URL: postgres://u:xxxxx@db:5432/ names no database"},
		{name: "db no path", env: map[string]string{"DATABASE_URL": "postgres://db"},
			wantErr: "names no database"},
		{name: "db slash in name", env: map[string]string{"DATABASE_URL": "postgres://db/a/b"},
			wantErr: "contains a slash"},
		{name: "db bad port", env: map[string]string{"DATABASE_URL": "postgres://db:99999/relais"},
			wantErr: `port "99999"`},
		{name: "db unparseable", env: map[string]string{"DATABASE_URL": "postgres://u:se%zzret@db/relais"},
			wantErr: "DATABASE_URL: is not a URL"},
		{name: "db opaque", env: map[string]string{"DATABASE_URL": "postgres:relais"},
			wantErr: "DATABASE_URL: is not a postgres:// URL"},

		// RELAIS_COORDINATION_CHANNEL, RELAIS_SLACK_POST_RATE
		{name: "coordination channel", env: map[string]string{"RELAIS_COORDINATION_CHANNEL": "C0COORD1"},
			check: func(c Config) bool { return c.CoordinationChannel == "C0COORD1" }},
		{name: "private coordination channel", env: map[string]string{"RELAIS_COORDINATION_CHANNEL": "G0COORD1"},
			check: func(c Config) bool { return c.CoordinationChannel == "G0COORD1" }},
		{name: "coordination channel by name", env: map[string]string{"RELAIS_COORDINATION_CHANNEL": "#coordination"},
			wantErr: `RELAIS_COORDINATION_CHANNEL: "#coordination" is not a channel id`},
		{name: "coordination DM id", env: map[string]string{"RELAIS_COORDINATION_CHANNEL": "D0123"},
			wantErr: "is not a channel id"},
		{name: "post rate default", env: map[string]string{},
			check: func(c Config) bool { return c.SlackPostRate == 48 && c.CoordinationChannel == "" }},
		{name: "post rate", env: map[string]string{"RELAIS_SLACK_POST_RATE": "20.5"},
			check: func(c Config) bool { return c.SlackPostRate == 20.5 }},
		{name: "rescue default", env: map[string]string{},
			check: func(c Config) bool { return c.JobRescueAfter == 2*time.Minute }},
		{name: "rescue", env: map[string]string{"RELAIS_JOB_RESCUE_AFTER": "30s"},
			check: func(c Config) bool { return c.JobRescueAfter == 30*time.Second }},
		{name: "rescue too short", env: map[string]string{"RELAIS_JOB_RESCUE_AFTER": "1s"},
			wantErr: "RELAIS_JOB_RESCUE_AFTER: \"1s\" is not a duration from 10s to 1h"},
		{name: "post rate zero", env: map[string]string{"RELAIS_SLACK_POST_RATE": "0"},
			wantErr: "RELAIS_SLACK_POST_RATE: \"0\" is not a rate"},
		{name: "post rate NaN", env: map[string]string{"RELAIS_SLACK_POST_RATE": "NaN"},
			wantErr: "is not a rate"},
		{name: "post rate word", env: map[string]string{"RELAIS_SLACK_POST_RATE": "fast"},
			wantErr: "is not a rate"},

		// RELAIS_HTTP_ADDR
		{name: "addr any interface", env: map[string]string{"RELAIS_HTTP_ADDR": ":8080"},
			check: func(c Config) bool { return c.HTTPAddr == ":8080" }},
		{name: "addr port 0", env: map[string]string{"RELAIS_HTTP_ADDR": "127.0.0.1:0"},
			check: func(c Config) bool { return c.HTTPAddr == "127.0.0.1:0" }},
		{name: "addr ipv6", env: map[string]string{"RELAIS_HTTP_ADDR": "[::1]:9000"},
			check: func(c Config) bool { return c.HTTPAddr == "[::1]:9000" }},
		{name: "addr no port", env: map[string]string{"RELAIS_HTTP_ADDR": "abc"},
			wantErr: `RELAIS_HTTP_ADDR: "abc" is not a host:port`},
		{name: "addr named port", env: map[string]string{"RELAIS_HTTP_ADDR": "localhost:http"},
			wantErr: `RELAIS_HTTP_ADDR: "localhost:http": port "http" is not a number`},
		{name: "addr port too big", env: map[string]string{"RELAIS_HTTP_ADDR": ":70000"},
			wantErr: `port "70000"`},

		// RELAIS_LOG_LEVEL
		{name: "level debug", env: map[string]string{"RELAIS_LOG_LEVEL": "debug"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{name: "level WARN", env: map[string]string{"RELAIS_LOG_LEVEL": "WARN"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{name: "level error", env: map[string]string{"RELAIS_LOG_LEVEL": "error"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{name: "level bad", env: map[string]string{"RELAIS_LOG_LEVEL": "verbose"},
			wantErr: `RELAIS_LOG_LEVEL: "verbose" is not a log level`},

		// RELAIS_LOG_FORMAT
		{name: "format json", env: map[string]string{"RELAIS_LOG_FORMAT": "json"},
			check: func(c Config) bool { return c.LogFormat == "json" }},
		{name: "format text", env: map[string]string{"RELAIS_LOG_FORMAT": "TEXT"},
			check: func(c Config) bool { return c.LogFormat == "text" }},
		{name: "format bad", env: map[string]string{"RELAIS_LOG_FORMAT": "logfmt"},
			wantErr: `RELAIS_LOG_FORMAT: "logfmt" is not a log format`},

		// SLACK_BOT_TOKEN
		{name: "bot token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc"},
			check: func(c Config) bool { return c.SlackBotToken == "xoxb-1-2-abc" && !c.SocketMode() }},
		{name: "bot token user token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxp-secret"},
			wantErr: `SLACK_BOT_TOKEN: must be a bot token starting with "xoxb-"`},

		// SLACK_APP_TOKEN
		{name: "socket mode", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"},
			check: func(c Config) bool { return c.SocketMode() && !c.HTTPMode() }},
		{name: "app token wrong prefix", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"},
			wantErr: `SLACK_APP_TOKEN: must be an app-level token starting with "xapp-"`},
		{name: "app token without bot token", env: map[string]string{"SLACK_APP_TOKEN": "xapp-1"},
			wantErr: "SLACK_APP_TOKEN: is set but SLACK_BOT_TOKEN is not"},

		// SLACK_SIGNING_SECRET
		{name: "signing secret", env: map[string]string{"SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"},
			check: func(c Config) bool { return c.HTTPMode() && !c.SocketMode() }},
		{name: "signing secret with space", env: map[string]string{"SLACK_SIGNING_SECRET": "8f74 2231"},
			wantErr: "SLACK_SIGNING_SECRET: contains a space"},
		{name: "both modes", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"},
			check: func(c Config) bool { return c.HTTPMode() && c.SocketMode() }},

		// SLACK_API_URL
		{name: "api url fake", env: map[string]string{"SLACK_API_URL": "http://127.0.0.1:9999/api/"},
			check: func(c Config) bool { return c.SlackAPIURL == "http://127.0.0.1:9999/api" }},
		{name: "api url ftp", env: map[string]string{"SLACK_API_URL": "ftp://slack.com/api"},
			wantErr: `SLACK_API_URL: "ftp://slack.com/api" is not an http:// or https:// URL`},
		{name: "api url no host", env: map[string]string{"SLACK_API_URL": "https:///api"},
			wantErr: "SLACK_API_URL:"},
		{name: "api url relative", env: map[string]string{"SLACK_API_URL": "slack.com/api"},
			wantErr: "SLACK_API_URL:"},
		{name: "api url credentials", env: map[string]string{"SLACK_API_URL": "https://u:p@slack.com/api"},
			wantErr: "SLACK_API_URL: must not hold credentials"},

		// RELAIS_TIMEZONE
		{name: "tz utc", env: map[string]string{"RELAIS_TIMEZONE": "UTC"},
			check: func(c Config) bool { return c.Timezone == time.UTC }},
		{name: "tz toronto", env: map[string]string{"RELAIS_TIMEZONE": "America/Toronto"},
			check: func(c Config) bool { return c.Timezone.String() == "America/Toronto" }},
		{name: "tz unknown", env: map[string]string{"RELAIS_TIMEZONE": "America/Laval"},
			wantErr: `RELAIS_TIMEZONE: "America/Laval" is not a known time zone`},
		{name: "tz local", env: map[string]string{"RELAIS_TIMEZONE": "Local"},
			wantErr: `RELAIS_TIMEZONE: "Local" is not allowed`},

		// RELAIS_SHUTDOWN_TIMEOUT
		{name: "shutdown 1m", env: map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "1m"},
			check: func(c Config) bool { return c.ShutdownTimeout == time.Minute }},
		{name: "shutdown 500ms", env: map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "500ms"},
			check: func(c Config) bool { return c.ShutdownTimeout == 500*time.Millisecond }},
		{name: "shutdown no unit", env: map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "15"},
			wantErr: `RELAIS_SHUTDOWN_TIMEOUT: "15" is not a duration`},
		{name: "shutdown zero", env: map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "0s"},
			wantErr: `RELAIS_SHUTDOWN_TIMEOUT: "0s" must be positive`},
		{name: "shutdown negative", env: map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "-5s"},
			wantErr: "must be positive"},

		// RELAIS_ALLOW_SAMPLE_DATA
		{name: "sample data unset", env: map[string]string{},
			check: func(c Config) bool { return !c.AllowSampleData }},
		{name: "sample data 1", env: map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": "1"},
			check: func(c Config) bool { return c.AllowSampleData }},
		{name: "sample data 1 with newline", env: map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": " 1\n"},
			check: func(c Config) bool { return c.AllowSampleData }},
		{name: "sample data 0", env: map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": "0"},
			check: func(c Config) bool { return !c.AllowSampleData }},
		{name: "sample data true", env: map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": "true"},
			wantErr: `RELAIS_ALLOW_SAMPLE_DATA: "true" is not 0 or 1`},
		{name: "sample data no", env: map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": "no"},
			wantErr: `RELAIS_ALLOW_SAMPLE_DATA: "no" is not 0 or 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load succeeded, want error %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %q, want it to contain %q", err, tt.wantErr)
				}
				var ce *Error
				if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), ce.Var+": ") {
					t.Fatalf("error %q does not start with the variable's name", err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %q is not one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config: %s", c)
			}
		})
	}
}

// Errors about secrets must not repeat them: a mistyped value is often a
// real secret pasted into the wrong variable.
func TestErrorsDoNotLeakSecrets(t *testing.T) {
	for _, env := range []map[string]string{
		{"SLACK_BOT_TOKEN": "xoxp-TOPSEKRIT"},
		{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "TOPSEKRIT"},
		{"SLACK_SIGNING_SECRET": "TOP SEKRIT"},
		{"DATABASE_URL": "postgres://u:TOPSEKRIT@db:5432/"},
		{"DATABASE_URL": "postgres://u:TOPSEKRIT@db:5432/a/b"},
		{"DATABASE_URL": "postgres://u:TOPSEKRIT@db:99999/relais"},
		{"DATABASE_URL": "postgres://u:TOP%zzSEKRIT@db/relais"},
	} {
		_, err := Load(envOf(env))
		if err == nil {
			t.Fatalf("Load(%v) succeeded", env)
		}
		if strings.Contains(err.Error(), "SEKRIT") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestRedaction(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"DATABASE_URL":         "postgres://relais:hunter2@db:5432/relais?sslmode=disable",
		"SLACK_BOT_TOKEN":      "xoxb-bot-SECRET",
		"SLACK_APP_TOKEN":      "xapp-app-SECRET",
		"SLACK_SIGNING_SECRET": "signing-SECRET",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("config", "config", c)
	for name, out := range map[string]string{
		"String": c.String(), "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c),
		"%#v": fmt.Sprintf("%#v", c), "slog": logs.String(),
	} {
		if strings.Contains(out, "SECRET") || strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
		if !strings.Contains(out, "relais:xxxxx@db:5432/relais") {
			t.Errorf("%s lacks the redacted database URL: %s", name, out)
		}
	}
	if !strings.Contains(logs.String(), `"slack_bot_token":"(set)"`) {
		t.Errorf("slog output does not say the bot token is set: %s", logs.String())
	}

	got := RedactDatabaseURL("postgres://db/relais?password=hunter2&sslmode=disable")
	if strings.Contains(got, "hunter2") {
		t.Errorf("password query parameter not redacted: %s", got)
	}
}

func TestNewLogger(t *testing.T) {
	c, err := Load(envOf(map[string]string{"RELAIS_LOG_FORMAT": "json", "RELAIS_LOG_LEVEL": "warn"}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l := c.NewLogger(&buf)
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), `"msg":"shown"`) {
		t.Fatalf("logger output: %s", buf.String())
	}
}

// Every variable Load reads is documented in Vars, and every documented
// default is accepted.
func TestVarsDocumentLoad(t *testing.T) {
	read := map[string]bool{}
	if _, err := Load(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	for _, v := range Vars() {
		if !read[v.Name] {
			t.Errorf("Vars lists %s, which Load does not read", v.Name)
		}
		delete(read, v.Name)
		defaults[v.Name] = v.Default
	}
	for k := range read {
		t.Errorf("Load reads %s, which Vars does not list", k)
	}
	if _, err := Load(envOf(defaults)); err != nil {
		t.Errorf("documented defaults do not load: %v", err)
	}
}
