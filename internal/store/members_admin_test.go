package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The fixture: UCOORD coordinates (Coalition des Tables, 6), UPART is a
// partner (Fondation Exemple, 4), USM and UCDN answer for the Tables of
// Saint-Michel (1) and Côte-des-Neiges (2); Verdun's Table (3) has nobody.
const actorCoord = store.Actor("slack:UCOORD")

func TestAddMemberNewMoveAndBack(t *testing.T) {
	st := testdb.WithFixture(t)
	before, err := st.TableVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Someone new in a Table: a member who answers its check-ins.
	ch, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UNEW1", OrganisationID: 3, DisplayName: "Nadia"})
	if err != nil {
		t.Fatal(err)
	}
	p := ch.After
	if ch.Before != nil || p.Role != domain.RoleTableMember || !p.AnswersCheckins || !p.Active || p.DisplayName != "Nadia" ||
		p.OrganisationID != 3 || ch.Organisation.Name != "Table de Verdun" {
		t.Errorf("new member: %+v", ch)
	}
	// Moved to another Table, with no name this time: keeps name, role and answering.
	ch, err = st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UNEW1", OrganisationID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Before == nil || ch.Before.OrganisationID != 3 || ch.After.OrganisationID != 1 || ch.After.DisplayName != "Nadia" ||
		!ch.After.AnswersCheckins || ch.After.Role != domain.RoleTableMember {
		t.Errorf("moved: %+v", ch)
	}
	// Moved to a funder: a Table's member role does not follow; no check-ins there.
	ch, err = st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UNEW1", OrganisationID: 4})
	if err != nil || ch.After.Role != domain.RolePartner || ch.After.AnswersCheckins {
		t.Errorf("to a funder: %+v %v", ch, err)
	}
	// Someone new, named by nobody: their Slack id stands for the name.
	ch, err = st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UNEW2", OrganisationID: 5})
	if err != nil || ch.After.DisplayName != "UNEW2" || ch.After.Role != domain.RolePartner {
		t.Errorf("nameless: %+v %v", ch, err)
	}
	// table_member outside a Table is refused.
	if _, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UNEW3", OrganisationID: 5,
		Role: domain.RoleTableMember}); !errors.Is(err, store.ErrNotATable) {
		t.Errorf("table member of a city: %v", err)
	}
	// Removed, then added back: active again, defaults of a newcomer.
	if _, err := st.RemoveMember(ctx, actorCoord, "USM"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PersonBySlackID(ctx, "USM"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removed person still active: %v", err)
	}
	if _, err := st.RemoveMember(ctx, actorCoord, "USM"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	ch, err = st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "USM", OrganisationID: 1})
	if err != nil || ch.Before == nil || ch.Before.Active || !ch.After.Active || ch.After.DisplayName != "Membre Saint-Michel" {
		t.Errorf("back: %+v %v", ch, err)
	}
	// The person row survives, so notes keep their author.
	var authored int
	if err := st.DB().Get(&authored, `SELECT count(*) FROM progress_notes n JOIN people p ON p.id = n.author_id
		WHERE p.slack_user_id = 'USM'`); err != nil || authored != 2 {
		t.Errorf("notes by USM: %d %v", authored, err)
	}

	// Audited for the coordinator, and the people table's counter moved
	// (cached callers are outdated by it).
	var audited int
	if err := st.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE entity = 'people' AND actor = 'slack:UCOORD'`); err != nil ||
		audited < 6 {
		t.Errorf("%d audit rows for slack:UCOORD (%v)", audited, err)
	}
	after, err := st.TableVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after["people"] <= before["people"] || after["funding"] != before["funding"] {
		t.Errorf("people version %d -> %d, funding %d -> %d", before["people"], after["people"], before["funding"], after["funding"])
	}
}

func TestRoleAndRespondent(t *testing.T) {
	st := testdb.WithFixture(t)
	ch, err := st.SetAnswersCheckins(ctx, actorCoord, "USM", false)
	if err != nil || ch.After.AnswersCheckins || !ch.Before.AnswersCheckins {
		t.Errorf("respondent off: %+v %v", ch, err)
	}
	if _, err := st.SetAnswersCheckins(ctx, actorCoord, "UPART", true); !errors.Is(err, store.ErrNotATable) {
		t.Errorf("a partner answering check-ins: %v", err)
	}
	if _, err := st.SetAnswersCheckins(ctx, actorCoord, "UNOBODY", true); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	ch, err = st.SetMemberRole(ctx, actorCoord, "USM", domain.RoleCoordinator)
	if err != nil || ch.After.Role != domain.RoleCoordinator {
		t.Errorf("promote: %+v %v", ch, err)
	}
	if _, err := st.SetMemberRole(ctx, actorCoord, "UPART", domain.RoleTableMember); !errors.Is(err, store.ErrNotATable) {
		t.Errorf("table member of a funder: %v", err)
	}
	p, err := st.PersonBySlackID(ctx, "USM")
	if err != nil || p.Role != domain.RoleCoordinator {
		t.Errorf("read back: %+v %v", p, err)
	}
}

func TestTheLastCoordinatorStays(t *testing.T) {
	st := testdb.WithFixture(t)
	if _, err := st.RemoveMember(ctx, actorCoord, "UCOORD"); !errors.Is(err, store.ErrLastCoordinator) {
		t.Errorf("remove the last: %v", err)
	}
	if _, err := st.SetMemberRole(ctx, actorCoord, "UCOORD", domain.RolePartner); !errors.Is(err, store.ErrLastCoordinator) {
		t.Errorf("demote the last: %v", err)
	}
	if _, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UCOORD", OrganisationID: 1,
		Role: domain.RoleTableMember}); !errors.Is(err, store.ErrLastCoordinator) {
		t.Errorf("move and demote the last: %v", err)
	}
	// Moving keeps the role: allowed.
	if ch, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UCOORD", OrganisationID: 5}); err != nil ||
		ch.After.Role != domain.RoleCoordinator {
		t.Errorf("move the last: %+v %v", ch, err)
	}

	// Two coordinators demoting each other at once: one stays.
	if _, err := st.SetMemberRole(ctx, actorCoord, "UPART", domain.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []string{"UCOORD", "UPART"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.SetMemberRole(ctx, actorCoord, who, domain.RolePartner)
			}()
		}
		wg.Wait()
		var n int
		if err := st.DB().Get(&n, `SELECT count(*) FROM people WHERE role = 'coordinator' AND active`); err != nil || n != 1 {
			t.Fatalf("%d coordinators left (%v), errors %v", n, err, errs)
		}
		if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], store.ErrLastCoordinator) || errors.Is(errs[1], store.ErrLastCoordinator)) {
			t.Fatalf("want one success and one ErrLastCoordinator: %v", errs)
		}
		// Promote both again for the next try.
		for _, who := range []string{"UCOORD", "UPART"} {
			if _, err := st.SetMemberRole(ctx, actorCoord, who, domain.RoleCoordinator); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestFindOrganisations(t *testing.T) {
	st := testdb.WithFixture(t)
	cases := []struct {
		typed, how string
		want       []int64
	}{
		{"table-verdun", store.MatchExact, []int64{3}},
		{"FONDATION exemple", store.MatchExact, []int64{4}},
		{"Table de Cote-des-Neiges", store.MatchExact, []int64{2}},
		{"exemple", store.MatchWords, []int64{5, 4}}, // shortest name first
		{"coalition des", store.MatchWords, []int64{6}},
		{"fondaton", store.MatchNear, []int64{4}},
		{"50%_", "", nil},
		{"", "", nil},
	}
	for _, c := range cases {
		got, err := st.FindOrganisations(ctx, c.typed, 5)
		if err != nil {
			t.Fatalf("%q: %v", c.typed, err)
		}
		var ids []int64
		for _, m := range got {
			ids = append(ids, m.ID)
			if m.How != c.how {
				t.Errorf("%q: found %s as %s, want %s", c.typed, m.Name, m.How, c.how)
			}
		}
		if len(ids) != len(c.want) || (len(ids) > 0 && ids[0] != c.want[0]) {
			t.Errorf("%q: %v, want %v", c.typed, ids, c.want)
		}
	}
}

func TestAwayUntil(t *testing.T) {
	st := testdb.WithFixture(t)
	day := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	if err := st.SetAwayUntil(ctx, "slack:USM", "USM", &day); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwayUntil(ctx, "slack:USM", "USM", &day); err != nil {
		t.Errorf("the same day again: %v", err)
	}
	got, err := st.AwayUntil(ctx, "USM")
	if err != nil || got == nil || got.Format(time.DateOnly) != "2027-01-15" {
		t.Errorf("away until %v %v", got, err)
	}
	sid, err := st.CreateSchedule(ctx, "cli", scheduleInput("s"))
	if err != nil {
		t.Fatal(err)
	}
	respondents := func(today time.Time) []string {
		tables, err := st.AudienceRespondents(ctx, sid, today)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tb := range tables {
			for _, r := range tb.Respondents {
				ids = append(ids, r.SlackUserID)
			}
		}
		return ids
	}
	if ids := respondents(day); len(ids) != 1 || ids[0] != "UCDN" {
		t.Errorf("on the last day away: %v", ids)
	}
	if ids := respondents(day.AddDate(0, 0, 1)); len(ids) != 2 {
		t.Errorf("the day after: %v", ids)
	}
	if err := st.SetAwayUntil(ctx, "slack:USM", "USM", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := st.AwayUntil(ctx, "USM"); err != nil || got != nil {
		t.Errorf("back: %v %v", got, err)
	}
	if err := st.SetAwayUntil(ctx, "slack:UGUEST", "UGUEST", &day); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := st.AwayUntil(ctx, "UGUEST"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

// Someone coming back gets their previous role when it still fits, and no
// longer is away: an old date would skip them silently.
func TestAddMemberBackKeepsRoleClearsAway(t *testing.T) {
	st := testdb.WithFixture(t)
	if _, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UCO2", OrganisationID: 6,
		Role: domain.RoleCoordinator}); err != nil {
		t.Fatal(err)
	}
	away := time.Date(2099, 1, 15, 0, 0, 0, 0, time.UTC)
	if err := st.SetAwayUntil(ctx, actorCoord, "UCO2", &away); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RemoveMember(ctx, actorCoord, "UCO2"); err != nil {
		t.Fatal(err)
	}
	ch, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UCO2", OrganisationID: 6})
	if err != nil || ch.After.Role != domain.RoleCoordinator || ch.AwayCleared == nil || !ch.AwayCleared.Equal(away) {
		t.Fatalf("back: %+v %v", ch, err)
	}
	if day, err := st.AwayUntil(ctx, "UCO2"); err != nil || day != nil {
		t.Errorf("still away: %v %v", day, err)
	}
	got, err := st.AwayFrom(ctx, []string{"UCO2", "USM"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 0 {
		t.Errorf("away from: %v %v", got, err)
	}
	// A Table's member coming back to a funder cannot stay one: partner.
	if _, err := st.RemoveMember(ctx, actorCoord, "USM"); err != nil {
		t.Fatal(err)
	}
	ch, err = st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "USM", OrganisationID: 4})
	if err != nil || ch.After.Role != domain.RolePartner || ch.AwayCleared != nil {
		t.Errorf("back elsewhere: %+v %v", ch, err)
	}
	// An active person keeps their away date when moved.
	if err := st.SetAwayUntil(ctx, actorCoord, "UCDN", &away); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, actorCoord, store.MemberInput{SlackUserID: "UCDN", OrganisationID: 3}); err != nil {
		t.Fatal(err)
	}
	got, err = st.AwayFrom(ctx, []string{"UCDN", "USM"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 1 || !got["UCDN"].Equal(away) {
		t.Errorf("moved, still away: %v %v", got, err)
	}
	if p, err := st.MemberBySlackID(ctx, "UNOBODY"); p != nil || err != nil {
		t.Errorf("nobody: %v %v", p, err)
	}
}
