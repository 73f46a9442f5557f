package checkin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pic-montreal/relais/internal/store"
)

// Closed is a round just closed.
type Closed struct {
	RoundID  int64
	Schedule string
	ClosesAt time.Time
	// Counts is what became of its prompts: Expired are the Tables that did
	// not answer.
	Counts store.PromptCounts
	// Updates counts the posted DMs (prompts and reminders) queued to be
	// rewritten as closed.
	Updates int
}

// CloseDue closes every open round whose closing time has come, each in its
// own transaction: the round closed, its unanswered prompts expired, and an
// update queued for each DM posted for it (prompt and reminders), which the
// deliveries apply: closing waits on no Slack call. Closing a round twice
// (a retry, two replicas) changes nothing the second time. It returns every
// round's error.
func (s *Service) CloseDue(ctx context.Context) ([]Closed, error) {
	now := s.now()
	rounds, err := s.Store.RoundsToClose(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("check-in closing: %w", err)
	}
	var out []Closed
	var errs []error
	for _, r := range rounds {
		c, err := s.closeRound(ctx, r, now)
		if err != nil {
			s.logger().ErrorContext(ctx, "check-in round closing failed", "round_id", r.ID, "err", err)
			errs = append(errs, fmt.Errorf("round %d: %w", r.ID, err))
			continue
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, errors.Join(errs...)
}

func (s *Service) closeRound(ctx context.Context, r store.RoundToClose, now time.Time) (*Closed, error) {
	var res *Closed
	err := s.Store.InTx(ctx, TickActor, func(tx *store.Tx) error {
		closed, promptIDs, counts, err := tx.CloseRound(ctx, TickActor, r.ID, now)
		if err != nil || !closed {
			return err // closed by another run
		}
		dms, err := tx.TouchPrompts(ctx, TickActor, promptIDs)
		if err != nil {
			return err
		}
		if msgs := PromptUpdates(dms); len(msgs) > 0 {
			if err := s.Enqueuer.EnqueueTx(ctx, tx, msgs...); err != nil {
				return fmt.Errorf("enqueue closed prompts' updates: %w", err)
			}
		}
		res = &Closed{RoundID: r.ID, Schedule: r.ScheduleSlug, ClosesAt: r.ClosesAt, Counts: counts, Updates: len(dms)}
		return nil
	})
	if err != nil || res == nil {
		return nil, err
	}
	c := res.Counts
	s.logger().InfoContext(ctx, "check-in round closed", "schedule", res.Schedule, "round_id", res.RoundID,
		"closes_at", res.ClosesAt, "prompts", c.Total(), "answered", c.Answered, "nothing_to_report", c.NothingToReport,
		"skipped", c.Skipped, "not_answered", c.Expired, "dm_updates", res.Updates)
	return res, nil
}
