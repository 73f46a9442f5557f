package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// answerFixture opens a round for the fixture's Tables and returns the
// store and the prompt id of each Table by organisation id. Saint-Michel's
// respondent (USM) was sent their prompt; CDN's (UCDN) too.
func answerFixture(t *testing.T) (*store.Store, map[int64]int64, int64) {
	t.Helper()
	st := testdb.WithFixture(t)
	sid, err := st.CreateSchedule(ctx, "cli", scheduleInput("s"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 5, 14, 0, 0, 0, time.UTC)
	rid, _, err := st.InsertRound(ctx, "system:checkin", store.RoundInput{ScheduleID: sid,
		OccurrenceKey: "2027-01-05T09:00 America/Montreal", ScheduledFor: at,
		Period: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), OpenedAt: at, ClosesAt: at.Add(14 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	prompts, err := st.InsertPrompts(ctx, "system:checkin", rid, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertRecipients(ctx, "system:checkin", []store.RecipientKey{
		{PromptID: prompts[1], PersonID: 3}, {PromptID: prompts[2], PersonID: 4}}); err != nil {
		t.Fatal(err)
	}
	return st, prompts, rid
}

func closeRound(t *testing.T, st *store.Store, rid int64) {
	t.Helper()
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_rounds SET status = 'closed', closed_at = now() WHERE id = $1`, rid); err != nil {
		t.Fatal(err)
	}
}

func TestSaveAnswerOneNotePerPromptAndItsRules(t *testing.T) {
	st, prompts, rid := answerFixture(t)
	sm := prompts[1]
	initiative := int64(1) // Saint-Michel's own
	in := store.AnswerInput{PromptID: sm, SlackUserID: "USM", Answers: map[string]string{"progress": "Ça avance."},
		Body: "Ça avance.", Themes: []string{"logement"}, Conditions: []string{"relationships"},
		InitiativeID: &initiative, Visibility: domain.CoordinatorsOnly, Language: domain.English}
	saved, err := st.SaveAnswer(ctx, "slack:USM", in)
	if err != nil || !saved.Created || saved.Late || saved.NoteID == 0 {
		t.Fatalf("first save: %+v %v", saved, err)
	}
	in.Body, in.Answers = "Ça avance bien.", map[string]string{"progress": "Ça avance bien."}
	again, err := st.SaveAnswer(ctx, "slack:USM", in)
	if err != nil || again.Created || again.NoteID != saved.NoteID {
		t.Fatalf("second save: %+v %v, want the same note edited", again, err)
	}
	target, err := st.AnswerTarget(ctx, sm, "USM")
	if err != nil || target.Status != store.PromptAnswered || target.AnsweredBy != "Membre Saint-Michel" ||
		target.Note == nil || target.Note.Body != "Ça avance bien." || target.Note.Answers["progress"] != "Ça avance bien." ||
		len(target.Note.Themes) != 1 || target.Note.Visibility != domain.CoordinatorsOnly || *target.Note.InitiativeID != 1 {
		t.Fatalf("target after saves: %+v %+v %v", target, target.Note, err)
	}

	// Someone of another Table, a stranger, an unknown prompt: not theirs.
	for _, c := range []struct {
		prompt int64
		user   string
	}{{sm, "UCDN"}, {sm, "UNOBODY"}, {sm, "UCOORD"}, {999999, "USM"}} {
		if _, err := st.AnswerTarget(ctx, c.prompt, c.user); !errors.Is(err, store.ErrNotRespondent) {
			t.Errorf("target %d for %s: %v", c.prompt, c.user, err)
		}
		in := in
		in.PromptID, in.SlackUserID = c.prompt, c.user
		if _, err := st.SaveAnswer(ctx, store.SlackActor(c.user), in); !errors.Is(err, store.ErrNotRespondent) {
			t.Errorf("save %d by %s: %v", c.prompt, c.user, err)
		}
	}
	// Another Table's initiative, an unknown theme: invalid, nothing written.
	other := int64(3)
	cdn := store.AnswerInput{PromptID: prompts[2], SlackUserID: "UCDN", Body: "x", InitiativeID: &initiative,
		Visibility: domain.SharedWithPartnership, Language: domain.French}
	if _, err := st.SaveAnswer(ctx, "slack:UCDN", cdn); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("another Table's initiative: %v", err)
	}
	cdn.InitiativeID, cdn.Themes = &other, []string{"nope"}
	if _, err := st.SaveAnswer(ctx, "slack:UCDN", cdn); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("unknown theme: %v", err)
	}
	var notes int
	if err := st.DB().Get(&notes, `SELECT count(*) FROM progress_notes WHERE prompt_id = $1`, prompts[2]); err != nil || notes != 0 {
		t.Errorf("%d notes after refused saves (%v)", notes, err)
	}

	// After closing: a first answer is kept, marked late; an edit is refused.
	closeRound(t, st, rid)
	cdn.Themes = nil
	late, err := st.SaveAnswer(ctx, "slack:UCDN", cdn)
	if err != nil || !late.Late || !late.Created {
		t.Errorf("answer after closing: %+v %v, want kept and late", late, err)
	}
	if _, err := st.SaveAnswer(ctx, "slack:USM", in); !errors.Is(err, store.ErrRoundClosed) {
		t.Errorf("edit after closing: %v", err)
	}
}

func TestPromptOutcomes(t *testing.T) {
	st, prompts, rid := answerFixture(t)
	sm, cdn := prompts[1], prompts[2]
	first, err := st.SetPromptOutcome(ctx, "slack:USM", sm, "USM", store.PromptSkipped)
	if err != nil || !first.Changed {
		t.Fatalf("skip: %+v %v", first, err)
	}
	if again, err := st.SetPromptOutcome(ctx, "slack:USM", sm, "USM", store.PromptSkipped); err != nil || again.Changed {
		t.Errorf("second skip: %+v %v, want nothing written", again, err)
	}
	if _, err := st.SetPromptOutcome(ctx, "slack:UCDN", sm, "UCDN", store.PromptSkipped); !errors.Is(err, store.ErrNotRespondent) {
		t.Errorf("skip of another Table's prompt: %v", err)
	}
	if _, err := st.SetPromptOutcome(ctx, "slack:USM", sm, "USM", "answered"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("outcome 'answered': %v", err)
	}
	// A written note is never dropped by a click.
	if _, err := st.SaveAnswer(ctx, "slack:USM", store.AnswerInput{PromptID: sm, SlackUserID: "USM", Body: "Une note.",
		Visibility: domain.SharedWithPartnership, Language: domain.French}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetPromptOutcome(ctx, "slack:USM", sm, "USM", store.PromptNothingToReport); !errors.Is(err, store.ErrAlreadyAnswered) {
		t.Errorf("nothing to report over a note: %v", err)
	}
	closeRound(t, st, rid)
	if _, err := st.SetPromptOutcome(ctx, "slack:UCDN", cdn, "UCDN", store.PromptNothingToReport); !errors.Is(err, store.ErrRoundClosed) {
		t.Errorf("outcome after closing: %v", err)
	}
}

func TestRecordRefused(t *testing.T) {
	st := testdb.WithFixture(t)
	if err := st.RecordRefused(ctx, "slack:UCDN", "checkin_prompts", 42, map[string]any{"via": "view"}); err != nil {
		t.Fatal(err)
	}
	var row struct {
		Actor    string `db:"actor"`
		EntityID string `db:"entity_id"`
		Via      string `db:"via"`
	}
	if err := st.DB().Get(&row, `SELECT actor, entity_id, after->>'via' AS via FROM audit_log WHERE action = 'refused'`); err != nil ||
		row.Actor != "slack:UCDN" || row.EntityID != "42" || row.Via != "view" {
		t.Errorf("refusal audited as %+v (%v)", row, err)
	}
}

// A click on "nothing to report" that waits for the lock of a note being
// written sees the note once it is committed: it never replaces a note.
func TestOutcomeWaitingForANoteSeesIt(t *testing.T) {
	st, prompts, _ := answerFixture(t)
	sm := prompts[1]
	written, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.InTx(ctx, "slack:USM", func(tx *store.Tx) error {
			if _, err := tx.SaveAnswer(ctx, "slack:USM", store.AnswerInput{PromptID: sm, SlackUserID: "USM",
				Body: "Une note.", Visibility: domain.SharedWithPartnership, Language: domain.French}); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	<-written
	outcome := make(chan error, 1)
	go func() {
		_, err := st.SetPromptOutcome(ctx, "slack:USM", sm, "USM", store.PromptNothingToReport)
		outcome <- err
	}()
	testdb.WaitForLockWait(t, st)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-outcome; !errors.Is(err, store.ErrAlreadyAnswered) {
		t.Errorf("outcome after a note committed meanwhile: %v, want ErrAlreadyAnswered", err)
	}
	var status string
	if err := st.DB().Get(&status, `SELECT status::text FROM checkin_prompts WHERE id = $1`, sm); err != nil || status != "answered" {
		t.Errorf("prompt status %q (%v)", status, err)
	}
}

// The first writer stays the note's author and "answered by": a colleague
// who edits the note does not become them.
func TestColleagueEditKeepsTheAuthor(t *testing.T) {
	st, prompts, _ := answerFixture(t)
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO people (id, slack_user_id, display_name, organisation_id, role,
		answers_checkins) VALUES (20, 'USM2', 'Collègue', 1, 'table_member', true)`); err != nil {
		t.Fatal(err)
	}
	in := store.AnswerInput{PromptID: prompts[1], SlackUserID: "USM", Body: "Première version.",
		Visibility: domain.SharedWithPartnership, Language: domain.French}
	if _, err := st.SaveAnswer(ctx, "slack:USM", in); err != nil {
		t.Fatal(err)
	}
	in.SlackUserID, in.Body, in.Visibility = "USM2", "Version de la collègue.", domain.CoordinatorsOnly
	if _, err := st.SaveAnswer(ctx, "slack:USM2", in); err != nil {
		t.Fatal(err)
	}
	target, err := st.AnswerTarget(ctx, prompts[1], "USM2")
	if err != nil || target.AnsweredBy != "Membre Saint-Michel" || target.Note.AuthorName != "Membre Saint-Michel" ||
		target.Note.Body != "Version de la collègue." {
		t.Errorf("after a colleague's edit: answered by %q, author %q, body %q (%v)", target.AnsweredBy,
			target.Note.AuthorName, target.Note.Body, err)
	}
}

// A prompt DM's state says when the prompt went to the Table's channel, and
// when its reader is no longer at the Table: what it may show depends on it.
func TestPromptStateKnowsWhoSeesTheMessage(t *testing.T) {
	st, _, _ := answerFixture(t)
	ids := map[string]int64{}
	for _, user := range []string{"USM", "UCDN"} {
		var id int64
		if err := st.DB().Get(&id, `SELECT rc.id FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id
			WHERE p.slack_user_id = $1`, user); err != nil {
			t.Fatal(err)
		}
		ids[user] = id
	}
	if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_recipients SET state = 'fallback', channel_id = 'C0SM',
		message_ts = '1.1' WHERE id = $1`, ids["USM"]); err != nil {
		t.Fatal(err)
	}
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET organisation_id = 3 WHERE slack_user_id = 'UCDN'`); err != nil {
		t.Fatal(err)
	}
	sm, err := st.PromptState(ctx, ids["USM"])
	if err != nil || !sm.InChannel || sm.ReaderGone {
		t.Errorf("Saint-Michel's prompt in its channel: %+v %v", sm, err)
	}
	cdn, err := st.PromptState(ctx, ids["UCDN"])
	if err != nil || cdn.InChannel || !cdn.ReaderGone {
		t.Errorf("CDN's prompt, its reader moved to Verdun: %+v %v", cdn, err)
	}
}
