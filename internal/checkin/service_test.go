package checkin_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The fixture's Tables: 1 (USM, English, channel C0SM), 2 (UCDN, no
// language), 3 (nobody answers check-ins).
func TestTickOpensOneRoundWithItsPromptsRecipientsAndMessages(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2027, time.January, 5, 9, 0))
	s := f.firstTuesday(t)
	f.tick(t)
	f.tick(t) // the same minute again, as a retry would: nothing more

	if got := f.keys(t, s.ID); !slices.Equal(got, []string{"2027-01-05T09:00 America/Montreal"}) {
		t.Fatalf("rounds %v", got)
	}
	r, err := f.st.LatestRound(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.OpenedLate || r.OpenedEarly || r.Period.Format(time.DateOnly) != "2026-12-01" ||
		!r.ClosesAt.Equal(local(2027, time.January, 19, 17, 0)) {
		t.Errorf("round %+v", r)
	}
	if n := count(t, f.st, `SELECT count(*) FROM checkin_prompts WHERE round_id = $1`, r.ID); n != 3 {
		t.Errorf("%d prompts, want one per Table (3)", n)
	}
	type recipient struct {
		ID       int64  `db:"id"`
		PromptID int64  `db:"prompt_id"`
		SlackID  string `db:"slack_user_id"`
	}
	var recips []recipient
	if err := f.st.DB().Select(&recips, `SELECT r.id, r.prompt_id, p.slack_user_id FROM checkin_recipients r
		JOIN people p ON p.id = r.person_id ORDER BY p.slack_user_id`); err != nil {
		t.Fatal(err)
	}
	msgs := f.rec.messages()
	if len(recips) != 2 || len(msgs) != 2 {
		t.Fatalf("recipients %+v, messages %+v", recips, msgs)
	}
	byTo := map[string]int{}
	for i, m := range msgs {
		byTo[m.To] = i
	}
	dm := map[string]rendered{}
	for _, rc := range recips {
		m := msgs[byTo[rc.SlackID]]
		if m.Key != fmt.Sprintf("prompt:%d:%s", rc.PromptID, rc.SlackID) || m.RecipientID != rc.ID || m.Kind != "prompt" {
			t.Errorf("message to %s: %+v, recipient %+v", rc.SlackID, m, rc)
		}
		// Queued without content: the worker writes it when it sends it.
		if m.Render != checkin.RenderPrompt || m.Text != "" || len(m.Blocks) != 0 {
			t.Errorf("message to %s: render %q, text %q, blocks %s: want rendered at send time", rc.SlackID, m.Render, m.Text, m.Blocks)
		}
		if err := m.Check(); err != nil {
			t.Error(err)
		}
		r := render(t, f.st, m)
		if err := blockkit.ValidateMessage(r.text, blocksOf(t, r.blocks)); err != nil {
			t.Errorf("message to %s: %v", rc.SlackID, err)
		}
		if !strings.Contains(string(r.blocks), fmt.Sprintf(`"value":"%d"`, rc.PromptID)) {
			t.Errorf("message to %s: the buttons do not carry prompt %d: %s", rc.SlackID, rc.PromptID, r.blocks)
		}
		dm[rc.SlackID] = r
	}
	usm, cdn := msgs[byTo["USM"]], msgs[byTo["UCDN"]]
	if usm.Fallback != "C0SM" || cdn.Fallback != "" {
		t.Errorf("fallbacks %q %q", usm.Fallback, cdn.Fallback)
	}
	if !strings.Contains(dm["USM"].text, "January 19, 2027 at 5 p.m.") || !strings.Contains(dm["UCDN"].text, "19 janvier 2027 à 17 h") {
		t.Errorf("texts in the respondents' languages: %q / %q", dm["USM"].text, dm["UCDN"].text)
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(dm["UCDN"].blocks, &blocks); err != nil || len(blocks) < 5 {
		t.Errorf("blocks %s: %v", dm["UCDN"].blocks, err)
	}
	// Written when sent, the DM is in the respondent's language then.
	if _, err := f.st.DB().Exec(`UPDATE people SET language = 'en' WHERE slack_user_id = 'UCDN'`); err != nil {
		t.Fatal(err)
	}
	if r := render(t, f.st, cdn); !strings.Contains(r.text, "January 19, 2027 at 5 p.m.") {
		t.Errorf("after UCDN chose English: %q", r.text)
	}
	// A schedule edited after the round opened leaves the round's questions.
	if _, err := f.st.DB().Exec(`UPDATE checkin_schedules SET questions = '[{"key":"q","fr":"Question changée ?","en":"Changed question?"}]'`); err != nil {
		t.Fatal(err)
	}
	if r := render(t, f.st, cdn); strings.Contains(string(r.blocks), "Changed question") || !strings.Contains(string(r.blocks), "1. ") {
		t.Errorf("a round's DM took the edited schedule's questions: %s", r.blocks)
	}
	// Someone no longer active at that Table, or a round already closed, is
	// never written to: the delivery fails (and alerts) instead.
	for _, stmt := range []string{
		`UPDATE people SET active = false WHERE slack_user_id = 'UCDN'`,
		`UPDATE people SET active = true, organisation_id = 1 WHERE slack_user_id = 'UCDN'`,
		`UPDATE people SET organisation_id = 2 WHERE slack_user_id = 'UCDN'; UPDATE checkin_rounds SET status = 'closed', closed_at = closes_at`,
	} {
		if _, err := f.st.DB().Exec(stmt); err != nil {
			t.Fatal(err)
		}
		if _, _, err := checkin.PromptRenderer(ctx, f.st, cdn.RecipientID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("after %s: %v, want domain.ErrNotFound", stmt, err)
		}
	}
	if _, err := f.st.DB().Exec(`UPDATE checkin_rounds SET status = 'open', closed_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if len(f.rec.alerts) != 1 || f.rec.alerts[0].Key != fmt.Sprintf("no-respondent:round:%d:org:3", r.ID) {
		t.Fatalf("alerts %+v", f.rec.alerts)
	}
	text, _ := f.rec.alerts[0].Render(domain.French)
	if !strings.Contains(text, "Table de Verdun") || !strings.Contains(text, "décembre 2026") {
		t.Errorf("alert text %q", text)
	}
	if s, _ := f.st.ScheduleByID(ctx, s.ID); s.LastOccurrence == nil || *s.LastOccurrence != "2027-01-05T09:00 America/Montreal" {
		t.Errorf("last occurrence %v", s.LastOccurrence)
	}
	if n := count(t, f.st, `SELECT count(*) FROM audit_log WHERE entity = 'checkin_rounds' AND actor = 'system:checkin'`); n != 1 {
		t.Errorf("round audited %d times as system:checkin", n)
	}
}

// walk ticks every step from one instant to another, in UTC steps, so a
// repeated or skipped local hour is walked through as it happens.
func walk(t *testing.T, f fixture, from, to time.Time, step time.Duration) {
	t.Helper()
	for at := from; !at.After(to); at = at.Add(step) {
		f.clock.Set(at)
		f.tick(t)
	}
}

// openedAtLocal lists a schedule's rounds as "key opened-at-local-time".
func openedAtLocal(t *testing.T, f fixture, scheduleID int64) []string {
	t.Helper()
	rounds, err := f.st.RoundsOf(ctx, scheduleID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rounds {
		out = append(out, r.OccurrenceKey+" @"+r.OpenedAt.In(montreal).Format("2006-01-02 15:04 MST"))
	}
	slices.Sort(out)
	return out
}

func TestDaylightSavingTime(t *testing.T) {
	t.Run("fall back", func(t *testing.T) {
		f := newService(testdb.WithFixture(t), local(2026, time.October, 29, 0, 0))
		weekdays := f.create(t, "semaine", "0 9 * * 1-5")
		night := f.create(t, "nuit", "30 1 * * *")
		walk(t, f, local(2026, time.October, 29, 0, 0), local(2026, time.November, 3, 12, 0), 15*time.Minute)
		if got, want := openedAtLocal(t, f, weekdays.ID), []string{
			"2026-10-29T09:00 America/Montreal @2026-10-29 09:00 EDT",
			"2026-10-30T09:00 America/Montreal @2026-10-30 09:00 EDT",
			"2026-11-02T09:00 America/Montreal @2026-11-02 09:00 EST",
			"2026-11-03T09:00 America/Montreal @2026-11-03 09:00 EST",
		}; !slices.Equal(got, want) {
			t.Errorf("weekdays at 9:00 across the fall back:\n got %q\nwant %q", got, want)
		}
		// Sunday's 01:30 happens twice and is a quiet day: Saturday's and
		// Sunday's occurrences move to Monday 01:30, where Monday's own, the
		// latest, opens once; the moved ones are superseded.
		if got, want := openedAtLocal(t, f, night.ID), []string{
			"2026-10-29T01:30 America/Montreal @2026-10-29 01:30 EDT",
			"2026-10-30T01:30 America/Montreal @2026-10-30 01:30 EDT",
			"2026-11-02T01:30 America/Montreal @2026-11-02 01:30 EST",
			"2026-11-03T01:30 America/Montreal @2026-11-03 01:30 EST",
		}; !slices.Equal(got, want) {
			t.Errorf("nightly at 01:30 across the fall back:\n got %q\nwant %q", got, want)
		}
		if !strings.Contains(f.logs.String(), "2026-11-01T01:30 America/Montreal") {
			t.Errorf("Sunday's superseded occurrence was not logged:\n%s", f.logs)
		}
	})
	t.Run("spring forward", func(t *testing.T) {
		f := newService(testdb.WithFixture(t), local(2027, time.March, 11, 0, 0))
		weekdays := f.create(t, "semaine", "0 9 * * 1-5")
		walk(t, f, local(2027, time.March, 11, 0, 0), local(2027, time.March, 16, 12, 0), 15*time.Minute)
		if got, want := openedAtLocal(t, f, weekdays.ID), []string{
			"2027-03-11T09:00 America/Montreal @2027-03-11 09:00 EST",
			"2027-03-12T09:00 America/Montreal @2027-03-12 09:00 EST",
			"2027-03-15T09:00 America/Montreal @2027-03-15 09:00 EDT",
			"2027-03-16T09:00 America/Montreal @2027-03-16 09:00 EDT",
		}; !slices.Equal(got, want) {
			t.Errorf("weekdays at 9:00 across the spring forward:\n got %q\nwant %q", got, want)
		}
	})
}

func TestQuietDaysAndPauses(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2027, time.June, 23, 12, 0))
	thursdays := f.create(t, "jeudi", "0 9 * * 4")
	// Thursday June 24, 2027 is the Fête nationale: the round opens on
	// Friday at 9:00, under Thursday's key.
	f.clock.Set(local(2027, time.June, 24, 9, 0))
	f.tick(t)
	if got := f.keys(t, thursdays.ID); len(got) != 0 {
		t.Fatalf("opened on a holiday: %v", got)
	}
	f.clock.Set(local(2027, time.June, 25, 9, 0))
	f.tick(t)
	if got := openedAtLocal(t, f, thursdays.ID); !slices.Equal(got, []string{"2027-06-24T09:00 America/Montreal @2027-06-25 09:00 EDT"}) {
		t.Fatalf("holiday moved: %v", got)
	}
	// A pause over July 1 to August 31 skips the Thursdays in it.
	from, _ := time.Parse(time.DateOnly, "2027-07-01")
	to, _ := time.Parse(time.DateOnly, "2027-08-31")
	if _, err := f.st.CreatePause(ctx, "cli", from, to, "été"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(local(2027, time.July, 8, 9, 0))
	f.tick(t)
	if got := f.keys(t, thursdays.ID); len(got) != 1 {
		t.Fatalf("opened during a pause: %v", got)
	}
	if !strings.Contains(f.logs.String(), "2027-07-08T09:00 America/Montreal") || !strings.Contains(f.logs.String(), "paused") {
		t.Errorf("paused occurrence not logged:\n%s", f.logs)
	}
	if s, _ := f.st.ScheduleByID(ctx, thursdays.ID); *s.LastOccurrence != "2027-07-08T09:00 America/Montreal" {
		t.Errorf("last occurrence after a pause %v", *s.LastOccurrence)
	}
}

func TestAfterDowntimeTheLatestOpenOccurrenceOpensLate(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2026, time.November, 3, 9, 0))
	s := f.firstTuesday(t)
	if err := f.st.SetLastOccurrence(ctx, "cli", s.ID, "2026-11-03T09:00 America/Montreal"); err != nil {
		t.Fatal(err)
	}
	// Down from November to January 12: December 1's round would be closed,
	// January 5's is still open (until January 19).
	f.clock.Set(local(2027, time.January, 12, 10, 0))
	f.tick(t)
	if got := f.keys(t, s.ID); !slices.Equal(got, []string{"2027-01-05T09:00 America/Montreal"}) {
		t.Fatalf("rounds %v", got)
	}
	r, _ := f.st.LatestRound(ctx, s.ID)
	if !r.OpenedLate || !r.ClosesAt.Equal(local(2027, time.January, 19, 17, 0)) {
		t.Errorf("round %+v: want late, closing as if on time", r)
	}
	msgs := f.rec.messages()
	if len(msgs) == 0 {
		t.Fatal("no DM queued")
	}
	if r := render(t, f.st, msgs[0]); !strings.Contains(string(r.blocks), "5 janvier 2027 à 9 h") &&
		!strings.Contains(string(r.blocks), "January 5, 2027 at 9 a.m.") {
		t.Errorf("the DM does not say it opened late: %s", r.blocks)
	}
	if !strings.Contains(f.logs.String(), "2026-12-01T09:00 America/Montreal") || !strings.Contains(f.logs.String(), "superseded") {
		t.Errorf("December's skipped occurrence not logged:\n%s", f.logs)
	}
}

func TestRunNowNeverOpensTwoRoundsForAPeriod(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2027, time.January, 5, 9, 0))
	s := f.firstTuesday(t)
	f.tick(t) // January's round, about December
	f.clock.Set(local(2027, time.January, 20, 11, 0))
	o, err := f.svc.RunNow(ctx, "cli", s.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Early || o.Key.String() != "2027-02-02T09:00 America/Montreal" || o.Period.String() != "2027-01-01" ||
		!o.ClosesAt.Equal(local(2027, time.February, 3, 17, 0)) {
		t.Errorf("run now opened %+v", o)
	}
	_, err = f.svc.RunNow(ctx, "cli", s.Slug)
	var already *checkin.AlreadyOpenError
	if !errors.As(err, &already) || !errors.Is(err, domain.ErrConflict) || already.RoundID != o.RoundID {
		t.Fatalf("second run now: %v, want AlreadyOpenError for round %d", err, o.RoundID)
	}
	// February 2 comes: the tick opens nothing, the round is already there.
	f.clock.Set(local(2027, time.February, 2, 9, 0))
	f.tick(t)
	if got := f.keys(t, s.ID); len(got) != 2 {
		t.Errorf("rounds %v, want January's and the early February one", got)
	}
	if n := count(t, f.st, `SELECT count(*) FROM checkin_rounds WHERE opened_early AND period = '2027-01-01'`); n != 1 {
		t.Errorf("%d early rounds about January", n)
	}
	if n := count(t, f.st, `SELECT count(*) FROM audit_log WHERE entity = 'checkin_rounds' AND actor = 'cli'`); n != 1 {
		t.Errorf("run now audited %d times as cli", n)
	}
}

func TestConcurrentTicksOpenOneRound(t *testing.T) {
	url := testdb.NewURL(t)
	open := func() *store.Store {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	if _, err := a.DB().Exec(testdb.Fixture); err != nil {
		t.Fatal(err)
	}
	at := local(2027, time.January, 5, 9, 0)
	// Two replicas, each its own pool and Service.
	fa, fb := newService(a, at), newService(b, at)
	fa.firstTuesday(t)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 10; i++ {
		for _, f := range []fixture{fa, fb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- f.svc.Tick(ctx)
			}()
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM checkin_rounds`); n != 1 {
		t.Fatalf("%d rounds, want 1", n)
	}
	if n := len(fa.rec.messages()) + len(fb.rec.messages()); n != 2 {
		t.Errorf("%d messages queued, want 2", n)
	}
	if n := count(t, a, `SELECT count(*) FROM checkin_prompts`); n != 3 {
		t.Errorf("%d prompts, want 3", n)
	}
}

func TestAwayRespondentGetsNoRecipientRow(t *testing.T) {
	st := testdb.WithFixture(t)
	for _, q := range []string{
		// Away until after the round opens: not asked.
		`INSERT INTO people (id, slack_user_id, display_name, organisation_id, role, answers_checkins, away_until)
			VALUES (20, 'UAWAY', 'En congé', 1, 'table_member', true, '2027-01-05')`,
		// Back since yesterday: asked.
		`INSERT INTO people (id, slack_user_id, display_name, organisation_id, role, answers_checkins, away_until)
			VALUES (21, 'UBACK', 'De retour', 1, 'table_member', true, '2027-01-04')`,
	} {
		if err := st.ExecAsForTest(ctx, "test", q); err != nil {
			t.Fatal(err)
		}
	}
	f := newService(st, local(2027, time.January, 5, 9, 0))
	f.firstTuesday(t)
	f.tick(t)
	var got []string
	if err := st.DB().Select(&got, `SELECT p.slack_user_id FROM checkin_recipients r JOIN people p ON p.id = r.person_id
		WHERE p.organisation_id = 1 ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"UBACK", "USM"}) {
		t.Errorf("Table 1's recipients %v, want UBACK and USM, not UAWAY", got)
	}
	for _, m := range f.rec.messages() {
		if m.To == "UAWAY" {
			t.Error("a DM to the away respondent")
		}
	}
}

func TestAFailingEnqueuerRollsTheRoundBack(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2027, time.January, 5, 9, 0))
	s := f.firstTuesday(t)
	f.rec.fail = errors.New("queue down")
	if err := f.svc.Tick(ctx); err == nil || !strings.Contains(err.Error(), "queue down") {
		t.Fatalf("tick: %v, want the queue's error", err)
	}
	for _, table := range []string{"checkin_rounds", "checkin_prompts", "checkin_recipients"} {
		if n := count(t, f.st, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after the rollback", table, n)
		}
	}
	if s, _ := f.st.ScheduleByID(ctx, s.ID); s.LastOccurrence != nil {
		t.Errorf("last occurrence moved to %s", *s.LastOccurrence)
	}
	// The queue is back a minute later: the same occurrence opens, on time.
	f.rec.fail = nil
	f.clock.Set(local(2027, time.January, 5, 9, 1))
	f.tick(t)
	if got := f.keys(t, s.ID); len(got) != 1 || len(f.rec.messages()) != 2 {
		t.Errorf("after recovery: rounds %v, %d messages", got, len(f.rec.messages()))
	}
}

func TestPausedScheduleOpensNothing(t *testing.T) {
	f := newService(testdb.WithFixture(t), local(2027, time.January, 5, 9, 0))
	s := f.firstTuesday(t)
	if err := f.svc.SetPaused(ctx, "cli", s.Slug, true); err != nil {
		t.Fatal(err)
	}
	f.tick(t)
	if got := f.keys(t, s.ID); len(got) != 0 {
		t.Errorf("a paused schedule opened %v", got)
	}
}

func TestCreateScheduleValidatesAndDefaults(t *testing.T) {
	f := newService(testdb.WithFixture(t), time.Time{})
	s := f.firstTuesday(t)
	if len(s.Questions) != 3 || s.Questions[0].FR != "Qu'est-ce qui a avancé ce mois-ci ?" || !s.AudienceAll ||
		!slices.Equal([]int64(s.ReminderWorkingDays), []int64{2, 5}) || s.CloseWorkingDays != 10 || s.CloseHour != 17 ||
		s.TimeZone != "America/Montreal" || *s.NthWeekday != 1 || *s.Weekday != 2 || !s.Active {
		t.Errorf("defaults %+v", s)
	}
	for _, c := range []struct {
		spec   checkin.ScheduleSpec
		reason string
	}{
		{checkin.ScheduleSpec{Name: "x", Cron: "0 25 * * *"}, "bad_field"},
		{checkin.ScheduleSpec{Name: "x", Cron: "CRON_TZ=X"}, "time_zone_in_spec"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * *"}, "field_count"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", TimeZone: "Mars/Olympus"}, "bad_time_zone"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", NthWeekday: 7}, "bad_nth_weekday"},
		{checkin.ScheduleSpec{Name: "", Cron: "0 9 * * *"}, "name_empty"},
		{checkin.ScheduleSpec{Name: "x", Slug: "Pas Bon", Cron: "0 9 * * *"}, "bad_slug"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", Questions: store.Questions{}}, "no_question"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", Questions: store.Questions{{FR: "Quoi ?"}}}, "question_empty"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", Questions: store.Questions{{FR: "a\x00", EN: "b"}}}, "question_control"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", Questions: store.Questions{{Key: "a", FR: "a", EN: "a"}, {Key: "a", FR: "b", EN: "b"}}}, "duplicate_question"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", ReminderWorkingDays: []int{12}}, "reminder_after_closing"},
		{checkin.ScheduleSpec{Name: "x", Cron: "0 9 * * *", CloseWorkingDays: 30}, "working_days_out_of_range"},
	} {
		_, err := f.svc.CreateSchedule(ctx, "cli", c.spec)
		var inv *checkin.InvalidError
		if !errors.As(err, &inv) || string(inv.Reason) != c.reason || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%+v: %v, want reason %s", c.spec, err, c.reason)
			continue
		}
		for _, lang := range []domain.Language{domain.French, domain.English} {
			if !i18n.Has(lang, inv.MessageKey()) {
				t.Errorf("%s has no %s", lang, inv.MessageKey())
			}
		}
	}
	if _, err := f.svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "mensuel", Name: "x", Cron: "0 9 * * *"}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("same slug: %v", err)
	}
	if n := count(t, f.st, `SELECT count(*) FROM checkin_schedules`); n != 1 {
		t.Errorf("%d schedules written, want only the valid one", n)
	}
	// Update keeps the slug and can narrow the audience and pause.
	up, err := f.svc.UpdateSchedule(ctx, "cli", "mensuel", checkin.ScheduleSpec{Name: "Suivi", Cron: "0 10 * * 2#1",
		Audience: []int64{1}, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	if up.Slug != "mensuel" || up.AudienceAll || !slices.Equal(up.Audience, []int64{1}) || up.Active || up.CronSpec != "0 10 * * *" {
		t.Errorf("updated %+v", up)
	}
}

// Every reason an InvalidError can carry has a sentence in both catalogs.
func TestEveryInvalidReasonIsTranslated(t *testing.T) {
	reasons := []string{"empty", "too_long", "control_character", "field_count", "bad_field", "time_zone_in_spec",
		"unsupported_descriptor", "bad_time_zone", "bad_nth_weekday", "nth_weekday_with_days", "never_occurs",
		"working_days_out_of_range", "bad_closing", "bad_pause",
		string(checkin.ReasonNameEmpty), string(checkin.ReasonNameTooLong), string(checkin.ReasonBadSlug),
		string(checkin.ReasonNoQuestion), string(checkin.ReasonTooManyQuestions), string(checkin.ReasonQuestionEmpty),
		string(checkin.ReasonQuestionTooLong), string(checkin.ReasonQuestionControl),
		string(checkin.ReasonDuplicateQuestion), string(checkin.ReasonTooManyReminders),
		string(checkin.ReasonReminderAfterEnd)}
	for _, r := range reasons {
		key := (&checkin.InvalidError{Reason: schedule.Reason(r)}).MessageKey()
		for _, lang := range []domain.Language{domain.French, domain.English} {
			if !i18n.Has(lang, key) {
				t.Errorf("%s: no %s", lang, key)
			}
		}
	}
}

// rendered is a prompt DM as the deliver worker writes it.
type rendered struct {
	text   string
	blocks json.RawMessage
}

// render writes a queued prompt DM as the deliver worker would, when it
// sends it: through checkin.PromptRenderer, from its recipient.
func render(t *testing.T, st *store.Store, m delivery.Message) rendered {
	t.Helper()
	if m.Render != checkin.RenderPrompt {
		t.Fatalf("message %s: render %q, want %q", m.Key, m.Render, checkin.RenderPrompt)
	}
	text, blocks, err := checkin.PromptRenderer(ctx, st, m.RecipientID)
	if err != nil {
		t.Fatalf("render %s: %v", m.Key, err)
	}
	return rendered{text, blocks}
}

// blocksOf decodes a message's blocks, to validate them.
func blocksOf(t *testing.T, raw json.RawMessage) []slack.Block {
	t.Helper()
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	return bs.BlockSet
}

func TestPromptRendererOfAMissingRecipient(t *testing.T) {
	st := testdb.WithFixture(t)
	if _, _, err := checkin.PromptRenderer(ctx, st, 1<<40); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("rendering for no recipient: %v, want domain.ErrNotFound", err)
	}
}
