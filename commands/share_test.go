package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// click runs a click by user on a button of a message at surface.
func click(t *testing.T, rt *commands.Router, user string, surface commands.Surface, actionID, value string) commands.Reply {
	t.Helper()
	r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
		ChannelID: "C1", ActionID: actionID, Value: value, Surface: surface})
	checkReply(t, actionID, r)
	return r
}

// pagesOf follows the "next" buttons from first, clicking as user at
// surface, and returns every page.
func pagesOf(t *testing.T, rt *commands.Router, user string, surface commands.Surface, first commands.Reply) []commands.Reply {
	t.Helper()
	pages := []commands.Reply{first}
	for cur := first; len(pages) < 10; {
		var next string
		for _, b := range buttons(cur) {
			if b.ActionID == commands.ActionPage+":next" {
				next = b.Value
			}
		}
		if next == "" {
			break
		}
		cur = click(t, rt, user, surface, commands.ActionPage+":next", next)
		pages = append(pages, cur)
	}
	return pages
}

// The leak issue 6 fixed: a shared search's page buttons, clicked by a
// coordinator on the channel's copy, re-ran the search with the clicker's
// rights and replaced the channel message with coordinators-only notes.
func TestClicksOnSharedMessagesShowThePartnershipView(t *testing.T) {
	rt, st := newRouter(t)
	// Enough notes on "financement" for several pages; the fixture's
	// coordinators-only note mentions it too.
	for i := range 12 {
		if err := st.ExecAsForTest(ctx, "test", fmt.Sprintf(`INSERT INTO progress_notes (organisation_id,
			quartier_id, author_id, period, body, language, visibility) VALUES (1, 1, 3, '2026-08-01',
			'Point %d sur le financement du projet.', 'fr', 'partnership')`, i)); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "note confidentielle"
	joined := func(rs []commands.Reply) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString(allText(r))
		}
		return b.String()
	}

	// The coordinator's own, private copy shows the confidential note on
	// one of its pages: the test below can fail.
	mine := run(t, rt, coordinator, "chercher financement")
	if !strings.Contains(joined(pagesOf(t, rt, coordinator, commands.SurfacePrivate, mine)), secret) {
		t.Fatal("the coordinator's private search lacks the coordinators-only note")
	}

	// Shared, then paged through by every role: never the note, always
	// posted back as the channel's message, with who shared it.
	shared := click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionShare, button(t, mine, commands.ActionShare).Value)
	if !shared.InChannel || shared.ReplaceOriginal {
		t.Fatalf("share: in channel %v, replace %v", shared.InChannel, shared.ReplaceOriginal)
	}
	for _, who := range []string{coordinator, smMember, partner, guest} {
		pages := pagesOf(t, rt, who, commands.SurfaceShared, shared)
		if len(pages) < 2 {
			t.Fatalf("%s: the shared search has %d page(s); the test needs two", who, len(pages))
		}
		if s := joined(pages); strings.Contains(s, secret) {
			t.Errorf("%s paged the shared search and showed a coordinators-only note", who)
		}
		for i, p := range pages[1:] {
			if !p.ReplaceOriginal || !p.InChannel {
				t.Errorf("%s, page %d: replace %v, in channel %v; want the channel's message replaced", who, i+2, p.ReplaceOriginal, p.InChannel)
			}
			mustContain(t, who, p, "Partagé par <@UCOORD>")
			mustNotContain(t, who, p, commands.ActionShare)
		}
	}

	// A private copy whose button value says "shared" stays narrowed: a value
	// may narrow the view, never widen it.
	sharedNext := button(t, shared, commands.ActionPage+":next").Value
	narrowed := pagesOf(t, rt, coordinator, commands.SurfacePrivate,
		click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionPage+":next", sharedNext))
	if strings.Contains(joined(narrowed), secret) {
		t.Error("a shared button value clicked on a private surface widened the view")
	}

	// A private page button clicked on a channel message (a forged or copied
	// value) still shows only the partnership's view.
	privateNext := button(t, mine, commands.ActionPage+":next").Value
	forged := pagesOf(t, rt, coordinator, commands.SurfaceShared,
		click(t, rt, coordinator, commands.SurfaceShared, commands.ActionPage+":next", privateNext))
	if strings.Contains(joined(forged), secret) {
		t.Error("a private button value clicked on a shared message showed coordinators-only notes")
	}
}

