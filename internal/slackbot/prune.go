package slackbot

import (
	"context"
	"log/slog"
	"time"
)

// EventPruner forgets processed event ids older than a time (*store.Store).
type EventPruner interface {
	ForgetEventsBefore(ctx context.Context, t time.Time) (int64, error)
}

// EventIDsKept is how long processed event ids are remembered. Slack's last
// retry comes about five minutes after the first delivery, so a day is ample.
const EventIDsKept = 24 * time.Hour

// PruneEvents forgets event ids older than EventIDsKept now, then every
// interval until ctx ends, so slack_events stays small.
func PruneEvents(ctx context.Context, p EventPruner, interval time.Duration, now func() time.Time, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pruneOnce(ctx, p, now(), logger)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func pruneOnce(ctx context.Context, p EventPruner, now time.Time, logger *slog.Logger) {
	n, err := p.ForgetEventsBefore(ctx, now.Add(-EventIDsKept))
	switch {
	case err != nil && ctx.Err() == nil:
		logger.Warn("slack: pruning processed event ids", "error", err)
	case n > 0:
		logger.Debug("slack: pruned processed event ids", "count", n)
	}
}
