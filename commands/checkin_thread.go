package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// A note written in the prompt's DM thread.
//
// The rule: a note is its typed part (the modal's answers), then the
// replies its respondents wrote in their prompt DMs' threads, in the order
// they were written (checkin.NoteBody). A reply adds to the note and never
// replaces typed text; editing a reply in Slack rewrites that reply;
// deleting it takes it out of the note, the rest staying; when it was the
// note's only text, the note is deleted and the check-in is unanswered
// again (someone who deletes a message that named a resident gets the text
// out of the note). After the round closed, a first reply is kept, marked
// late; any other change, a deletion too, is refused and Relais says so in
// the thread. Files are not kept: Relais says so.

// Action ids of the buttons Relais puts in a prompt's DM thread. Their
// values are hints (a prompt id, a pending reply id): the right is checked
// on the server's records of the person who clicks.
const (
	ActionThreadCoordinators = "checkin:thread:coordinators"
	ActionThreadPartnership  = "checkin:thread:partnership"
	ActionPendingSave        = "checkin:pending:save"
	ActionPendingDismiss     = "checkin:pending:dismiss"
)

// KindThreadReply is the kind of the messages Relais posts in answer to a
// DM: a confirmation, a question, a refusal.
const KindThreadReply = "checkin_thread"

// MinThreadNote is how many characters a reply needs to become a note
// without asking first: "merci !" is a thank-you, not a note.
const MinThreadNote = 20

func (rt *Router) threadButtons() []Interaction {
	return []Interaction{
		{ActionID: ActionThreadCoordinators, Run: rt.threadVisibility(domain.CoordinatorsOnly)},
		{ActionID: ActionThreadPartnership, Run: rt.threadVisibility(domain.SharedWithPartnership)},
		{ActionID: ActionPendingSave, Run: rt.pendingAnswer(true)},
		{ActionID: ActionPendingDismiss, Run: rt.pendingAnswer(false)},
	}
}

// dmMessage handles a message event: a person's DM to Relais, its edit or
// its deletion. Anything else (channels, bots, Relais itself, subtypes
// Relais does not read) is dropped unrecorded. Its effect commits with the
// record of the event (rt.once): a retried event changes nothing.
func (rt *Router) dmMessage(ctx context.Context, ev Event) (EventReply, error) {
	im := ev.ChannelType == "im" || (ev.ChannelType == "" && strings.HasPrefix(ev.Channel, "D"))
	if !im || ev.BotID != "" || ev.User == "" || ev.Channel == "" || ev.TS == "" || rt.opts.Checkins == nil {
		return EventReply{}, nil
	}
	switch ev.Subtype {
	case "", "thread_broadcast", "file_share", "message_changed", "message_deleted":
	default:
		return EventReply{}, nil
	}
	r, err := rt.newRequest(ctx, Caller{SlackUserID: ev.User, TeamID: ev.TeamID}, ev.Channel)
	if err != nil {
		return EventReply{}, err
	}
	dm := &threadDM{rt: rt, svc: rt.opts.Checkins, r: r, ev: ev, actor: eventActor(ev)}
	_, err = rt.once(ctx, ev, dm.actor, func(tx *store.Tx) error {
		dm.tx = tx
		return dm.handle(ctx)
	})
	return EventReply{}, err
}

// threadDM is one message event being handled, in its transaction.
type threadDM struct {
	rt    *Router
	svc   *checkin.Service
	r     *Request
	ev    Event
	actor store.Actor
	tx    *store.Tx
}

func (d *threadDM) inThread() bool { return d.ev.ThreadTS != "" && d.ev.ThreadTS != d.ev.TS }

