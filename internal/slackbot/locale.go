package slackbot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
)

const (
	localeTTL = time.Hour
	// failedLocaleTTL keeps a failed lookup from being retried on every
	// command while Slack is rate limiting or down.
	failedLocaleTTL = time.Minute
	localeCacheSize = 10000
	// localeTimeout keeps the lookup well inside the ack budget.
	localeTimeout = 1500 * time.Millisecond
)

// Locales implements commands.LocaleSource with users.info (include_locale),
// cached in memory per user.
type Locales struct {
	client *slack.Client
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]localeEntry
}

type localeEntry struct {
	locale  string
	expires time.Time
}

var _ commands.LocaleSource = (*Locales)(nil)

// NewLocales returns a LocaleSource over client (see NewClient).
func NewLocales(client *slack.Client, logger *slog.Logger) *Locales {
	return &Locales{client: client, logger: orDefault(logger), now: time.Now, entries: map[string]localeEntry{}}
}

// SlackLocale returns the user's Slack locale ("fr-CA"), or "" when Slack
// cannot tell; a failure is logged, not returned, since the caller's only
// sensible reaction is to fall back to its default language.
func (l *Locales) SlackLocale(ctx context.Context, slackUserID string) (string, error) {
	if slackUserID == "" {
		return "", nil
	}
	now := l.now()
	l.mu.Lock()
	e, ok := l.entries[slackUserID]
	l.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.locale, nil
	}

	ctx, cancel := context.WithTimeout(ctx, localeTimeout)
	defer cancel()
	u, err := l.client.GetUserInfoContext(ctx, slackUserID)
	locale, ttl := "", localeTTL
	if err != nil {
		l.logger.Warn("slack: users.info failed; no locale", "user", slackUserID, "error", err)
		ttl = failedLocaleTTL
	} else {
		locale = u.Locale
	}
	l.put(slackUserID, localeEntry{locale: locale, expires: now.Add(ttl)}, now)
	return locale, nil
}

func (l *Locales) put(id string, e localeEntry, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.entries[id]; !ok && len(l.entries) >= localeCacheSize {
		for k, old := range l.entries {
			if !now.Before(old.expires) {
				delete(l.entries, k)
			}
		}
		// Still full: drop an arbitrary entry; a miss only costs one call.
		for k := range l.entries {
			if len(l.entries) < localeCacheSize {
				break
			}
			delete(l.entries, k)
		}
	}
	l.entries[id] = e
}
