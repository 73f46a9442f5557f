package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/store"
)

// Where the fake delivery "posted" the prompt DMs of the round threadRound
// opens: USM's (Saint-Michel, English) and UCDN's (Côte-des-Neiges).
const (
	smDM, smPromptTS   = "DUSM", "1700000001.000100"
	cdnDM, cdnPromptTS = "DUCDN", "1700000001.000200"
)

type threadFixture struct {
	t      *testing.T
	rt     *commands.Router
	st     *store.Store
	q      *queue
	prompt string // USM's prompt id
	n      int    // events sent
}

// threadRound opens the "mensuel" round and records its prompt DMs as
// posted, as the deliver worker does.
func threadRound(t *testing.T) *threadFixture {
	t.Helper()
	rt, st, q := newSuiviRouter(t)
	svc := &checkin.Service{Store: st, Enqueuer: q, Alerter: delivery.NewAlerter(q, ""), Now: func() time.Time { return checkinNow }}
	if _, err := svc.RunNow(ctx, "test", "mensuel"); err != nil {
		t.Fatal(err)
	}
	for user, dm := range map[string][2]string{"USM": {smDM, smPromptTS}, "UCDN": {cdnDM, cdnPromptTS}} {
		if err := st.ExecAsForTest(ctx, "test", `UPDATE checkin_recipients rc SET state = 'sent', channel_id = $2,
			message_ts = $3, sent_at = now() FROM people p WHERE p.id = rc.person_id AND p.slack_user_id = $1`,
			user, dm[0], dm[1]); err != nil {
			t.Fatal(err)
		}
	}
	f := &threadFixture{t: t, rt: rt, st: st, q: q}
	if err := st.DB().Get(&f.prompt, `SELECT rc.prompt_id::text FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id
		WHERE p.slack_user_id = 'USM'`); err != nil {
		t.Fatal(err)
	}
	q.msgs = nil
	return f
}

// reply is USM's message in their prompt's thread.
func reply(ts, text string) commands.Event {
	return commands.Event{TeamID: "T1", Type: "message", User: "USM", Channel: smDM, ChannelType: "im",
		Text: text, TS: ts, ThreadTS: smPromptTS}
}

// send hands ev to the router as a new event (a fresh event_id unless set).
func (f *threadFixture) send(ev commands.Event) commands.Event {
	f.t.Helper()
	if ev.ID == "" {
		f.n++
		ev.ID = fmt.Sprintf("Ev%04d", f.n)
	}
	if _, err := f.rt.Event(ctx, ev); err != nil {
		f.t.Fatalf("event %+v: %v", ev, err)
	}
	return ev
}

func (f *threadFixture) note() (body string, visibility string, late bool, ok bool) {
	f.t.Helper()
	var row struct {
		Body       string `db:"body"`
		Visibility string `db:"visibility"`
		Late       bool   `db:"late"`
	}
	err := f.st.DB().Get(&row, `SELECT body, visibility::text, late FROM progress_notes WHERE prompt_id = $1::bigint`, f.prompt)
	if err != nil {
		return "", "", false, false
	}
	return row.Body, row.Visibility, row.Late, true
}

func (f *threadFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.DB().Get(&n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// taken returns and forgets the messages queued since the last call; each
// one's blocks must pass the Block Kit checker.
func (f *threadFixture) taken(kind string) []delivery.Message {
	f.t.Helper()
	f.q.mu.Lock()
	defer f.q.mu.Unlock()
	var out, rest []delivery.Message
	for _, m := range f.q.msgs {
		if m.Kind != kind {
			rest = append(rest, m)
			continue
		}
		if err := m.Check(); err != nil {
			f.t.Errorf("unsendable %s: %v", m.Key, err)
		}
		if m.Render != "" { // written when sent, checked where it is rendered
			out = append(out, m)
			continue
		}
		var blocks slack.Blocks
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			f.t.Errorf("blocks of %s: %v", m.Key, err)
		} else if err := blockkit.ValidateMessage(m.Text, blocks.BlockSet); err != nil {
			f.t.Errorf("%s breaks Slack's limits: %v", m.Key, err)
		}
		out = append(out, m)
	}
	f.q.msgs = rest
	return out
}

// deliveredButton is the value of the button actionID in m, "" when none.
func deliveredButton(m delivery.Message, actionID string) string {
	var blocks slack.Blocks
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks.BlockSet {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
					return btn.Value
				}
			}
		}
	}
	return ""
}