func (d *threadDM) handle(ctx context.Context) error {
	switch d.ev.Subtype {
	case "message_deleted":
		return d.deleted(ctx)
	case "message_changed":
		p, err := d.tx.PromptOfReply(ctx, d.ev.Channel, d.ev.TS, d.ev.User)
		switch {
		case err == nil:
			return d.edited(ctx, p)
		case !errors.Is(err, store.ErrNoPrompt):
			return err
		case !d.inThread():
			return nil // asked about once already, or never a note
		}
		// A reply not stored (still pending, say): read as written now.
	}
	if !d.inThread() {
		return d.outsideThread(ctx)
	}
	p, err := d.tx.PromptOfThread(ctx, d.ev.Channel, d.ev.ThreadTS, d.ev.User)
	if errors.Is(err, store.ErrNoPrompt) {
		return nil // not a prompt's thread, or not this person's prompt
	}
	if err != nil {
		return err
	}
	body := d.body()
	if body == "" && !d.withFiles() {
		return nil
	}
	target, ok, err := d.target(ctx, p, "thread.closed")
	if !ok || err != nil {
		return err
	}
	if body == "" {
		return d.post(ctx, p, "files", textReply(d.r.T("thread.files.only")))
	}
	if utf8.RuneCountInString(body) < MinThreadNote {
		return d.ask(ctx, p, target, store.PendingShort, body)
	}
	if _, err := d.tx.SaveThreadReply(ctx, d.actor, p.RecipientID, d.ev.TS, body); err != nil {
		return err
	}
	if pending, err := d.tx.PendingReplyAt(ctx, p.RecipientID, d.ev.TS); err != nil {
		return err
	} else if pending != nil { // a short reply edited into a note
		if _, err := d.tx.ResolvePendingReply(ctx, d.actor, pending.ID, store.PendingSaved); err != nil {
			return err
		}
	}
	return d.saveAndConfirm(ctx, p, target, "thread.saved")
}

// body is the message's text as a note stores it.
func (d *threadDM) body() string {
	return strings.TrimSpace(checkin.DecodeSlackMarkup(d.ev.Text))
}

// withFiles is a new message that carries files, which a note does not
// keep (an edit's files were spoken of when it was new).
func (d *threadDM) withFiles() bool {
	return (d.ev.Files > 0 || d.ev.Subtype == "file_share") &&
		d.ev.Subtype != "message_changed" && d.ev.Subtype != "message_deleted"
}

// filesNote adds to msg that the message's files are not in the note.
func (d *threadDM) filesNote(msg Reply) Reply {
	if !d.withFiles() {
		return msg
	}
	note := d.r.T("thread.files.dropped")
	msg.Text += "\n" + note
	msg.Blocks = append(msg.Blocks, contextBlock(note))
	return msg
}

// target reads the prompt as the person may answer it, with its row locked
// (a modal saved meanwhile is not overwritten with what was read before
// it). ok is false when nothing may change: they are no longer one of its
// respondents, or the round closed on a written note (said in the thread,
// with closedKey).
func (d *threadDM) target(ctx context.Context, p store.ThreadPrompt, closedKey string) (store.AnswerTarget, bool, error) {
	if err := d.tx.LockPrompt(ctx, p.PromptID); err != nil {
		return store.AnswerTarget{}, false, err
	}
	target, err := d.tx.AnswerTarget(ctx, p.PromptID, d.ev.User)
	switch {
	case errors.Is(err, store.ErrNotRespondent):
		d.rt.opts.Logger.InfoContext(ctx, "DM reply by someone no longer a respondent ignored", "prompt_id", p.PromptID)
		return target, false, nil
	case err != nil:
		return target, false, err
	case !target.RoundOpen && target.Note != nil:
		return target, false, d.post(ctx, p, "closed", textReply(d.r.T(closedKey)))
	}
	return target, true, nil
}

// edited rewrites a stored reply the person edited in Slack.
func (d *threadDM) edited(ctx context.Context, p store.ThreadPrompt) error {
	body := d.body()
	if body == "" {
		return d.deleted(ctx)
	}
	target, ok, err := d.target(ctx, p, "thread.closed")
	if !ok || err != nil {
		return err
	}
	changed, err := d.tx.SaveThreadReply(ctx, d.actor, p.RecipientID, d.ev.TS, body)
	if err != nil || !changed { // an unfurl, a pin: the text is the same
		return err
	}
	return d.saveAndConfirm(ctx, p, target, "thread.updated")
}

