package commands_test

import "testing"

// The routers' clock: 2026-11-01 in Montreal.
func TestAwayBoundsAndWords(t *testing.T) {
	rt, st := newRouter(t)
	for _, c := range []struct{ text, want string }{
		{"absent -3 jours", "Une absence ne peut pas durer « -3 jours »"},
		{"absent 1 an", ""}, // exactly a year: the last day is 2027-10-31
		{"absent 2 ans", "Le 31 octobre 2028 est à plus d'un an"},
		{"absent 13 mois", "Le 30 novembre 2027 est à plus d'un an"},
		{"absent 400 jours", "Le 5 décembre 2027 est à plus d'un an"},
	} {
		run(t, rt, cdnMember, "absent fin")
		r := run(t, rt, cdnMember, c.text)
		if c.want == "" {
			mustContain(t, c.text, r, "jusqu'au 31 octobre 2027 inclus")
			continue
		}
		mustContain(t, c.text, r, c.want)
		if got := awayUntil(t, st, cdnMember); got != "" {
			t.Errorf("%q stored %q", c.text, got)
		}
	}
	for _, c := range []struct{ text, stored string }{
		{"absent demain", "2026-11-02"}, {"away tomorrow", "2026-11-02"}, {"absent aujourd'hui", "2026-11-01"},
	} {
		run(t, rt, cdnMember, c.text)
		if got := awayUntil(t, st, cdnMember); got != c.stored {
			t.Errorf("%q stored %q, want %q", c.text, got, c.stored)
		}
	}
	// An English reader typing the French verb gets the English hint.
	r := run(t, rt, smMember, "absent 3 jours")
	mustContain(t, "en hint", r, "`/pic away end` ends it sooner")
	mustNotContain(t, "en hint", r, "absent end", "fin`")
	mustContain(t, "en example", run(t, rt, smMember, "absent bof"), "`/pic away 2 weeks`")
}

// Someone without a Table's check-ins is not told about "your Table's".
func TestAwayWordsForPeopleWithoutATable(t *testing.T) {
	rt, _ := newRouter(t)
	r := run(t, rt, partner, "away 3 days")
	mustContain(t, "partner", r, "Noted: you are away until November 3, 2026 included. You get no Table's check-ins at the moment")
	mustNotContain(t, "partner", r, "your Table")
	mustContain(t, "partner end", run(t, rt, partner, "away end"), "Welcome back! You are no longer away.")
	r = run(t, rt, coordinator, "absent 3 jours")
	mustNotContain(t, "coordinator", r, "votre Table")
	mustContain(t, "coordinator", r, "Vous ne recevez les suivis d'aucune Table")
	// A respondent still hears about their Table.
	mustContain(t, "respondent", run(t, rt, cdnMember, "absent 3 jours"), "les autres répondants de votre Table les recevront")
	mustContain(t, "respondent end", run(t, rt, cdnMember, "absent fin"), "Vous recevez de nouveau les suivis de votre Table")
}