func threadClick(rt *commands.Router, user, actionID, value string) commands.Reply {
	return rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user, TeamID: "T1"},
		ChannelID: "D" + user, ActionID: actionID, Value: value, MessageTS: "1700000005.000500"})
}

// Two replies in the prompt's thread form one note, markup decoded; an edit
// rewrites its reply; a retried event adds nothing; deleting a reply takes
// it out and keeps the rest, but never empties the note. Each change is
// confirmed in the thread, with its readers and the one-click restriction,
// and brings the prompt DMs up to date.
func TestThreadRepliesFormTheNote(t *testing.T) {
	f := threadRound(t)
	first := f.send(reply("1700000002.000100", "Nous avons ouvert <https://x.org/c?a=1&amp;b=2|la cuisine> avec <@U1|amelie> &amp; le CLSC."))
	want1 := "Nous avons ouvert la cuisine (https://x.org/c?a=1&b=2) avec @amelie & le CLSC."
	if body, vis, late, ok := f.note(); !ok || body != want1 || vis != "partnership" || late {
		t.Fatalf("note after one reply: %q %s late=%v (%v)", body, vis, late, ok)
	}
	confirm := f.taken(commands.KindThreadReply)
	if len(confirm) != 1 || confirm[0].To != smDM || confirm[0].ThreadTS != smPromptTS ||
		!strings.Contains(confirm[0].Text, "Your reply is in *Table de Saint-Michel*'s note for October 2026") ||
		!strings.Contains(string(confirm[0].Blocks), "Read by the PIC partnership") ||
		deliveredButton(confirm[0], commands.ActionThreadCoordinators) != f.prompt {
		t.Fatalf("confirmation: %+v", confirm)
	}
	if u := f.taken(checkin.KindPromptUpdate); len(u) != 1 || u[0].To != smDM || u[0].UpdateTS != smPromptTS {
		t.Errorf("prompt DM updates: %+v", u)
	}

	// Slack retries the first event: nothing more.
	f.send(first)
	if n := f.count(`SELECT count(*) FROM checkin_thread_replies`); n != 1 {
		t.Errorf("%d replies after a retry, want 1", n)
	}
	if n := len(f.taken(commands.KindThreadReply)); n != 0 {
		t.Errorf("a retried event was confirmed again (%d)", n)
	}

	f.send(reply("1700000003.000100", "Le comité logement a tenu sa première rencontre.\nDeux lignes."))
	want2 := want1 + "\n\nLe comité logement a tenu sa première rencontre.\nDeux lignes."
	if body, _, _, _ := f.note(); body != want2 {
		t.Fatalf("note after two replies: %q", body)
	}
	if n := f.count(`SELECT count(*) FROM progress_notes WHERE prompt_id IS NOT NULL`); n != 1 {
		t.Errorf("%d notes, want one", n)
	}

	// The first reply edited in Slack.
	edit := reply("1700000002.000100", "Nous avons ouvert la cuisine collective.")
	edit.Subtype = "message_changed"
	f.send(edit)
	want3 := "Nous avons ouvert la cuisine collective.\n\nLe comité logement a tenu sa première rencontre.\nDeux lignes."
	if body, _, _, _ := f.note(); body != want3 {
		t.Fatalf("note after an edit: %q", body)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 2 || !strings.Contains(c[1].Text, "updated with your edited reply") {
		t.Errorf("edit confirmations: %+v", c)
	}
	// An edit that changes nothing (an unfurl): nothing written, nothing said.
	f.send(edit)
	if c := f.taken(commands.KindThreadReply); len(c) != 0 {
		t.Errorf("an unchanged edit was confirmed: %+v", c)
	}

	// The second reply deleted: the first stays.
	del := commands.Event{TeamID: "T1", Type: "message", Subtype: "message_deleted", User: "USM", Channel: smDM,
		ChannelType: "im", TS: "1700000003.000100", ThreadTS: smPromptTS}
	f.send(del)
	if body, _, _, _ := f.note(); body != "Nous avons ouvert la cuisine collective." {
		t.Fatalf("note after a deletion: %q", body)
	}
	f.taken(checkin.KindPromptUpdate)
	var revision int
	if err := f.st.DB().Get(&revision, `SELECT revision FROM checkin_prompts WHERE id = $1::bigint`, f.prompt); err != nil {
		t.Fatal(err)
	}
	// The last one deleted (it named a resident, say): the note goes with
	// it, audited, and the check-in is unanswered again, its DMs updated.
	del.TS = "1700000002.000100"
	f.send(del)
	if body, _, _, ok := f.note(); ok {
		t.Fatalf("the deleted reply is still the note: %q", body)
	}
	var prompt struct {
		Status     string     `db:"status"`
		Revision   int        `db:"revision"`
		AnsweredBy *int64     `db:"answered_by"`
		AnsweredAt *time.Time `db:"answered_at"`
	}
	if err := f.st.DB().Get(&prompt, `SELECT status::text AS status, revision, answered_by, answered_at
		FROM checkin_prompts WHERE id = $1::bigint`, f.prompt); err != nil {
		t.Fatal(err)
	}
	if prompt.Status != "sent" || prompt.AnsweredBy != nil || prompt.AnsweredAt != nil || prompt.Revision != revision+1 {
		t.Errorf("prompt after its note was withdrawn: %+v (revision was %d)", prompt, revision)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE entity = 'progress_notes' AND action = 'delete'
		AND actor = 'slack:USM'`); n != 1 {
		t.Errorf("%d note deletions audited, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM checkin_thread_replies`); n != 0 {
		t.Errorf("%d replies left", n)
	}
	if u := f.taken(checkin.KindPromptUpdate); len(u) != 1 || u[0].To != smDM || u[0].UpdateTS != smPromptTS ||
		!strings.HasSuffix(u[0].Key, fmt.Sprintf(":%d", revision+1)) {
		t.Errorf("prompt DM updates after the withdrawal: %+v", u)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 2 || !strings.Contains(c[1].Text, "the note is deleted") ||
		c[1].ThreadTS != smPromptTS {
		t.Errorf("deletion answers: %+v", c)
	}
	// The Table may answer again: a new reply is a new note.
	f.send(reply("1700000004.000100", "Une nouvelle réponse, sans nom cette fois."))
	if body, _, _, ok := f.note(); !ok || body != "Une nouvelle réponse, sans nom cette fois." {
		t.Errorf("a reply after the withdrawal: %q (%v)", body, ok)
	}
}

// "Coordination only" in one click, and back; the value is a hint: another
// Table's member clicking it with this prompt is refused and audited.
func TestThreadVisibilityButton(t *testing.T) {
	f := threadRound(t)
	if r := threadClick(f.rt, "USM", commands.ActionThreadCoordinators, f.prompt); !strings.Contains(allText(r), "no note for this round yet") {
		t.Errorf("restricting a note not written: %s", allText(r))
	}
	f.send(reply("1700000002.000100", "Une bonne nouvelle pour la Table ce mois-ci."))
	f.taken(commands.KindThreadReply)
	f.taken(checkin.KindPromptUpdate)

	r := threadClick(f.rt, "UCDN", commands.ActionThreadCoordinators, f.prompt)
	if !strings.Contains(allText(r), "pas celui de votre Table") && !strings.Contains(allText(r), "not your Table's") {
		t.Errorf("forged click: %s", allText(r))
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = 'slack:UCDN'`); n != 1 {
		t.Errorf("%d refusals audited, want 1", n)
	}
	if _, vis, _, _ := f.note(); vis != "partnership" {
		t.Fatalf("a forged click changed the readers: %s", vis)
	}

	r = threadClick(f.rt, "USM", commands.ActionThreadCoordinators, f.prompt)
	if _, vis, _, _ := f.note(); vis != "coordinators" {
		t.Fatalf("readers after the click: %s", vis)
	}
	mustContain(t, "restricted", r, "coordination team and your Table only", "Back to the partnership")
	if n := len(f.taken(checkin.KindPromptUpdate)); n != 1 {
		t.Errorf("%d prompt DM updates after restricting, want 1", n)
	}
	// The note's text is untouched, and a later reply keeps the readers.
	f.send(reply("1700000004.000100", "Et une deuxième nouvelle, plus longue encore."))
	if body, vis, _, _ := f.note(); vis != "coordinators" || !strings.HasPrefix(body, "Une bonne nouvelle") {
		t.Errorf("after a reply: %q %s", body, vis)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || deliveredButton(c[0], commands.ActionThreadPartnership) != f.prompt {
		t.Errorf("a restricted note's confirmation offers: %+v", c)
	}
	threadClick(f.rt, "USM", commands.ActionThreadPartnership, f.prompt)
	if _, vis, _, _ := f.note(); vis != "partnership" {
		t.Errorf("back to the partnership: %s", vis)
	}
}

// A short reply and a DM outside the thread are asked about before they
// become a note; only the person the question names may answer it, once.
func TestShortRepliesAndDMsOutsideTheThreadAskFirst(t *testing.T) {
	f := threadRound(t)
	short := f.send(reply("1700000002.000100", "merci !"))
	if _, _, _, ok := f.note(); ok {
		t.Fatal("a short reply became a note without asking")
	}
	ask := f.taken(commands.KindThreadReply)
	if len(ask) != 1 || ask[0].ThreadTS != smPromptTS || !strings.Contains(ask[0].Text, "Save “merci !” in *Table de Saint-Michel*'s note for October 2026?") {
		t.Fatalf("question: %+v", ask)
	}
	id := deliveredButton(ask[0], commands.ActionPendingSave)
	if id == "" || deliveredButton(ask[0], commands.ActionPendingDismiss) != id {
		t.Fatalf("question buttons: %s", ask[0].Blocks)
	}
	// The same message again (a retry, or an edit still short): asked once.
	f.send(short)
	edited := short
	edited.ID, edited.Subtype, edited.Text = "", "message_changed", "merci beaucoup !"
	f.send(edited)
	if c := f.taken(commands.KindThreadReply); len(c) != 0 {
		t.Errorf("asked again: %+v", c)
	}

	// Someone else clicking with this id: refused, audited, nothing saved.
	if r := threadClick(f.rt, "UCDN", commands.ActionPendingSave, id); allText(r) == "" {
		t.Error("no answer to a forged click")
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'checkin_pending_replies'`); n != 1 {
		t.Errorf("%d refusals audited, want 1", n)
	}
	if _, _, _, ok := f.note(); ok {
		t.Fatal("a forged click saved the note")
	}
	// The person saves it: the note says what the edit says; a double click does nothing more.
	r := threadClick(f.rt, "USM", commands.ActionPendingSave, id)
	mustContain(t, "saved", r, "Your reply is in *Table de Saint-Michel*'s note", "Coordination only")
	if body, _, _, ok := f.note(); !ok || body != "merci beaucoup !" {
		t.Fatalf("saved short reply: %q (%v)", body, ok)
	}
	mustContain(t, "double click", threadClick(f.rt, "USM", commands.ActionPendingSave, id), "Already settled")
	if n := f.count(`SELECT count(*) FROM checkin_thread_replies`); n != 1 {
		t.Errorf("%d replies after a double click, want 1", n)
	}

	// A DM outside the thread while the prompt is open.
	outside := commands.Event{TeamID: "T1", Type: "message", User: "UCDN", Channel: cdnDM, ChannelType: "im",
		Text: "Voici notre nouvelle du mois, écrite hors du fil.", TS: "1700000006.000100"}
	f.send(outside)
	ask = f.taken(commands.KindThreadReply)
	if len(ask) != 1 || ask[0].To != cdnDM || ask[0].ThreadTS != "" ||
		!strings.Contains(ask[0].Text, "Enregistrer ce message comme note de octobre 2026 pour *Table de Côte-des-Neiges*") ||
		!strings.Contains(string(ask[0].Blocks), "écrite hors du fil") {
		t.Fatalf("outside question: %+v", ask)
	}
	mustContain(t, "dismiss", threadClick(f.rt, "UCDN", commands.ActionPendingDismiss, deliveredButton(ask[0], commands.ActionPendingDismiss)),
		"ce message n'est pas enregistré")
	if n := f.count(`SELECT count(*) FROM progress_notes WHERE prompt_id IS NOT NULL`); n != 1 {
		t.Errorf("%d notes after a dismissed question, want USM's only", n)
	}

	if n := f.count(`SELECT count(*) FROM checkin_pending_replies WHERE resolved_at IS NULL`); n != 0 {
		t.Errorf("%d questions left open", n)
	}
}

// Without an open prompt, a DM is not saved; someone who answers
// check-ins is told where notes go once a day (one delivery key per person
// and day, whatever the message), coordinators and partners not at all.
func TestDMWithoutAnOpenPromptGetsTheHelpOnceADay(t *testing.T) {
	f := threadRound(t)
	if err := f.st.ExecAsForTest(ctx, "test", `UPDATE checkin_rounds SET status = 'closed'`); err != nil {
		t.Fatal(err)
	}
	dm := func(user, channel, ts string) commands.Event {
		return commands.Event{TeamID: "T1", Type: "message", User: user, Channel: channel, ChannelType: "im",
			Text: "Bonjour, une question sur le financement ?", TS: ts}
	}
	f.send(dm("UPART", "DUPART", "1700000007.000100"))
	f.send(dm("UCOORD", "DUCOORD", "1700000007.000200"))
	if help := f.taken(commands.KindThreadReply); len(help) != 0 {
		t.Errorf("help sent to a partner or a coordinator: %+v", help)
	}
	f.send(dm("USM", smDM, "1700000007.000300"))
	f.send(dm("USM", smDM, "1700000008.000300"))
	help := f.taken(commands.KindThreadReply)
	if len(help) != 2 || help[0].Key != help[1].Key || help[0].Key != "checkin-dm-help:USM:2026-11-01" ||
		help[0].To != smDM || !strings.Contains(help[0].Text, "is not saved") {
		t.Errorf("help answers (one delivery key a day): %+v", help)
	}
	if n := f.count(`SELECT count(*) FROM checkin_pending_replies`) + f.count(`SELECT count(*) FROM checkin_thread_replies`); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

// Bots, Relais itself, subtypes Relais does not read, channels, threads
// that are no prompt's and people who are not the prompt's recipient
// change nothing.
func TestThreadMessagesThatChangeNothing(t *testing.T) {
	f := threadRound(t)
	long := "Une réponse assez longue pour devenir une note."
	for name, ev := range map[string]commands.Event{
		"bot":         {User: "U0BOT", BotID: "B1", Channel: smDM, ChannelType: "im", TS: "1700000002.000001", ThreadTS: smPromptTS},
		"subtype":     {User: "USM", Subtype: "channel_join", Channel: smDM, ChannelType: "im", TS: "1700000002.000002", ThreadTS: smPromptTS},
		"channel":     {User: "USM", Channel: "C0SM", ChannelType: "channel", TS: "1700000002.000003", ThreadTS: smPromptTS},
		"not prompt":  {User: "USM", Channel: smDM, ChannelType: "im", TS: "1700000002.000004", ThreadTS: "1700000000.999999"},
		"other DM":    {User: "USM", Channel: cdnDM, ChannelType: "im", TS: "1700000002.000005", ThreadTS: cdnPromptTS},
		"not the one": {User: "UCDN", Channel: smDM, ChannelType: "im", TS: "1700000002.000006", ThreadTS: smPromptTS},
		"bot edit":    {User: "U0BOT", BotID: "B1", Subtype: "message_changed", Channel: smDM, ChannelType: "im", TS: smPromptTS},
	} {
		ev.Type, ev.TeamID, ev.Text = "message", "T1", long
		f.send(ev)
		if _, _, _, ok := f.note(); ok {
			t.Fatalf("%s: wrote a note", name)
		}
	}
	if n := f.count(`SELECT count(*) FROM checkin_thread_replies`) + f.count(`SELECT count(*) FROM checkin_pending_replies`); n != 0 {
		t.Errorf("%d rows written", n)
	}
	if len(f.q.msgs) != 0 {
		t.Errorf("messages queued: %+v", f.q.msgs)
	}
}

// A note typed in the modal keeps its text: replies follow it; the modal
// then leaves them out of its fields and does not require the first answer.
// After the round closed, a first reply is kept, marked late; any other
// change is refused, in the thread.
func TestThreadRepliesBesideTheModalAndAfterClosing(t *testing.T) {
	f := threadRound(t)
	if rep := f.rt.Submit(ctx, submission("USM", f.prompt, "Typed in the form.")); rep.Errors != nil {
		t.Fatalf("submission refused: %v", rep.Errors)
	}
	f.send(reply("1700000002.000100", "Added in the thread afterwards."))
	if body, _, _, _ := f.note(); body != "Typed in the form.\n\nAdded in the thread afterwards." {
		t.Fatalf("typed then replied: %q", body)
	}
	var answers string
	if err := f.st.DB().Get(&answers, `SELECT answers::text FROM progress_notes WHERE prompt_id = $1::bigint`, f.prompt); err != nil ||
		strings.Contains(answers, "afterwards") {
		t.Errorf("a reply went into the typed answers: %s (%v)", answers, err)
	}
	// The edit modal: typed answers prefilled, the replies named, not copied.
	r := f.rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: "USM"}, ActionID: checkin.ActionEdit,
		Value: f.prompt, TriggerID: "T0", ChannelID: smDM})
	if r.OpenModal == nil {
		t.Fatalf("no modal: %+v", r)
	}
	modal, _ := json.Marshal(r.OpenModal)
	if strings.Contains(string(modal), "afterwards") || !strings.Contains(string(modal), "edit them in Slack") {
		t.Errorf("edit modal: %s", modal)
	}
	// Editing the typed part keeps the replies; the first answer may be emptied.
	if rep := f.rt.Submit(ctx, submission("USM", f.prompt, "")); rep.Errors != nil {
		t.Fatalf("an empty first answer beside thread replies refused: %v", rep.Errors)
	}
	if body, _, _, _ := f.note(); body != "Added in the thread afterwards." {
		t.Fatalf("typed part emptied: %q", body)
	}
	f.taken(commands.KindThreadReply)

	if err := f.st.ExecAsForTest(ctx, "test", `UPDATE checkin_rounds SET status = 'closed'`); err != nil {
		t.Fatal(err)
	}
	f.send(reply("1700000009.000100", "Une autre réponse, après la fermeture."))
	if body, _, _, _ := f.note(); body != "Added in the thread afterwards." {
		t.Errorf("a reply after closing changed the note: %q", body)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || !strings.Contains(c[0].Text, "This round is closed") {
		t.Errorf("closed answer: %+v", c)
	}
	// Its only reply deleted after closing: the note stays, and the person
	// is told whom to ask.
	f.send(commands.Event{TeamID: "T1", Type: "message", Subtype: "message_deleted", User: "USM", Channel: smDM,
		ChannelType: "im", TS: "1700000002.000100", ThreadTS: smPromptTS})
	if body, _, _, _ := f.note(); body != "Added in the thread afterwards." {
		t.Errorf("a deletion after closing changed the note: %q", body)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || !strings.Contains(c[0].Text, "write to the coordination team") {
		t.Errorf("answer to a deletion after closing: %+v", c)
	}
	// Côte-des-Neiges had not answered: its first reply is kept, late.
	f.send(commands.Event{TeamID: "T1", Type: "message", User: "UCDN", Channel: cdnDM, ChannelType: "im",
		Text: "Désolée du retard, voici notre nouvelle.", TS: "1700000009.000200", ThreadTS: cdnPromptTS})
	var late bool
	if err := f.st.DB().Get(&late, `SELECT n.late FROM progress_notes n JOIN checkin_recipients rc ON rc.prompt_id = n.prompt_id
		JOIN people p ON p.id = rc.person_id WHERE p.slack_user_id = 'UCDN'`); err != nil || !late {
		t.Errorf("late note: %v (%v)", late, err)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || !strings.Contains(c[0].Text, "Merci, reçu") ||
		!strings.Contains(string(c[0].Blocks), "marquée en retard") {
		t.Errorf("late confirmation: %+v", c)
	}
}

// A reply in the thread of a reminder DM counts as in the prompt's: it
// becomes the note, and Relais answers in that thread.
func TestReplyInAReminderThread(t *testing.T) {
	f := threadRound(t)
	const reminderTS = "1700000009.000900"
	if err := f.st.ExecAsForTest(ctx, "test", `INSERT INTO checkin_reminders (recipient_id, n, delivery_key, due_at,
		channel_id, message_ts, sent_at) SELECT rc.id, 1, 'reminder:test', now(), $1, $2, now()
		FROM checkin_recipients rc JOIN people p ON p.id = rc.person_id WHERE p.slack_user_id = 'USM'`,
		smDM, reminderTS); err != nil {
		t.Fatal(err)
	}
	ev := reply("1700000010.001000", "Nous avons tenu l'assemblée des locataires.")
	ev.ThreadTS = reminderTS
	f.send(ev)
	if body, _, _, ok := f.note(); !ok || body != "Nous avons tenu l'assemblée des locataires." {
		t.Fatalf("note after a reply in the reminder's thread: %q %v", body, ok)
	}
	answers := f.taken(commands.KindThreadReply)
	if len(answers) != 1 || answers[0].ThreadTS != reminderTS || answers[0].To != smDM {
		t.Errorf("confirmation %+v, want one in the reminder's thread", answers)
	}
}

// Files are not kept in a note: a reply with files is stored as text and
// says so; a message with only a file saves nothing and says so; an edit
// of a reply with files does not say it again.
func TestFilesInTheThreadAreNotKept(t *testing.T) {
	f := threadRound(t)
	withFile := reply("1700000002.000100", "Voici le compte rendu de notre assemblée.")
	withFile.Subtype, withFile.Files = "file_share", 1
	f.send(withFile)
	if body, _, _, ok := f.note(); !ok || body != "Voici le compte rendu de notre assemblée." {
		t.Fatalf("note of a reply with a file: %q (%v)", body, ok)
	}
	c := f.taken(commands.KindThreadReply)
	if len(c) != 1 || !strings.Contains(c[0].Text, "Your reply is in") || !strings.Contains(c[0].Text, "Files are not kept in the note") ||
		!strings.Contains(string(c[0].Blocks), "Files are not kept in the note") {
		t.Fatalf("confirmation of a reply with a file: %+v", c)
	}
	// Files on a plain message (no subtype) too.
	files := reply("1700000003.000100", "Et les photos de la fête de quartier.")
	files.Files = 2
	f.send(files)
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || !strings.Contains(c[0].Text, "Files are not kept") {
		t.Errorf("confirmation of a message with files: %+v", c)
	}
	// Only a file: nothing saved, and said so, in French for Côte-des-Neiges.
	only := commands.Event{TeamID: "T1", Type: "message", Subtype: "file_share", User: "UCDN", Channel: cdnDM,
		ChannelType: "im", TS: "1700000004.000100", ThreadTS: cdnPromptTS, Files: 1}
	f.send(only)
	if n := f.count(`SELECT count(*) FROM progress_notes WHERE prompt_id IS NOT NULL`); n != 1 {
		t.Errorf("%d notes, want USM's only", n)
	}
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || c[0].ThreadTS != cdnPromptTS ||
		!strings.Contains(c[0].Text, "n'a rien enregistré") {
		t.Errorf("answer to a file alone: %+v", c)
	}
	// The first reply edited: the edit is confirmed without the files again.
	edit := reply("1700000002.000100", "Voici le compte rendu de notre assemblée générale.")
	edit.Subtype, edit.Files = "message_changed", 1
	f.send(edit)
	if c := f.taken(commands.KindThreadReply); len(c) != 1 || strings.Contains(c[0].Text, "Files") {
		t.Errorf("edit confirmation: %+v", c)
	}
}

// A stranger's click on "Coordination only" is refused on their rights
// before the prompt's row is locked: it neither waits on a Table's write in
// progress nor holds one up.
func TestThreadVisibilityChecksRightsBeforeLocking(t *testing.T) {
	f := threadRound(t)
	f.send(reply("1700000002.000100", "Une bonne nouvelle pour la Table ce mois-ci."))
	// A write to USM's prompt in progress: its row is locked.
	held, err := f.st.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback() //nolint:errcheck // ends the lock
	if _, err := held.Exec(`SELECT 1 FROM checkin_prompts WHERE id = $1::bigint FOR UPDATE`, f.prompt); err != nil {
		t.Fatal(err)
	}
	clickCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r := f.rt.Action(clickCtx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: "UCDN", TeamID: "T1"},
		ChannelID: cdnDM, ActionID: commands.ActionThreadCoordinators, Value: f.prompt, MessageTS: "1700000005.000500"})
	if !strings.Contains(allText(r), "pas celui de votre Table") {
		t.Errorf("a stranger's click while the prompt is locked: %s", allText(r))
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = 'slack:UCDN'`); n != 1 {
		t.Errorf("%d refusals audited, want 1", n)
	}
}

// A question about a DM answered by its author after they stopped
// answering for the Table (moved to another organisation, or removed) is
// told so plainly, not audited as a forged click; nothing is saved.
func TestPendingReplyOfSomeoneNoLongerARespondent(t *testing.T) {
	for name, change := range map[string]string{
		"moved":   `UPDATE people SET organisation_id = 2 WHERE slack_user_id = 'USM'`,
		"removed": `UPDATE people SET active = false WHERE slack_user_id = 'USM'`,
	} {
		t.Run(name, func(t *testing.T) {
			f := threadRound(t)
			f.send(reply("1700000002.000100", "merci !"))
			ask := f.taken(commands.KindThreadReply)
			if len(ask) != 1 {
				t.Fatalf("question: %+v", ask)
			}
			id := deliveredButton(ask[0], commands.ActionPendingSave)
			if err := f.st.ExecAsForTest(ctx, "test", change); err != nil {
				t.Fatal(err)
			}
			for _, action := range []string{commands.ActionPendingSave, commands.ActionPendingDismiss} {
				r := threadClick(f.rt, "USM", action, id)
				mustContain(t, name+" "+action, r, "no longer one of this Table's respondents")
			}
			if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'refused'`); n != 0 {
				t.Errorf("%d refusals audited, want none", n)
			}
			if _, _, _, ok := f.note(); ok {
				t.Error("a note was saved")
			}
			if n := f.count(`SELECT count(*) FROM checkin_pending_replies WHERE resolved_at IS NOT NULL`); n != 0 {
				t.Errorf("%d questions settled", n)
			}
		})
	}
}
