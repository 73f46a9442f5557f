package checkin

import (
	"context"
	"fmt"
	"strings"

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
		saved, err = s.AnswerTx(ctx, tx, actor, in)
		return err
	})
	return saved, err
}

// AnswerTx is Answer inside the caller's transaction (an event's, which
// records the event with the note). in.Body is the typed part of the note
// (the modal's answers); the replies written in the prompt's DM threads
// follow it, in the order they were written (NoteBody): a reply never
// replaces typed text, and typed text never drops a reply.
func (s *Service) AnswerTx(ctx context.Context, tx *store.Tx, actor store.Actor, in store.AnswerInput) (store.SavedAnswer, error) {
	// Locked first: a reply committed while this waited would otherwise be
	// left out of the body written below.
	if err := tx.LockPromptFor(ctx, in.PromptID, in.SlackUserID); err != nil {
		return store.SavedAnswer{}, err
	}
	replies, err := tx.ThreadReplies(ctx, in.PromptID)
	if err != nil {
		return store.SavedAnswer{}, err
	}
	in.Body = NoteBody(in.Body, replies)
	saved, err := tx.SaveAnswer(ctx, actor, in)
	if err != nil {
		return saved, err
	}
	if err := s.noteStored(ctx, tx, in.PromptID); err != nil {
		return saved, err
	}
	return saved, s.enqueueUpdates(ctx, tx, saved.DMs)
}

// NoteBody is a note's text: what was typed in the modal, then the thread's
// replies, one paragraph each.
func NoteBody(typed string, replies []string) string {
	parts := make([]string, 0, len(replies)+1)
	for _, p := range append([]string{typed}, replies...) {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "\n\n")
}

// TypedBody is the typed part of a note: its answers in the order of the
// round's questions, as the modal joins them (every question has a key:
// checkQuestions gives one to those written without).
func TypedBody(qs store.Questions, answers map[string]string) string {
	var parts []string
	for _, q := range qs {
		if a := strings.TrimSpace(answers[q.Key]); a != "" {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, "\n\n")
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
