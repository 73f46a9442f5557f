package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// digestRouter is a router whose check-in service queues through the real
// Enqueuer (deliveries rows and River jobs, in the caller's transaction);
// the jobs client is not started, so what is queued stays to be read.
func digestRouter(t *testing.T, queueOnly bool) (*commands.Router, *store.Store) {
	t.Helper()
	st := testdb.WithFixture(t)
	j, err := jobs.New(st, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	enq := jobs.NewEnqueuer(j)
	svc := &checkin.Service{Store: st, Enqueuer: enq, Alerter: delivery.NewAlerter(enq, "")}
	rt := commands.New(st, commands.Options{
		Locales:           fakeLocales{partner: "en-US", guest: "fr-CA"},
		Now:               func() time.Time { return checkinNow },
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Checkins:          svc,
		CheckinsQueueOnly: queueOnly,
	})
	return rt, st
}

// runWithTrigger runs a command as Slack sends it, with its trigger_id.
func runWithTrigger(t *testing.T, rt *commands.Router, user, text, trigger string) commands.Reply {
	t.Helper()
	reply := rt.Command(ctx, commands.Invocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
		ChannelID: "C1", Text: text, TriggerID: trigger})
	checkReply(t, text, reply)
	return reply
}

// queuedPart is a preview message as queued: its deliveries row and job.
type queuedPart struct {
	Key      string `db:"key"`
	Status   string `db:"status"`
	Text     string `db:"text"`
	Blocks   string `db:"blocks"`
	To       string `db:"to"`
	ThreadTS string `db:"thread_ts"`
}

func previewParts(t *testing.T, st *store.Store, user string) []queuedPart {
	t.Helper()
	var out []queuedPart
	if err := st.DB().Select(&out, `SELECT d.key, d.status::text AS status, d.text, d.blocks,
			j.args->>'to' AS to, coalesce(j.args->>'thread_ts', '') AS thread_ts
		FROM deliveries d JOIN river_job j ON j.args->>'key' = d.key
		WHERE d.key LIKE 'digest-preview:' || $1 || ':%'
		ORDER BY length(d.key), d.key`, user); err != nil {
		t.Fatal(err)
	}
	return out
}

// previewOf is the preview queued for user by one request: its parent (to
// the caller's DM, outside any thread) and the replies it carries, which
// the delivery worker posts in its thread, in order, once it is posted.
func previewOf(t *testing.T, st *store.Store, user string) []queuedPart {
	t.Helper()
	parents := previewParts(t, st, user)
	if len(parents) != 1 || parents[0].To != user || parents[0].ThreadTS != "" {
		t.Fatalf("queued %+v, want one parent, to the caller's DM", parents)
	}
	var thread string
	if err := st.DB().Get(&thread, `SELECT coalesce(thread::text, '[]') FROM deliveries WHERE key = $1`, parents[0].Key); err != nil {
		t.Fatal(err)
	}
	var replies []struct {
		Key    string          `json:"key"`
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(thread), &replies); err != nil {
		t.Fatal(err)
	}
	parts := parents
	for _, r := range replies {
		parts = append(parts, queuedPart{Key: r.Key, Text: r.Text, Blocks: string(r.Blocks)})
	}
	return parts
}

