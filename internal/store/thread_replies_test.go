package store_test

import (
	"errors"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// WithdrawThreadNote deletes a note only when the deleted reply was all of
// it and the round is open; otherwise it writes nothing.
func TestWithdrawThreadNoteWritesNothingUnlessTheReplyWasTheWholeNote(t *testing.T) {
	st, prompts, rid := answerFixture(t)
	sm := prompts[1]
	var recipient int64
	if err := st.DB().Get(&recipient, `SELECT id FROM checkin_recipients WHERE prompt_id = $1`, sm); err != nil {
		t.Fatal(err)
	}
	const actor = store.Actor("slack:USM")
	save := func(answers map[string]string) {
		t.Helper()
		if _, err := st.SaveAnswer(ctx, actor, store.AnswerInput{PromptID: sm, SlackUserID: "USM", Answers: answers,
			Body: "x", Visibility: domain.SharedWithPartnership, Language: domain.French}); err != nil {
			t.Fatal(err)
		}
	}
	notes := func() int {
		t.Helper()
		var n int
		if err := st.DB().Get(&n, `SELECT count(*) FROM progress_notes WHERE prompt_id = $1`, sm); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := st.SaveThreadReply(ctx, actor, recipient, "1.1", "Seule réponse."); err != nil {
		t.Fatal(err)
	}
	// Typed answers beside the reply: refused, the reply kept.
	save(map[string]string{"progress": "Tapé dans le formulaire."})
	if _, err := st.WithdrawThreadNote(ctx, actor, recipient, "1.1"); !errors.Is(err, store.ErrNoteNotEmpty) {
		t.Errorf("typed answers: %v, want ErrNoteNotEmpty", err)
	}
	// A reply that is not stored.
	save(map[string]string{"progress": "  "})
	if _, err := st.WithdrawThreadNote(ctx, actor, recipient, "9.9"); !errors.Is(err, store.ErrNoPrompt) {
		t.Errorf("unknown reply: %v, want ErrNoPrompt", err)
	}
	// Another reply: refused.
	if _, err := st.SaveThreadReply(ctx, actor, recipient, "1.2", "Une autre."); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WithdrawThreadNote(ctx, actor, recipient, "1.1"); !errors.Is(err, store.ErrNoteNotEmpty) {
		t.Errorf("another reply: %v, want ErrNoteNotEmpty", err)
	}
	if _, err := st.DeleteThreadReply(ctx, actor, recipient, "1.2"); err != nil {
		t.Fatal(err)
	}
	// The round closed: refused.
	closeRound(t, st, rid)
	if _, err := st.WithdrawThreadNote(ctx, actor, recipient, "1.1"); !errors.Is(err, store.ErrRoundClosed) {
		t.Errorf("closed round: %v, want ErrRoundClosed", err)
	}
	if n := notes(); n != 1 {
		t.Fatalf("%d notes after refused withdrawals, want 1", n)
	}
	var replies int
	if err := st.DB().Get(&replies, `SELECT count(*) FROM checkin_thread_replies WHERE recipient_id = $1`, recipient); err != nil || replies != 1 {
		t.Fatalf("%d replies (%v), want the one", replies, err)
	}
	// Open again, blank typed answers only: the note goes.
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_rounds SET status = 'open', closed_at = NULL WHERE id = $1`, rid); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WithdrawThreadNote(ctx, actor, recipient, "1.1"); err != nil {
		t.Fatalf("withdrawal: %v", err)
	}
	if n := notes(); n != 0 {
		t.Errorf("%d notes after the withdrawal", n)
	}
	var status string
	if err := st.DB().Get(&status, `SELECT status::text FROM checkin_prompts WHERE id = $1 AND answered_by IS NULL
		AND answered_at IS NULL`, sm); err != nil || status != "sent" {
		t.Errorf("prompt after the withdrawal: %q (%v)", status, err)
	}
}
