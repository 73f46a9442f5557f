package commands

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// ViewAnswer is the callback_id of the modal in which a Table writes its
// note. Its private_metadata is the prompt id: a hint of which prompt, never
// proof of who may answer it.
const ViewAnswer = "checkin:answer"

// Block ids of the answer modal.
const (
	blockAnswerPrefix = "q" // + the question's position, from 1
	blockThemes       = "themes"
	blockConditions   = "conditions"
	blockInitiative   = "initiative"
	blockVisibility   = "visibility"
)

// MaxAnswerLength is what one answer may hold: a plain_text_input's
// ceiling, checked again on the server for payloads that did not come
// from the modal.
const MaxAnswerLength = 3000

// maxNoteOptions is how many themes or initiatives a static select lists.
const maxNoteOptions = 100

// checkinButtons declares the buttons of a prompt DM and of its updates.
// Their value is a prompt id, a hint only: whoever clicks, the right to
// answer is checked on the server's records of the prompt and the person.
func (rt *Router) checkinButtons() []Interaction {
	return []Interaction{
		{ActionID: checkin.ActionAnswer, Run: rt.openAnswer},
		{ActionID: checkin.ActionEdit, Run: rt.openAnswer},
		{ActionID: checkin.ActionNothing, Run: rt.checkinOutcome(store.PromptNothingToReport)},
		{ActionID: checkin.ActionSkip, Run: rt.checkinOutcome(store.PromptSkipped)},
	}
}

// questionBlockID is the answer modal's block of the i-th question (from
// 0): by position, so that the first is known even to a submission whose
// prompt the server will not read.
func questionBlockID(i int) string { return blockAnswerPrefix + strconv.Itoa(i+1) }

// click is a check-in button's click as its handler starts from: who
// clicks, the id its value hints at (a hint only: every right is checked
// on the server's records) and the check-in service.
type click struct {
	r   *Request
	id  int64
	svc *checkin.Service
}

// readClick reads a check-in button's click. When the click is answered
// already, the reply is returned instead: Relais is unavailable, or the
// value is no id (answered by refuse, which audits it).
func (rt *Router) readClick(ctx context.Context, act ActionInvocation,
	refuse func(ctx context.Context, r *Request, act ActionInvocation) Reply) (click, *Reply) {
	r, err := rt.newRequest(ctx, act.Caller, act.ChannelID)
	if err != nil {
		reply := rt.unavailableReply()
		return click{}, &reply
	}
	id, ok := parsePromptID(act.Value)
	if !ok {
		reply := refuse(ctx, r, act)
		return click{}, &reply
	}
	svc, err := rt.service()
	if err != nil {
		reply := fit(r, textReply(r.T("suivi.unavailable")))
		return click{}, &reply
	}
	return click{r: r, id: id, svc: svc}, nil
}

// refusePromptClick is refusePrompt for a button's click.
func (rt *Router) refusePromptClick(ctx context.Context, r *Request, act ActionInvocation) Reply {
	return rt.refusePrompt(ctx, r, act.Value, "button:"+act.ActionID)
}

// openAnswer opens the note's modal, prefilled when the Table's note is
// written (Modifier / Edit).
func (rt *Router) openAnswer(ctx context.Context, act ActionInvocation) Reply {
	c, done := rt.readClick(ctx, act, rt.refusePromptClick)
	if done != nil {
		return *done
	}
	r := c.r
	target, err := rt.store.AnswerTarget(ctx, c.id, act.Caller.SlackUserID)
	switch {
	case errors.Is(err, store.ErrNotRespondent):
		return rt.refusePrompt(ctx, r, act.Value, "button:"+act.ActionID)
	case err != nil:
		return rt.unavailableReply()
	case !target.RoundOpen && target.Note != nil:
		return fit(r, textReply(r.T("checkin.answer.closed_edit")))
	case act.TriggerID == "":
		return fit(r, textReply(r.T("suivi.modal.slack_only")))
	}
	view, err := rt.answerModal(ctx, r, target)
	if err != nil {
		return rt.unavailableReply()
	}
	return Reply{OpenModal: view}
}

