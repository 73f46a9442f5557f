package commands_test

import (
	"strings"
	"testing"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/store"
)

func follows(t *testing.T, st *store.Store, user string) []string {
	t.Helper()
	var slugs []string
	if err := st.DB().Select(&slugs, `SELECT t.slug FROM theme_follows f JOIN themes t ON t.id = f.theme_id
		JOIN people p ON p.id = f.person_id WHERE p.slack_user_id = $1 ORDER BY t.slug`, user); err != nil {
		t.Fatal(err)
	}
	return slugs
}

// The fixture's themes: logement (Housing), securite-alimentaire (Food security).
func TestFollowAndUnfollow(t *testing.T) {
	rt, st := newRouter(t)
	mustContain(t, "none", run(t, rt, coordinator, "suivre"), "Vous ne suivez aucun thème", "Logement")
	mustContain(t, "accents and case", run(t, rt, coordinator, "suivre SECURITE alimentaire"),
		"Vous suivez maintenant *Sécurité alimentaire*", "`/pic ne plus suivre securite-alimentaire`")
	mustContain(t, "again", run(t, rt, coordinator, "suivre sécurité-alimentaire"), "Vous suiviez déjà")
	mustContain(t, "english name", run(t, rt, partner, "follow housing"), "You now follow *Housing*", "`/pic unfollow logement`")
	mustContain(t, "typo", run(t, rt, smMember, "follow logemnt"), "You now follow *Housing*")
	if got := follows(t, st, coordinator); strings.Join(got, ",") != "securite-alimentaire" {
		t.Errorf("coordinator follows %v", got)
	}
	var audited int
	if err := st.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE entity = 'theme_follows' AND actor = 'slack:UCOORD'`); err != nil || audited != 1 {
		t.Errorf("audited follows = %d (%v), want 1", audited, err)
	}
	mustContain(t, "list", run(t, rt, coordinator, "suivre"), "Vous suivez : Sécurité alimentaire")

	mustContain(t, "unfollow fr", run(t, rt, coordinator, "ne plus suivre Sécurité Alimentaire"), "Vous ne suivez plus *Sécurité alimentaire*")
	mustContain(t, "unfollow again", run(t, rt, coordinator, "ne plus suivre sécurité alimentaire"), "Vous ne suiviez pas")
	mustContain(t, "unfollow en", run(t, rt, partner, "unfollow Housing"), "You no longer follow *Housing*")
	mustContain(t, "bad ne", run(t, rt, coordinator, "ne suivre rien"), "`/pic ne plus suivre <thème>`")
	if got := follows(t, st, coordinator); len(got) != 0 {
		t.Errorf("after unfollow: %v", got)
	}

	mustContain(t, "unknown", run(t, rt, coordinator, "suivre astrophysique"), "Aucun thème ne correspond à « astrophysique »", "Logement")
	mustContain(t, "guest", run(t, rt, guest, "suivre logement"), "réservée aux membres inscrits")

	// Ambiguous: a second theme whose name starts the same way is asked
	// about with buttons.
	if _, err := st.DB().Exec(`INSERT INTO themes (slug, name_fr, name_en) VALUES ('logement-social', 'Logement social', 'Social housing')`); err != nil {
		t.Fatal(err)
	}
	q := run(t, rt, coordinator, "suivre log")
	mustContain(t, "ambiguous", q, "Plusieurs thèmes correspondent à « log »")
	b := button(t, q, "pic:choose:1")
	if b.Value != "suivre logement-social" {
		t.Fatalf("choice value = %q", b.Value)
	}
	if got := follows(t, st, coordinator); len(got) != 0 {
		t.Errorf("a question followed something: %v", got)
	}
	// The button runs the command as its clicker, who then follows it.
	r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: coordinator}, ActionID: b.ActionID,
		Value: b.Value, ChannelID: "C1", Surface: commands.SurfacePrivate})
	mustContain(t, "chosen", r, "Vous suivez maintenant *Logement social*")
	if got := follows(t, st, coordinator); strings.Join(got, ",") != "logement-social" {
		t.Errorf("after the choice: %v", got)
	}
	// "logement" alone is exact and wins over "logement social".
	mustContain(t, "exact wins", run(t, rt, coordinator, "suivre logement"), "Vous suivez maintenant *Logement*")
}