// deleted takes a deleted reply out of the note, keeping the rest, or
// deletes the note when the reply was all of it; a question about a
// deleted message is dropped. After the round closed the note stays as it
// is: the person is told to write to the coordination team.
func (d *threadDM) deleted(ctx context.Context) error {
	p, err := d.tx.PromptOfReply(ctx, d.ev.Channel, d.ev.TS, d.ev.User)
	if errors.Is(err, store.ErrNoPrompt) {
		return d.dropPending(ctx)
	}
	if err != nil {
		return err
	}
	target, ok, err := d.target(ctx, p, "thread.deleted_closed")
	if !ok || err != nil {
		return err
	}
	if !target.RoundOpen {
		return d.post(ctx, p, "closed", textReply(d.r.T("thread.deleted_closed")))
	}
	replies, err := d.tx.ThreadReplies(ctx, p.PromptID)
	if err != nil {
		return err
	}
	typed := ""
	if target.Note != nil {
		typed = checkin.TypedBody(target.Questions, target.Note.Answers)
	}
	if strings.TrimSpace(typed) == "" && len(replies) <= 1 {
		dms, err := d.tx.WithdrawThreadNote(ctx, d.actor, p.RecipientID, d.ev.TS)
		switch {
		case err == nil:
			return d.withdrawn(ctx, p, target, dms)
		case !errors.Is(err, store.ErrNoteNotEmpty): // else written meanwhile: remove the reply only
			return err
		}
	}
	if _, err := d.tx.DeleteThreadReply(ctx, d.actor, p.RecipientID, d.ev.TS); err != nil {
		return err
	}
	return d.saveAndConfirm(ctx, p, target, "thread.removed")
}

// withdrawn follows a note deleted with its only reply: the prompt's DMs
// and the Table's App Homes stop showing it, and the thread says so.
func (d *threadDM) withdrawn(ctx context.Context, p store.ThreadPrompt, target store.AnswerTarget, dms []store.PromptDM) error {
	if len(dms) > 0 {
		if err := d.svc.Enqueuer.EnqueueTx(ctx, d.tx, checkin.PromptUpdates(dms)...); err != nil {
			return fmt.Errorf("enqueue prompt updates: %w", err)
		}
	}
	if d.svc.OnNote != nil {
		if err := d.svc.OnNote(ctx, d.tx, target.OrganisationID); err != nil {
			return err
		}
	}
	month := i18n.Month(d.r.Lang, target.Period.Year(), int(target.Period.Month()))
	return d.post(ctx, p, "withdrawn", textReply(d.r.T("thread.withdrawn", esc(target.TableName), month)))
}

// dropPending settles, as dismissed, the question about a deleted message.
func (d *threadDM) dropPending(ctx context.Context) error {
	var p store.ThreadPrompt
	var err error
	if d.inThread() {
		p, err = d.tx.PromptOfThread(ctx, d.ev.Channel, d.ev.ThreadTS, d.ev.User)
	} else {
		p, err = d.tx.OpenPromptIn(ctx, d.ev.Channel, d.ev.User)
	}
	if errors.Is(err, store.ErrNoPrompt) {
		return nil
	}
	if err != nil {
		return err
	}
	pending, err := d.tx.PendingReplyAt(ctx, p.RecipientID, d.ev.TS)
	if err != nil || pending == nil {
		return err
	}
	_, err = d.tx.ResolvePendingReply(ctx, d.actor, pending.ID, store.PendingDismissed)
	return err
}

// outsideThread is a DM beside the prompts: while one is open, Relais asks
// whether it is the month's note; otherwise it may say where notes go
// (help).
func (d *threadDM) outsideThread(ctx context.Context) error {
	if d.ev.Subtype == "message_changed" {
		return nil
	}
	body := d.body()
	if body == "" {
		return nil
	}
	p, err := d.tx.OpenPromptIn(ctx, d.ev.Channel, d.ev.User)
	if errors.Is(err, store.ErrNoPrompt) {
		return d.help(ctx)
	}
	if err != nil {
		return err
	}
	target, ok, err := d.target(ctx, p, "thread.closed")
	if !ok || err != nil {
		return err
	}
	return d.ask(ctx, p, target, store.PendingOutsideThread, body)
}