// answerModal is the form of a Table's note for target's prompt.
func (rt *Router) answerModal(ctx context.Context, r *Request, target store.AnswerTarget) (*slack.ModalViewRequest, error) {
	themes, err := rt.store.ListThemes(ctx)
	if err != nil {
		return nil, err
	}
	initiatives, err := rt.store.TableInitiatives(ctx, target.OrganisationID, maxNoteOptions)
	if err != nil {
		return nil, err
	}
	replies, err := rt.store.ThreadReplies(ctx, target.PromptID)
	if err != nil {
		return nil, err
	}
	hasReplies := len(replies) > 0
	note := target.Note
	if note == nil {
		note = &store.StoredNote{Visibility: domain.SharedWithPartnership}
	}
	pt := func(s string, max int) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, truncateRunes(s, max), false, false)
	}
	option := func(value, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, pt(label, 75), nil)
	}
	input := func(blockID, label, hint string, el slack.BlockElement, optional bool) *slack.InputBlock {
		var h *slack.TextBlockObject
		if hint != "" {
			h = pt(hint, 2000)
		}
		b := slack.NewInputBlock(blockID, pt(label, 2000), h, el)
		b.Optional = optional
		return b
	}
	month := i18n.Month(r.Lang, target.Period.Year(), int(target.Period.Month()))
	blocks := []slack.Block{
		section(r.T("checkin.answer.intro", esc(target.TableName), month)),
	}
	for i, q := range target.Questions {
		label := q.FR
		if r.Lang == domain.English && q.EN != "" {
			label = q.EN
		}
		el := slack.NewPlainTextInputBlockElement(nil, inputAction)
		el.Multiline, el.MaxLength = true, MaxAnswerLength
		// Replies in the DM thread are not copied here: they follow the
		// typed answers in the note, and are edited in Slack.
		el.InitialValue = note.Answers[q.Key]
		hint := ""
		if i == 0 && !hasReplies {
			hint = r.T("checkin.answer.required_hint")
		}
		blocks = append(blocks, input(questionBlockID(i), label, hint, el, i > 0 || hasReplies))
	}
	if hasReplies {
		blocks = append(blocks, contextBlock(r.T("thread.modal.replies")))
	}
	if len(themes) > 0 {
		var opts, initial []*slack.OptionBlockObject
		chosen := setOf(note.Themes)
		for _, th := range themes[:min(len(themes), maxNoteOptions)] {
			name := th.NameFr
			if r.Lang == domain.English {
				name = th.NameEn
			}
			o := option(th.Slug, name)
			opts = append(opts, o)
			if chosen[th.Slug] {
				initial = append(initial, o)
			}
		}
		ms := slack.NewOptionsMultiSelectBlockElement(slack.OptTypeStatic, pt(r.T("checkin.answer.themes_placeholder"), 150), inputAction, opts...)
		ms.InitialOptions = initial
		blocks = append(blocks, input(blockThemes, r.T("checkin.answer.themes"), "", ms, true))
	}
	{
		var opts, initial []*slack.OptionBlockObject
		chosen := setOf(note.Conditions)
		for _, c := range domain.Conditions {
			o := option(string(c), c.Name(r.Lang))
			opts = append(opts, o)
			if chosen[string(c)] {
				initial = append(initial, o)
			}
		}
		ms := slack.NewOptionsMultiSelectBlockElement(slack.OptTypeStatic, pt(r.T("checkin.answer.conditions_placeholder"), 150), inputAction, opts...)
		ms.InitialOptions = initial
		blocks = append(blocks, input(blockConditions, r.T("checkin.answer.conditions"), r.T("checkin.answer.conditions_hint"), ms, true))
	}
	if len(initiatives) > 0 {
		var opts []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, in := range initiatives {
			o := option(strconv.FormatInt(in.ID, 10), in.Code+" · "+in.Title)
			opts = append(opts, o)
			if note.InitiativeID != nil && *note.InitiativeID == in.ID {
				initial = o
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt(r.T("checkin.answer.initiative_placeholder"), 150), inputAction, opts...)
		sel.InitialOption = initial
		blocks = append(blocks, input(blockInitiative, r.T("checkin.answer.initiative"), "", sel, true))
	}
	partnership := option(string(domain.SharedWithPartnership), r.T("checkin.answer.visibility.partnership"))
	partnership.Description = pt(r.T("checkin.answer.visibility.partnership_hint"), 75)
	coordinators := option(string(domain.CoordinatorsOnly), r.T("checkin.answer.visibility.coordinators"))
	coordinators.Description = pt(r.T("checkin.answer.visibility.coordinators_hint"), 75)
	radio := slack.NewRadioButtonsBlockElement(inputAction, partnership, coordinators)
	radio.InitialOption = partnership
	if note.Visibility == domain.CoordinatorsOnly {
		radio.InitialOption = coordinators
	}
	blocks = append(blocks,
		input(blockVisibility, r.T("checkin.answer.visibility"), "", radio, false),
		contextBlock(r.T("checkin.prompt.privacy")))
	title := r.T("checkin.answer.title")
	if target.Note != nil {
		title = r.T("checkin.answer.title_edit")
	}
	return &slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: ViewAnswer, PrivateMetadata: strconv.FormatInt(target.PromptID, 10),
		Title:  pt(title, 24),
		Submit: pt(r.T("checkin.answer.submit"), 24),
		Close:  pt(r.T("suivi.modal.cancel"), 24),
		Blocks: slack.Blocks{BlockSet: blocks},
	}, nil
}