func TestCoordinatorsOnlyRepliesCannotBeShared(t *testing.T) {
	rt, st := newRouter(t)
	for i := range 25 {
		if err := st.ExecAsForTest(ctx, "test", fmt.Sprintf(`INSERT INTO people (slack_user_id, display_name,
			organisation_id, role) VALUES ('UX%02d', 'Personne %d', 1, 'partner')`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	members := run(t, rt, coordinator, "membres")
	for _, b := range buttons(members) {
		if b.ActionID == commands.ActionShare {
			t.Fatal("membres offers a share button")
		}
	}
	if lang := run(t, rt, coordinator, "langue fr"); len(buttons(lang)) != 0 {
		t.Errorf("langue offers buttons: %s", allText(lang))
	}

	// A forged share of membres, and a page click on a forged channel copy,
	// are refused to the clicker alone and never touch the clicked message.
	next := button(t, members, commands.ActionPage+":next").Value
	for name, r := range map[string]commands.Reply{
		"share": click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionShare, "0|membres"),
		"page":  click(t, rt, coordinator, commands.SurfaceShared, commands.ActionPage+":next", next),
	} {
		if r.InChannel || r.ReplaceOriginal {
			t.Errorf("%s: in channel %v, replace %v; want a new private message", name, r.InChannel, r.ReplaceOriginal)
		}
		mustContain(t, name, r, "ne peut pas être partagée")
		mustNotContain(t, name, r, "Personne 1")
	}
	// The coordinator's own copy still pages.
	if r := click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionPage+":next", next); !r.ReplaceOriginal {
		t.Errorf("private page of membres: %+v", r)
	} else {
		mustContain(t, "page 2", r, "Page 2 sur 2")
	}
}

// A click that fails (no right, a stale value) answers the clicker alone and
// leaves the clicked message as it was, wherever it is.
func TestFailedClicksArePrivate(t *testing.T) {
	rt, _ := newRouter(t)
	for _, surface := range []commands.Surface{commands.SurfacePrivate, commands.SurfaceShared} {
		for name, c := range map[string]struct{ user, action, value, want string }{
			"no right":    {partner, commands.ActionPage + ":next", "1|membres", "for the coordination team"},
			"guest":       {guest, commands.ActionPage + ":next", "1|membres", "réservée aux membres"},
			"stale value": {coordinator, commands.ActionPage + ":next", "x|aide", "n'est plus valide"},
			"bad input":   {coordinator, commands.ActionPage + ":next", "1|chercher \x00", "caractères"},
		} {
			r := click(t, rt, c.user, surface, c.action, c.value)
			if r.InChannel || r.ReplaceOriginal {
				t.Errorf("%s (surface %d): in channel %v, replace %v", name, surface, r.InChannel, r.ReplaceOriginal)
			}
			// On a shared message, membres is refused before its rights are checked.
			if surface == commands.SurfacePrivate && !strings.Contains(strings.ToLower(allText(r)), strings.ToLower(c.want)) {
				t.Errorf("%s: %s", name, allText(r))
			}
		}
	}
}

// Replacing a message gives its blocks new block_ids, as Slack asks.
func TestReplacedMessagesGetNewBlockIDs(t *testing.T) {
	rt, st := newRouter(t)
	for i := range 22 {
		if err := st.ExecAsForTest(ctx, "test", fmt.Sprintf(`INSERT INTO initiatives (code, quartier_id,
			lead_organisation_id, title, start_date) VALUES ('X-%02d', 3, 3, 'Projet %d', '2024-01-01')`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	first := run(t, rt, coordinator, "initiatives verdun")
	next := button(t, first, commands.ActionPage+":next").Value
	a := click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionPage+":next", next)
	b := click(t, rt, coordinator, commands.SurfacePrivate, commands.ActionPage+":next", next)
	ids := map[string]bool{}
	for _, blk := range first.Blocks {
		ids[blk.ID()] = true
	}
	for _, blk := range a.Blocks {
		if blk.ID() == "" || ids[blk.ID()] {
			t.Errorf("page 2 block %q is not new", blk.ID())
		}
		ids[blk.ID()] = true
	}
	for _, blk := range b.Blocks {
		if ids[blk.ID()] {
			t.Errorf("page 2 again reuses block %q", blk.ID())
		}
	}
}

// While the database cannot be reached, every caller is told so, in French
// then English, and never that they should ask to be added.
func TestDatabaseUnreachable(t *testing.T) {
	db, err := sqlx.Open("postgres", "postgres://postgres@127.0.0.1:1/relais?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rt := commands.New(store.New(db), commands.Options{
		Now:    func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	want := i18n.T(domain.French, "error.database")
	for _, user := range []string{coordinator, partner, guest} {
		for _, text := range []string{"aide", "quartier Verdun", "membres", "chercher logement"} {
			r := run(t, rt, user, text)
			mustContain(t, text, r, want, i18n.T(domain.English, "error.database"))
			mustNotContain(t, text, r, "ajouter", "add you")
		}
		r := click(t, rt, user, commands.SurfaceShared, commands.ActionPage+":next", "1;s|chercher logement")
		if r.ReplaceOriginal || r.InChannel {
			t.Errorf("%s: a failed click replaced the message: %+v", user, r)
		}
		mustContain(t, "click", r, want)
	}
}

// A coordinator demoted a moment ago loses coordinators-only commands at
// once, whatever the cache remembers of them.
func TestDemotedCoordinatorLosesRightsAtOnce(t *testing.T) {
	rt, st := newRouter(t)
	mustContain(t, "before", run(t, rt, coordinator, "membres"), "Coordination")
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET role = 'partner' WHERE slack_user_id = 'UCOORD'`); err != nil {
		t.Fatal(err)
	}
	r := run(t, rt, coordinator, "membres")
	mustContain(t, "after", r, "réservée à l'équipe de coordination")
	mustNotContain(t, "after", r, "Membre Saint-Michel")
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET active = false WHERE slack_user_id = 'UCOORD'`); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "removed", run(t, rt, coordinator, "membres"), "réservée aux membres inscrits")
}