// help says where notes go, and that this DM is not saved, to someone who
// answers check-ins and writes to Relais while none of theirs is open: once
// a day at most (the delivery's key names the person and the day in
// Relais' time zone), not at every DM. Coordinators and partners, who are
// sent no check-in, are not told about them.
func (d *threadDM) help(ctx context.Context) error {
	if p := d.r.Person; p == nil || !p.Active || !p.AnswersCheckins {
		return nil
	}
	day := d.r.Now.In(d.rt.opts.Location).Format(time.DateOnly)
	msg := fit(d.r, textReply(d.r.T("thread.no_prompt")))
	return d.enqueue(ctx, delivery.Message{Key: "checkin-dm-help:" + d.ev.User + ":" + day,
		Kind: KindThreadReply, To: d.ev.Channel, Text: msg.Text, Blocks: blocksJSON(msg)})
}

// ask records a DM to ask about and asks, once per message: in the
// prompt's thread for a short reply, in the conversation for a DM outside
// it.
func (d *threadDM) ask(ctx context.Context, p store.ThreadPrompt, target store.AnswerTarget, kind, body string) error {
	id, created, err := d.tx.AddPendingReply(ctx, d.actor, p.RecipientID, kind, d.ev.TS, body)
	if err != nil || !created {
		return err
	}
	month := i18n.Month(d.r.Lang, target.Period.Year(), int(target.Period.Month()))
	var text string
	if kind == store.PendingShort {
		text = d.r.T("thread.short.ask", esc(body), esc(target.TableName), month)
	} else {
		text = d.r.T("thread.outside.ask", month, esc(target.TableName))
	}
	value := fmt.Sprint(id)
	blocks := []slack.Block{section(text)}
	if kind == store.PendingOutsideThread {
		blocks = append(blocks, section(blockkit.Truncate(quoteLines(esc(body)), blockkit.MaxSectionText)))
	}
	blocks = append(blocks, blockkit.Actions(fmt.Sprintf("checkin_pending:%d", id),
		primaryButton(blockkit.Button(ActionPendingSave, d.r.T("thread.button.save"), value)),
		blockkit.Button(ActionPendingDismiss, d.r.T("thread.button.dismiss"), value)))
	msg := fit(d.r, d.filesNote(Reply{Text: text, Blocks: blocks}))
	if kind == store.PendingShort {
		return d.post(ctx, p, fmt.Sprintf("ask:%d", id), msg)
	}
	return d.enqueue(ctx, delivery.Message{Key: fmt.Sprintf("checkin-pending:%d", id), Kind: KindThreadReply,
		To: d.ev.Channel, Text: msg.Text, Blocks: blocksJSON(msg)})
}

// saveAndConfirm writes the note again from its typed part and its replies,
// and says in the thread who will read it.
func (d *threadDM) saveAndConfirm(ctx context.Context, p store.ThreadPrompt, target store.AnswerTarget, key string) error {
	saved, vis, err := saveThreadNote(ctx, d.svc, d.tx, d.actor, d.ev.User, d.r.Lang, target)
	if err != nil {
		return err
	}
	return d.post(ctx, p, "note", d.filesNote(confirmation(d.r, key, target, vis, saved.Late)))
}

// post answers in the prompt's thread; the key is unique per message, per
// version of it (the event) and per kind of answer.
func (d *threadDM) post(ctx context.Context, p store.ThreadPrompt, what string, msg Reply) error {
	msg = fit(d.r, msg)
	return d.enqueue(ctx, delivery.Message{
		Key:  fmt.Sprintf("checkin-thread:%d:%s:%s:%s", p.RecipientID, d.ev.TS, d.ev.ID, what),
		Kind: KindThreadReply, To: p.ChannelID, ThreadTS: p.MessageTS, Text: msg.Text, Blocks: blocksJSON(msg),
	})
}

func (d *threadDM) enqueue(ctx context.Context, m delivery.Message) error {
	if err := d.svc.Enqueuer.EnqueueTx(ctx, d.tx, m); err != nil {
		return fmt.Errorf("enqueue thread answer: %w", err)
	}
	return nil
}