func setOf(values []string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// submitAnswer stores the note a modal holds. The prompt comes from
// private_metadata, a hint: the right to answer it is checked on the
// server's records, in the transaction that writes. When the note cannot be
// stored, the modal stays open with the text and says why.
func (rt *Router) submitAnswer(ctx context.Context, sub ViewSubmission) SubmissionReply {
	r, err := rt.newRequest(ctx, sub.Caller, "")
	if err != nil {
		return rt.answerUnavailable(sub)
	}
	id, ok := parsePromptID(sub.PrivateMetadata)
	if !ok {
		rt.refusePrompt(ctx, r, sub.PrivateMetadata, "view")
		return errorUnder(questionBlockID(0), r.T("checkin.answer.forbidden"))
	}
	target, err := rt.store.AnswerTarget(ctx, id, sub.Caller.SlackUserID)
	switch {
	case errors.Is(err, store.ErrNotRespondent):
		rt.refusePrompt(ctx, r, sub.PrivateMetadata, "view")
		return errorUnder(questionBlockID(0), r.T("checkin.answer.forbidden"))
	case err != nil:
		return rt.answerUnavailable(sub)
	}
	replies, err := rt.store.ThreadReplies(ctx, target.PromptID)
	if err != nil {
		return rt.answerUnavailable(sub)
	}
	in, errs := readAnswer(r, sub, target, len(replies) > 0)
	if len(errs) > 0 {
		return SubmissionReply{Errors: errs}
	}
	svc, err := rt.service()
	if err != nil {
		return errorUnder(questionBlockID(0), r.T("suivi.unavailable"))
	}
	_, err = svc.Answer(ctx, store.SlackActor(sub.Caller.SlackUserID), in)
	first := questionBlockID(0)
	switch {
	case err == nil:
		return SubmissionReply{}
	case errors.Is(err, store.ErrNotRespondent):
		rt.refusePrompt(ctx, r, sub.PrivateMetadata, "view")
		return errorUnder(first, r.T("checkin.answer.forbidden"))
	case errors.Is(err, store.ErrRoundClosed):
		return errorUnder(first, r.T("checkin.answer.closed_edit"))
	case errors.Is(err, domain.ErrInvalid):
		return errorUnder(first, r.T("checkin.answer.invalid"))
	default:
		rt.opts.Logger.ErrorContext(ctx, "note not stored", "prompt_id", id, "err", err)
		return errorUnder(first, r.T("checkin.answer.unavailable"))
	}
}

// answerUnavailable keeps the modal open when Relais cannot even read who
// submits: in both languages, since it cannot read theirs either.
func (rt *Router) answerUnavailable(sub ViewSubmission) SubmissionReply {
	msg := i18n.T(domain.French, "checkin.answer.unavailable") + " / " + i18n.T(domain.English, "checkin.answer.unavailable")
	return errorUnder(questionBlockID(0), msg)
}

// readAnswer reads a submitted note against the prompt's own questions:
// answers to questions the round did not ask are ignored. An answer is
// stored under its question's key: every stored question has one (a
// schedule's questions are checked before they are written, and one
// without a key is given "q" and its position). The first answer
// is required unless the note has replies in the DM thread (hasReplies):
// they are its text already.
func readAnswer(r *Request, sub ViewSubmission, target store.AnswerTarget, hasReplies bool) (store.AnswerInput, map[string]string) {
	in := store.AnswerInput{PromptID: target.PromptID, SlackUserID: sub.Caller.SlackUserID,
		Answers: map[string]string{}, Visibility: domain.SharedWithPartnership, Language: r.Lang}
	errs := map[string]string{}
	value := func(block string) InputValue { return sub.Values[block][inputAction] }
	var parts []string
	for i, q := range target.Questions {
		block := questionBlockID(i)
		text := strings.TrimSpace(strings.ReplaceAll(value(block).Text, "\r\n", "\n"))
		switch {
		case utf8.RuneCountInString(text) > MaxAnswerLength:
			errs[block] = r.T("checkin.answer.too_long", MaxAnswerLength)
		case text == "" && i == 0 && !hasReplies:
			errs[block] = r.T("checkin.answer.required")
		case text != "":
			in.Answers[q.Key] = text
			parts = append(parts, text)
		}
	}
	in.Body = strings.Join(parts, "\n\n")
	in.Themes = value(blockThemes).Selected
	for _, c := range value(blockConditions).Selected {
		if !domain.Condition(c).Valid() {
			errs[blockConditions] = r.T("checkin.answer.invalid")
			break
		}
		in.Conditions = append(in.Conditions, c)
	}
	if sel := value(blockInitiative).Selected; len(sel) == 1 {
		if n, err := strconv.ParseInt(sel[0], 10, 64); err == nil && n > 0 {
			in.InitiativeID = &n
		} else {
			errs[blockInitiative] = r.T("checkin.answer.invalid")
		}
	}
	switch v := value(blockVisibility).Selected; {
	case len(v) == 1 && v[0] == string(domain.CoordinatorsOnly):
		in.Visibility = domain.CoordinatorsOnly
	case len(v) == 0 || v[0] == string(domain.SharedWithPartnership):
	default:
		errs[blockVisibility] = r.T("checkin.answer.invalid")
	}
	return in, errs
}

// checkinOutcome records "nothing to report" or a skip for the clicker's
// Table and answers them privately; the DMs are updated by deliveries.
func (rt *Router) checkinOutcome(outcome string) func(ctx context.Context, act ActionInvocation) Reply {
	return func(ctx context.Context, act ActionInvocation) Reply {
		c, done := rt.readClick(ctx, act, rt.refusePromptClick)
		if done != nil {
			return *done
		}
		r := c.r
		_, err := c.svc.SetOutcome(ctx, store.SlackActor(act.Caller.SlackUserID), c.id, act.Caller.SlackUserID, outcome)
		switch {
		case errors.Is(err, store.ErrNotRespondent):
			return rt.refusePrompt(ctx, r, act.Value, "button:"+act.ActionID)
		case errors.Is(err, store.ErrAlreadyAnswered):
			return fit(r, textReply(r.T("checkin.outcome.already_answered")))
		case errors.Is(err, store.ErrRoundClosed):
			return fit(r, textReply(r.T("checkin.outcome.closed")))
		case err != nil:
			return rt.unavailableReply()
		case outcome == store.PromptSkipped:
			return fit(r, textReply(r.T("checkin.outcome.skipped")))
		default:
			return fit(r, textReply(r.T("checkin.outcome.nothing")))
		}
	}
}

// parsePromptID reads a prompt id a client sent back.
func parsePromptID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

// refusePrompt audits an attempt to act on a prompt that is not the
// caller's Table's (a forged or stale value) and tells them privately.
func (rt *Router) refusePrompt(ctx context.Context, r *Request, value, via string) Reply {
	id, _ := parsePromptID(value)
	details := map[string]any{"via": via, "value": truncateRunes(value, 100)}
	if err := rt.store.RecordRefused(ctx, store.SlackActor(r.Caller.SlackUserID), "checkin_prompts", id, details); err != nil {
		rt.opts.Logger.ErrorContext(ctx, "refusal not audited", "err", err)
	}
	rt.opts.Logger.WarnContext(ctx, "check-in action refused: not the caller's Table", "user", r.Caller.SlackUserID,
		"prompt_id", id, "via", via)
	return fit(r, textReply(r.T("checkin.answer.forbidden")))
}
