package checkin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// A modal answer that waits for the lock of a thread reply being stored
// writes the note with that reply: typed text never drops a reply.
func TestModalAnswerWaitingForAThreadReplyKeepsIt(t *testing.T) {
	st := testdb.WithFixture(t)
	rec := &recorder{}
	now := local(2027, time.January, 5, 10, 0)
	svc := &checkin.Service{Store: st, Enqueuer: rec, Alerter: rec, Now: func() time.Time { return now }, Location: montreal}
	if _, err := svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "s", Name: "S", Cron: "0 9 * * *",
		NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunNow(ctx, "cli", "s"); err != nil {
		t.Fatal(err)
	}
	var rc struct {
		ID     int64 `db:"id"`
		Prompt int64 `db:"prompt_id"`
	}
	if err := st.DB().Get(&rc, `SELECT rc.id, rc.prompt_id FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id
		WHERE p.slack_user_id = 'USM'`); err != nil {
		t.Fatal(err)
	}
	stored, release := make(chan struct{}), make(chan struct{})
	replyDone := make(chan error, 1)
	go func() {
		replyDone <- st.InTx(ctx, "slack:USM", func(tx *store.Tx) error {
			if err := tx.LockPrompt(ctx, rc.Prompt); err != nil {
				return err
			}
			if _, err := tx.SaveThreadReply(ctx, "slack:USM", rc.ID, "1800000001.000100", "Une réponse dans le fil."); err != nil {
				return err
			}
			close(stored)
			<-release
			return nil
		})
	}()
	<-stored
	answered := make(chan error, 1)
	go func() {
		_, err := svc.Answer(ctx, "slack:USM", store.AnswerInput{PromptID: rc.Prompt, SlackUserID: "USM",
			Answers: map[string]string{"progress": "Tapé dans le formulaire."}, Body: "Tapé dans le formulaire.",
			Visibility: domain.SharedWithPartnership, Language: domain.French})
		answered <- err
	}()
	testdb.WaitForLockWait(t, st)
	close(release)
	if err := <-replyDone; err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	var body string
	if err := st.DB().Get(&body, `SELECT body FROM progress_notes WHERE prompt_id = $1`, rc.Prompt); err != nil ||
		!strings.Contains(body, "Tapé dans le formulaire.") || !strings.Contains(body, "Une réponse dans le fil.") {
		t.Errorf("note body %q (%v), want the typed text and the reply", body, err)
	}
}