// saveThreadNote writes target's note again as it now is, keeping what the
// modal set (answers, themes, conditions, initiative, readers).
func saveThreadNote(ctx context.Context, svc *checkin.Service, tx *store.Tx, actor store.Actor, user string,
	lang domain.Language, target store.AnswerTarget) (store.SavedAnswer, domain.Visibility, error) {
	in := store.AnswerInput{PromptID: target.PromptID, SlackUserID: user, Answers: map[string]string{},
		Visibility: domain.SharedWithPartnership, Language: lang}
	if n := target.Note; n != nil {
		if n.Answers != nil {
			in.Answers = n.Answers
		}
		in.Body = checkin.TypedBody(target.Questions, n.Answers)
		in.Themes, in.Conditions, in.InitiativeID, in.Visibility = n.Themes, n.Conditions, n.InitiativeID, n.Visibility
		if n.Language != "" {
			in.Language = n.Language
		}
	}
	saved, err := svc.AnswerTx(ctx, tx, actor, in)
	return saved, in.Visibility, err
}

// confirmation says what became of the note, who will read it, and offers
// the other readers in one click.
func confirmation(r *Request, key string, target store.AnswerTarget, vis domain.Visibility, late bool) Reply {
	month := i18n.Month(r.Lang, target.Period.Year(), int(target.Period.Month()))
	text := r.T(key, esc(target.TableName), month)
	blocks := []slack.Block{section(text)}
	if late {
		blocks = append(blocks, contextBlock(r.T("checkin.state.late")))
	}
	return Reply{Text: text, Blocks: append(blocks, readersBlocks(r, target.PromptID, vis)...)}
}

// readersBlocks say who reads the note and offer to change it.
func readersBlocks(r *Request, promptID int64, vis domain.Visibility) []slack.Block {
	readers, action, label := "checkin.state.readers.partnership", ActionThreadCoordinators, "thread.button.coordinators"
	if vis == domain.CoordinatorsOnly {
		readers, action, label = "checkin.state.readers.coordinators", ActionThreadPartnership, "thread.button.partnership"
	}
	id := fmt.Sprint(promptID)
	return []slack.Block{contextBlock(r.T(readers)),
		blockkit.Actions("checkin_thread:"+id, blockkit.Button(action, r.T(label), id))}
}

// threadVisibility changes who reads the clicker's Table's note. The
// prompt id is a hint: the right is checked on the server's records before
// the prompt's row is locked (a stranger's click never waits on it).
func (rt *Router) threadVisibility(vis domain.Visibility) func(ctx context.Context, act ActionInvocation) Reply {
	return func(ctx context.Context, act ActionInvocation) Reply {
		c, done := rt.readClick(ctx, act, rt.refusePromptClick)
		if done != nil {
			return *done
		}
		r, id, svc := c.r, c.id, c.svc
		actor := store.SlackActor(act.Caller.SlackUserID)
		var reply Reply
		err := rt.store.InTx(ctx, actor, func(tx *store.Tx) error {
			if err := tx.LockAnswerablePrompt(ctx, id, act.Caller.SlackUserID); err != nil {
				return err
			}
			target, err := tx.AnswerTarget(ctx, id, act.Caller.SlackUserID)
			switch {
			case err != nil:
				return err
			case target.Note == nil:
				reply = textReply(r.T("thread.visibility.no_note"))
				return nil
			case !target.RoundOpen:
				reply = textReply(r.T("checkin.answer.closed_edit"))
				return nil
			case target.Note.Visibility != vis:
				target.Note.Visibility = vis
				if _, _, err := saveThreadNote(ctx, svc, tx, actor, act.Caller.SlackUserID, r.Lang, target); err != nil {
					return err
				}
			}
			text := r.T("thread.visibility."+string(vis), esc(target.TableName))
			reply = Reply{Text: text, Blocks: append([]slack.Block{section(text)}, readersBlocks(r, id, vis)...)}
			return nil
		})
		switch {
		case errors.Is(err, store.ErrNotRespondent):
			return rt.refusePrompt(ctx, r, act.Value, "button:"+act.ActionID)
		case err != nil:
			rt.opts.Logger.ErrorContext(ctx, "note readers not changed", "prompt_id", id, "err", err)
			return fit(r, textReply(r.T("checkin.answer.unavailable")))
		}
		return fit(r, reply)
	}
}

