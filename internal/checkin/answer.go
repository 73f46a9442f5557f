package checkin

import (
	"context"
	"fmt"

	"github.com/pic-montreal/relais/internal/store"
)

// Answer stores a Table's note for a prompt and queues the updates of the
// prompt's posted DMs ("Merci, reçu" for the answerer, "répondu par …" for
// the others), in one transaction: the note and its updates commit together.
// The answerer's right is checked on the server's records in that
// transaction (store.ErrNotRespondent).
func (s *Service) Answer(ctx context.Context, actor store.Actor, in store.AnswerInput) (store.SavedAnswer, error) {
	var saved store.SavedAnswer
	err := s.Store.InTx(ctx, actor, func(tx *store.Tx) error {
		var err error
		if saved, err = tx.SaveAnswer(ctx, actor, in); err != nil {
			return err
		}
		if err := s.noteStored(ctx, tx, in.PromptID); err != nil {
			return err
		}
		return s.enqueueUpdates(ctx, tx, saved.DMs)
	})
	return saved, err
}

// SetOutcome records "nothing to report" or a skip (store.PromptNothingToReport,
// store.PromptSkipped) for slackUserID's Table and queues the DM updates, in
// one transaction.
func (s *Service) SetOutcome(ctx context.Context, actor store.Actor, promptID int64, slackUserID, outcome string) (store.OutcomeResult, error) {
	var res store.OutcomeResult
	err := s.Store.InTx(ctx, actor, func(tx *store.Tx) error {
		var err error
		if res, err = tx.SetPromptOutcome(ctx, actor, promptID, slackUserID, outcome); err != nil {
			return err
		}
		if res.Changed {
			if err := s.noteStored(ctx, tx, promptID); err != nil {
				return err
			}
		}
		return s.enqueueUpdates(ctx, tx, res.DMs)
	})
	return res, err
}

func (s *Service) enqueueUpdates(ctx context.Context, tx *store.Tx, dms []store.PromptDM) error {
	if len(dms) == 0 {
		return nil
	}
	if err := s.Enqueuer.EnqueueTx(ctx, tx, PromptUpdates(dms)...); err != nil {
		return fmt.Errorf("enqueue prompt updates: %w", err)
	}
	return nil
}