func TestDigestPreviewGoesToTheCallersDMParentThenThread(t *testing.T) {
	t.Parallel()
	rt, st := digestRouter(t, false)
	reply := runWithTrigger(t, rt, partner, "digest preview September 2026", "trig-1")
	if !strings.Contains(reply.Text, "Preview of the digest for September 2026 sent") || reply.InChannel {
		t.Fatalf("reply %q (in channel %v), want a private 'sent'", reply.Text, reply.InChannel)
	}
	d, err := digest.Build(ctx, st, digest.Month{Year: 2026, Month: time.September}, digest.Partnership)
	if err != nil {
		t.Fatal(err)
	}
	want := len(digest.Messages(d, domain.English))
	if want < 2 {
		t.Fatalf("the digest has %d parts: the test needs a thread", want)
	}
	parts := previewOf(t, st, partner)
	if len(parts) != want {
		t.Fatalf("%d parts queued, want %d", len(parts), want)
	}
	for i, p := range parts {
		if !strings.HasPrefix(p.Text, "Preview") || !strings.Contains(p.Blocks, "Preview — only you see it") {
			t.Errorf("part %d is not marked as a preview: %q", i, p.Text)
		}
		var blocks slack.Blocks
		if err := json.Unmarshal([]byte(p.Blocks), &blocks); err != nil {
			t.Fatalf("part %d blocks: %v", i, err)
		}
		if err := blockkit.ValidateMessage(p.Text, blocks.BlockSet); err != nil {
			t.Errorf("part %d breaks Slack's limits: %v", i, err)
		}
		// A partner's preview is the partnership digest: the coordinators-only
		// note of Saint-Michel is counted, never quoted.
		if strings.Contains(p.Blocks+p.Text, "confidentielle") {
			t.Errorf("part %d quotes a coordinators-only note to a partner", i)
		}
	}
	if !strings.Contains(parts[1].Blocks, "Tenants organised") {
		t.Errorf("the highlights do not quote the shared note: %s", parts[1].Blocks)
	}

	// Slack delivering the same command again posts nothing more.
	runWithTrigger(t, rt, partner, "digest preview September 2026", "trig-1")
	if again := previewParts(t, st, partner); len(again) != 1 {
		t.Errorf("the same request again queued %d parents, want 1", len(again))
	}
	// Another request is another preview.
	runWithTrigger(t, rt, partner, "digest preview 2026-09", "trig-2")
	if again := previewParts(t, st, partner); len(again) != 2 {
		t.Errorf("a new request queued %d parents in all, want 2", len(again))
	}
}

func TestDigestPreviewFollowsTheCallersVisibilityAndLanguage(t *testing.T) {
	t.Parallel()
	rt, st := digestRouter(t, false)
	reply := runWithTrigger(t, rt, coordinator, "condensé aperçu 09/2026", "trig-c")
	if !strings.Contains(reply.Text, "Aperçu du condensé de septembre 2026 envoyé") {
		t.Fatalf("reply %q", reply.Text)
	}
	d, err := digest.Build(ctx, st, digest.Month{Year: 2026, Month: time.September}, digest.Coordinators)
	if err != nil {
		t.Fatal(err)
	}
	parts := previewOf(t, st, coordinator)
	if len(parts) != len(digest.Messages(d, domain.French)) {
		t.Errorf("%d parts queued, want %d", len(parts), len(digest.Messages(d, domain.French)))
	}
	all := ""
	for _, p := range parts {
		all += p.Text + p.Blocks
	}
	if !strings.Contains(all, "confidentielle") || !strings.Contains(all, "Aperçu — vous seul le voyez") {
		t.Errorf("a coordinator's preview is not the coordinators' digest in French: %s", all)
	}

	// A guest is told what they may see, and nothing is queued.
	reply = runWithTrigger(t, rt, guest, "condensé aperçu", "trig-g")
	if !strings.Contains(reply.Text, "Relais ne vous connaît pas encore") {
		t.Errorf("guest: %q", reply.Text)
	}
	if got := previewParts(t, st, guest); len(got) != 0 {
		t.Errorf("a guest's preview queued %+v", got)
	}
}

func TestDigestMonths(t *testing.T) {
	t.Parallel()
	rt, st := digestRouter(t, true) // the console: nothing is queued
	for _, c := range []struct{ text, want string }{
		{"condensé aperçu", "octobre 2026"}, // the last complete month
		{"condensé", "octobre 2026"},
		{"condensé aperçu 2026-10", "octobre 2026"},
		{"condensé aperçu octobre 2026", "octobre 2026"},
		{"condensé aperçu oct", "octobre 2026"},
		{"condensé aperçu 10/2026", "octobre 2026"},
		{"condensé aperçu décembre", "décembre 2025"}, // its latest occurrence
		{"condensé aperçu nov", "novembre 2026"},      // the month in progress
		{"condensé sept 2026", "septembre 2026"},
		{"condensé aperçu décembre 2026", "n'est pas encore arrivé"},
		{"condensé aperçu 2027-01", "n'est pas encore arrivé"},
		{"condensé aperçu demain", "n'est pas un mois que je sais lire"},
		{"condensé aperçu 13/2026", "n'est pas un mois que je sais lire"},
		{"condensé bidule", "Je ne connais pas « bidule »"},
	} {
		reply := run(t, rt, coordinator, c.text)
		if !strings.Contains(reply.Text, c.want) {
			t.Errorf("%q: %q, want %q", c.text, reply.Text, c.want)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"digest preview October 2026", "October 2026"},
		{"digest preview 2027-03", "has not come yet"},
		{"digest preview soon", "is not a month I can read"},
	} {
		if reply := run(t, rt, addCoordEN(t, st), c.text); !strings.Contains(reply.Text, c.want) {
			t.Errorf("%q: %q, want %q", c.text, reply.Text, c.want)
		}
	}
	if reply := run(t, rt, coordinator, "condensé aperçu"); !strings.Contains(reply.Text, "relais digest --month 2026-10 --lang fr --audience coordinators") {
		t.Errorf("the console's preview: %q", reply.Text)
	}
	if got := previewParts(t, st, coordinator); len(got) != 0 {
		t.Errorf("the console queued %+v", got)
	}
}