// pendingAnswer saves, or not, a DM Relais asked about. The row id is a
// hint: only the person the row names may answer, and their right to write
// the note is checked again when it is written. Someone the row names who
// no longer answers for the Table (moved, removed) is told so plainly: that
// is no forgery.
func (rt *Router) pendingAnswer(save bool) func(ctx context.Context, act ActionInvocation) Reply {
	return func(ctx context.Context, act ActionInvocation) Reply {
		c, done := rt.readClick(ctx, act, rt.refusePending)
		if done != nil {
			return *done
		}
		r, id, svc := c.r, c.id, c.svc
		actor := store.SlackActor(act.Caller.SlackUserID)
		var reply Reply
		err := rt.store.InTx(ctx, actor, func(tx *store.Tx) error {
			p, err := tx.PendingReplyFor(ctx, id, act.Caller.SlackUserID)
			if err != nil {
				return err
			}
			if p.ResolvedAt != nil {
				reply = textReply(r.T("thread.pending.done"))
				return nil
			}
			if !save {
				if _, err := tx.ResolvePendingReply(ctx, actor, id, store.PendingDismissed); err != nil {
					return err
				}
				reply = textReply(r.T("thread.pending.dismissed"))
				return nil
			}
			if err := tx.LockPrompt(ctx, p.PromptID); err != nil {
				return err
			}
			target, err := tx.AnswerTarget(ctx, p.PromptID, act.Caller.SlackUserID)
			if errors.Is(err, store.ErrNotRespondent) { // the row is theirs: their rights changed meanwhile
				return store.ErrNoLongerRespondent
			}
			if err != nil {
				return err
			}
			if !target.RoundOpen && target.Note != nil {
				reply = textReply(r.T("thread.closed"))
				return nil
			}
			if _, err := tx.ResolvePendingReply(ctx, actor, id, store.PendingSaved); err != nil {
				return err
			}
			if _, err := tx.SaveThreadReply(ctx, actor, p.RecipientID, p.MessageTS, p.Body); err != nil {
				return err
			}
			saved, vis, err := saveThreadNote(ctx, svc, tx, actor, act.Caller.SlackUserID, r.Lang, target)
			if err != nil {
				return err
			}
			reply = confirmation(r, "thread.saved", target, vis, saved.Late)
			return nil
		})
		switch {
		case errors.Is(err, store.ErrNoLongerRespondent):
			rt.opts.Logger.InfoContext(ctx, "pending reply left: its author no longer answers for the Table", "pending_id", id)
			return fit(r, textReply(r.T("thread.pending.not_respondent")))
		case errors.Is(err, store.ErrNotRespondent):
			return rt.refusePending(ctx, r, act)
		case err != nil:
			rt.opts.Logger.ErrorContext(ctx, "pending reply not settled", "pending_id", id, "err", err)
			return fit(r, textReply(r.T("checkin.answer.unavailable")))
		}
		return fit(r, reply)
	}
}

// refusePending audits a click on a pending reply that is not the
// clicker's (a forged or stale id) and tells them privately.
func (rt *Router) refusePending(ctx context.Context, r *Request, act ActionInvocation) Reply {
	id, _ := parsePromptID(act.Value)
	details := map[string]any{"via": "button:" + act.ActionID, "value": truncateRunes(act.Value, 100)}
	if err := rt.store.RecordRefused(ctx, store.SlackActor(r.Caller.SlackUserID), "checkin_pending_replies", id, details); err != nil {
		rt.opts.Logger.ErrorContext(ctx, "refusal not audited", "err", err)
	}
	rt.opts.Logger.WarnContext(ctx, "pending reply action refused: not the caller's", "user", r.Caller.SlackUserID,
		"pending_id", id)
	return fit(r, textReply(r.T("checkin.answer.forbidden")))
}

func primaryButton(b *slack.ButtonBlockElement) *slack.ButtonBlockElement {
	b.Style = slack.StylePrimary
	return b
}

// blocksJSON is a message's blocks as a delivery carries them, within
// Slack's limits.
func blocksJSON(msg Reply) json.RawMessage {
	_, blocks := blockkit.Fit(msg.Text, msg.Blocks, "…")
	raw, err := json.Marshal(blocks)
	if err != nil {
		return nil // plain text alone still says it
	}
	return raw
}
