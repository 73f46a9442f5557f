package store_test

import (
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

func TestRoundOncePerOccurrence(t *testing.T) {
	st := testdb.WithFixture(t)
	sid, err := st.CreateSchedule(ctx, "cli", scheduleInput("s"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 5, 14, 0, 0, 0, time.UTC)
	in := store.RoundInput{ScheduleID: sid, OccurrenceKey: "2027-01-05T09:00 America/Montreal", ScheduledFor: at,
		Period: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), OpenedAt: at, ClosesAt: at.Add(14 * 24 * time.Hour)}
	id, created, err := st.InsertRound(ctx, "system:checkin", in)
	if err != nil || !created || id == 0 {
		t.Fatalf("first: %d %v %v", id, created, err)
	}
	in.Late = true
	id2, created, err := st.InsertRound(ctx, "system:checkin", in)
	if err != nil || created || id2 != 0 {
		t.Fatalf("second: %d %v %v, want nothing created", id2, created, err)
	}
	r, err := st.RoundByKey(ctx, sid, in.OccurrenceKey)
	if err != nil || r.ID != id || r.OpenedLate || r.Period.Format(time.DateOnly) != "2026-12-01" {
		t.Fatalf("round %+v, %v", r, err)
	}
	if l, err := st.LatestRound(ctx, sid); err != nil || l.ID != id {
		t.Errorf("latest %+v, %v", l, err)
	}
}

func TestAudienceRespondentsPromptsRecipientsAndCounts(t *testing.T) {
	st := testdb.WithFixture(t)
	// Table 1 gets a second respondent, away until tomorrow; Table 2's only
	// respondent was away until yesterday: back today.
	for _, q := range []string{
		`INSERT INTO people (id, slack_user_id, display_name, organisation_id, role, answers_checkins, away_until)
			VALUES (10, 'USMAWAY', 'Absente', 1, 'table_member', true, '2027-01-06')`,
		`UPDATE people SET away_until = '2027-01-04' WHERE id = 4`,
		`INSERT INTO people (id, slack_user_id, display_name, organisation_id, role, answers_checkins, active)
			VALUES (11, 'USMOLD', 'Partie', 1, 'table_member', true, false)`,
	} {
		if err := st.ExecAsForTest(ctx, "test", q); err != nil {
			t.Fatal(err)
		}
	}
	sid, err := st.CreateSchedule(ctx, "cli", scheduleInput("s"))
	if err != nil {
		t.Fatal(err)
	}
	today := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	tables, err := st.AudienceRespondents(ctx, sid, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 3 {
		t.Fatalf("tables %+v", tables)
	}
	by := map[int64]store.AudienceTable{}
	for _, tb := range tables {
		by[tb.OrganisationID] = tb
	}
	if r := by[1].Respondents; len(r) != 1 || r[0].SlackUserID != "USM" || r[0].Language == nil || *r[0].Language != "en" ||
		by[1].SlackChannelID != "C0SM" {
		t.Errorf("Table 1: %+v", by[1])
	}
	if r := by[2].Respondents; len(r) != 1 || r[0].SlackUserID != "UCDN" || r[0].Language != nil {
		t.Errorf("Table 2: %+v", by[2])
	}
	if len(by[3].Respondents) != 0 {
		t.Errorf("Table 3 has no respondent: %+v", by[3])
	}

	in := scheduleInput("s")
	in.AudienceAll, in.Audience = false, []int64{2}
	if err := st.UpdateSchedule(ctx, "cli", sid, in); err != nil {
		t.Fatal(err)
	}
	if tables, _ := st.AudienceRespondents(ctx, sid, today); len(tables) != 1 || tables[0].OrganisationID != 2 {
		t.Errorf("listed audience: %+v", tables)
	}

	at := time.Date(2027, 1, 5, 14, 0, 0, 0, time.UTC)
	var rid int64
	err = st.InTx(ctx, "system:checkin", func(tx *store.Tx) error {
		var err error
		rid, _, err = tx.InsertRound(ctx, "system:checkin", store.RoundInput{ScheduleID: sid,
			OccurrenceKey: "k", ScheduledFor: at, Period: today.AddDate(0, -1, -4), OpenedAt: at, ClosesAt: at.Add(time.Hour)})
		if err != nil {
			return err
		}
		prompts, err := tx.InsertPrompts(ctx, "system:checkin", rid, []int64{1, 2, 3})
		if err != nil || len(prompts) != 3 {
			t.Fatalf("prompts %v, %v", prompts, err)
		}
		recips, err := tx.InsertRecipients(ctx, "system:checkin", []store.RecipientKey{
			{PromptID: prompts[1], PersonID: 3}, {PromptID: prompts[2], PersonID: 4}})
		if err != nil || len(recips) != 2 || recips[store.RecipientKey{PromptID: prompts[2], PersonID: 4}] == 0 {
			t.Fatalf("recipients %v, %v", recips, err)
		}
		_, err = tx.SQL().Exec(`UPDATE checkin_prompts SET status = 'answered' WHERE id = $1`, prompts[1])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, rows, err := st.RoundStatus(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Answered != 1 || c.Pending != 2 || c.Total() != 3 || len(rows) != 3 {
		t.Fatalf("counts %+v rows %+v", c, rows)
	}
	for _, r := range rows {
		want := map[int64]int{1: 1, 2: 1, 3: 0}[r.OrganisationID]
		if r.Recipients != want {
			t.Errorf("Table %d: %d recipients, want %d", r.OrganisationID, r.Recipients, want)
		}
	}
	m, err := st.RoundCounts(ctx, []int64{rid})
	if err != nil || m[rid] != c {
		t.Errorf("RoundCounts %v, %v", m, err)
	}
	var audited int
	if err := st.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE actor = 'system:checkin'
		AND entity IN ('checkin_rounds', 'checkin_prompts', 'checkin_recipients') AND action = 'insert'`); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("audited row inserts %d, want 1 (the round)", audited)
	}
	// Prompts and recipients are a fan-out: one bulk row each, with the count, for the same actor.
	var bulk []string
	if err := st.DB().Select(&bulk, `SELECT entity || ' ' || (after->>'rows') FROM audit_log
		WHERE actor = 'system:checkin' AND action = 'bulk' ORDER BY entity`); err != nil {
		t.Fatal(err)
	}
	if len(bulk) != 2 || bulk[0] != "checkin_prompts 3" || bulk[1] != "checkin_recipients 2" {
		t.Errorf("bulk audit rows %v", bulk)
	}
	// Writes after the fan-out are audited row by row again.
	if n := count(t, st, `SELECT count(*) FROM audit_log WHERE entity = 'checkin_prompts' AND action = 'update'`); n != 1 {
		t.Errorf("the prompt update after the fan-out audited %d times, want 1", n)
	}
}

func count(t *testing.T, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