// addCoordEN adds an English-speaking coordinator once.
func addCoordEN(t *testing.T, st *store.Store) string {
	t.Helper()
	if err := st.ExecAsForTest(ctx, "test", `INSERT INTO people (slack_user_id, display_name, organisation_id, role,
		answers_checkins, language) VALUES ('UCOORDEN', 'Coordination EN', 6, 'coordinator', false, 'en')
		ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	return "UCOORDEN"
}

func TestDigestSendIsForCoordinatorsAndConfirmedFirst(t *testing.T) {
	t.Parallel()
	rt, st := digestRouter(t, false)
	if reply := run(t, rt, partner, "digest send"); !strings.Contains(reply.Text, "Only the coordination team posts") {
		t.Errorf("a partner's send: %q", reply.Text)
	}
	if reply := run(t, rt, guest, "condensé envoyer"); !strings.Contains(reply.Text, "Relais ne vous connaît pas encore") {
		t.Errorf("a guest's send: %q", reply.Text)
	}
	reply := run(t, rt, coordinator, "condensé envoyer")
	if !strings.Contains(reply.Text, "Publier le condensé d'octobre 2026 dans") {
		t.Fatalf("confirmation %q", reply.Text)
	}
	value := ""
	for _, b := range reply.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == commands.ActionDigestSend {
					value = btn.Value
				}
			}
		}
	}
	if value != "2026-10" {
		t.Fatalf("the confirmation's button carries %q", value)
	}
	click := func(user, action string) commands.Reply {
		r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
			ChannelID: "C1", ActionID: action, Value: value, Surface: commands.SurfacePrivate})
		checkReply(t, action, r)
		return r
	}
	if r := click(coordinator, commands.ActionDigestSend); !strings.Contains(r.Text, "pas encore branchée") || !r.ReplaceOriginal {
		t.Errorf("a coordinator's confirmation: %q (replace %v)", r.Text, r.ReplaceOriginal)
	}
	if r := click(coordinator, commands.ActionDigestCancel); !strings.Contains(r.Text, "Rien n'a été publié") {
		t.Errorf("cancel: %q", r.Text)
	}
	if r := click(partner, commands.ActionDigestSend); !strings.Contains(r.Text, "Only the coordination team posts") {
		t.Errorf("a partner clicking the button: %q", r.Text)
	}
	// Demoted after the question was asked: the click reads the directory again.
	if err := st.ExecAsForTest(ctx, "test", `UPDATE people SET role = 'partner' WHERE slack_user_id = 'UCOORD'`); err != nil {
		t.Fatal(err)
	}
	if r := click(coordinator, commands.ActionDigestSend); !strings.Contains(r.Text, "Seule l'équipe de coordination") {
		t.Errorf("a demoted coordinator's click: %q", r.Text)
	}
}

func TestDigestReadTheNoteFollowsTheServersRule(t *testing.T) {
	t.Parallel()
	rt, st := digestRouter(t, false)
	var shared, confidential int64
	if err := st.DB().Get(&shared, `SELECT id FROM progress_notes WHERE body LIKE 'Tenants organised%'`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Get(&confidential, `SELECT id FROM progress_notes WHERE body LIKE 'Tension au comité%'`); err != nil {
		t.Fatal(err)
	}
	open := func(user, value string) commands.Reply {
		r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
			ChannelID: "CDIGEST", ActionID: digest.ActionOpenNote, Value: value, Surface: commands.SurfaceShared})
		checkReply(t, value, r)
		if r.InChannel || r.ReplaceOriginal {
			t.Errorf("%s clicking %s: the reply would show in the channel", user, value)
		}
		return r
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, c := range []struct {
		user, value, want string
	}{
		{partner, id(shared), "Tenants organised three housing meetings"},
		{coordinator, id(confidential), "note confidentielle"},
		{smMember, id(confidential), "note confidentielle"}, // their own Table's
		{partner, id(confidential), "You may not read this note"},
		{cdnMember, id(confidential), "Vous ne pouvez pas lire cette note"},
		{guest, id(shared), "Vous ne pouvez pas lire cette note"},
		{partner, "999999", "You may not read this note"},
		{partner, "1; DROP TABLE progress_notes", "You may not read this note"},
	} {
		if r := open(c.user, c.value); !strings.Contains(allText(r)+r.Text, c.want) {
			t.Errorf("%s opening %q: %q, want %q", c.user, c.value, r.Text, c.want)
		}
	}
	var refused int
	if err := st.DB().Get(&refused, `SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'progress_notes'
		AND after->>'via' = 'button:'||$1`, digest.ActionOpenNote); err != nil || refused != 5 {
		t.Errorf("%d refusals audited (%v), want 5", refused, err)
	}
}

// publisher records what `condensé envoyer` asks internal/jobs to publish.
type publisher struct {
	channels []string
	asked    []string // "actor month"
	fail     error
}

func (p *publisher) DigestChannelIDs() []string { return p.channels }

func (p *publisher) PublishDigest(_ context.Context, actor store.Actor, m digest.Month) ([]string, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	p.asked = append(p.asked, string(actor)+" "+m.String())
	return p.channels, nil
}

func TestDigestSendPublishesOnceConfirmed(t *testing.T) {
	t.Parallel()
	st := testdb.WithFixture(t)
	pub := &publisher{channels: []string{"CPARTNERS", "GCOORD"}}
	rt := commands.New(st, commands.Options{Now: func() time.Time { return checkinNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Digests: pub})
	reply := run(t, rt, coordinator, "condensé envoyer août 2026")
	if !strings.Contains(allText(reply), "Publier le condensé d'août 2026 dans <#CPARTNERS>, <#GCOORD> ?") {
		t.Fatalf("confirmation %q", reply.Text)
	}
	if len(pub.asked) != 0 {
		t.Fatalf("published before the click: %v", pub.asked)
	}
	click := func(user, value string) commands.Reply {
		r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
			ChannelID: "C1", ActionID: commands.ActionDigestSend, Value: value, Surface: commands.SurfacePrivate})
		checkReply(t, value, r)
		return r
	}
	if r := click(partner, "2026-08"); !strings.Contains(r.Text, "Seule l'équipe de coordination") || len(pub.asked) != 0 {
		t.Errorf("a partner's click: %q, published %v", r.Text, pub.asked)
	}
	if r := click(coordinator, "<!channel>"); len(pub.asked) != 0 || strings.Contains(r.Text, "<!channel>") {
		t.Errorf("a forged month: %q, published %v", r.Text, pub.asked)
	}
	r := click(coordinator, "2026-08")
	if !strings.Contains(allText(r), "Le condensé d'août 2026 part vers <#CPARTNERS>, <#GCOORD>") || !r.ReplaceOriginal {
		t.Errorf("a coordinator's click: %q (replace %v)", r.Text, r.ReplaceOriginal)
	}
	if len(pub.asked) != 1 || pub.asked[0] != "slack:UCOORD 2026-08" {
		t.Errorf("published %v, want once for August as UCOORD", pub.asked)
	}
	pub.fail = errors.New("boom")
	if r := click(coordinator, "2026-08"); !strings.Contains(r.Text, "quelque chose a mal tourné") {
		t.Errorf("a failed publish: %q", r.Text)
	}
	pub.channels, pub.fail = nil, nil
	if r := run(t, rt, coordinator, "condensé envoyer"); !strings.Contains(r.Text, "Aucun canal ne reçoit le condensé") {
		t.Errorf("no channel: %q", r.Text)
	}
}
