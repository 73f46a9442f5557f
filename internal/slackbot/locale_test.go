package slackbot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

func TestLocalesAreCached(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	fake.SetLocale("U1", "fr-CA")
	logger, logs := testLogger()
	l := NewLocales(NewClient(testConfig(fake, &sleeps{}), logger), logger)
	now := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	ctx := context.Background()

	for range 3 {
		if got, err := l.SlackLocale(ctx, "U1"); got != "fr-CA" || err != nil {
			t.Fatalf("locale = %q, %v", got, err)
		}
	}
	calls := fake.Calls("users.info")
	if len(calls) != 1 {
		t.Fatalf("%d users.info calls, want 1 (cached)", len(calls))
	}
	if calls[0].Param("include_locale") != "true" || calls[0].Param("user") != "U1" {
		t.Errorf("users.info params: %v", calls[0].Form)
	}

	now = now.Add(localeTTL + time.Second)
	fake.SetLocale("U1", "en-US")
	if got, _ := l.SlackLocale(ctx, "U1"); got != "en-US" {
		t.Errorf("after TTL: %q", got)
	}

	// Failure: "" and no error, logged, and not retried on every command.
	if got, err := l.SlackLocale(ctx, "U404"); got != "" || err != nil {
		t.Errorf("unknown user: %q, %v", got, err)
	}
	if got, _ := l.SlackLocale(ctx, "U404"); got != "" {
		t.Errorf("unknown user, again: %q", got)
	}
	if n := len(fake.Calls("users.info")); n != 3 {
		t.Errorf("%d users.info calls, want 3", n)
	}
	if !strings.Contains(logs.String(), "users.info failed") {
		t.Errorf("failure not logged: %s", logs)
	}
}

func TestLocaleCacheIsBounded(t *testing.T) {
	l := NewLocales(nil, nil)
	now := time.Now()
	for i := range localeCacheSize + 50 {
		l.put(fmt.Sprintf("U%d", i), localeEntry{locale: "fr", expires: now.Add(time.Hour)}, now)
	}
	if n := len(l.entries); n > localeCacheSize {
		t.Errorf("%d entries, cap %d", n, localeCacheSize)
	}
}
