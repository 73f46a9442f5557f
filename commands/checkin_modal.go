package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// ViewSchedule is the callback_id of the modal that creates or edits a
// check-in schedule. Its private_metadata is "edit:<slug>" when editing,
// empty when creating: a hint of which schedule, never proof of a right.
const ViewSchedule = "suivi:schedule"

// Block ids of the schedule modal; an InvalidError's Field names one of them.
const (
	blockName      = "name"
	blockNth       = "nth"
	blockWeekday   = "weekday"
	blockTime      = "time"
	blockCron      = "cron"
	blockAudience  = "audience"
	blockReminders = "reminders"
	blockCloseDays = "close_days"
	blockCloseHour = "close_hour"
	// inputAction is the action_id of every input of the modal.
	inputAction = "v"
	editPrefix  = "edit:"
)

// MaxAudienceOptions is what a static select holds: the modal lists at most
// that many Tables and says so when there are more.
const MaxAudienceOptions = 100

func questionBlock(i int, english bool) string {
	if english {
		return fmt.Sprintf("q%d_en", i+1)
	}
	return fmt.Sprintf("q%d_fr", i+1)
}

// scheduleForm is what the modal shows and what a submission holds.
type scheduleForm struct {
	Name         string
	Nth          int
	Weekday      time.Weekday
	Hour, Minute int
	Cron         string
	// Questions has one entry per slot (MaxQuestions), empty ones included;
	// typedEN marks the English a person typed (not the French fallback).
	Questions []store.Question
	typedEN   []bool
	Audience  []int64
	Reminders string
	CloseDays string
	CloseHour int
}

// newForm is a new schedule's form: the first Tuesday at 9:00, the default
// questions, every Table, reminders after 2 and 5 working days, closing after
// 10 at 17:00.
func newForm() scheduleForm {
	f := scheduleForm{Nth: 1, Weekday: time.Tuesday, Hour: 9, Reminders: joinInts(int64s(checkin.DefaultReminderWorkingDays)),
		CloseDays: strconv.Itoa(checkin.DefaultCloseWorkingDays), CloseHour: checkin.DefaultCloseHour}
	f.Questions = slots(checkin.DefaultQuestions)
	return f
}

// formOf is a stored schedule's form.
func formOf(s store.Schedule) scheduleForm {
	f := scheduleForm{Name: s.Name, Nth: 1, Weekday: time.Tuesday, Hour: 9, Questions: slots(s.Questions),
		Audience: s.Audience, Reminders: joinInts(s.ReminderWorkingDays), CloseDays: strconv.Itoa(s.CloseWorkingDays),
		CloseHour: s.CloseHour}
	if n, wd, h, m, ok := nthTime(s); ok {
		f.Nth, f.Weekday, f.Hour, f.Minute = n, wd, h, m
	} else {
		f.Cron = cronText(s)
	}
	if s.AudienceAll {
		f.Audience = nil
	}
	return f
}

func slots(qs store.Questions) []store.Question {
	out := make([]store.Question, checkin.MaxQuestions)
	copy(out, qs)
	return out
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, n := range v {
		out[i] = int64(n)
	}
	return out
}

// scheduleModal is the form to create (slug "") or edit a schedule.
func (rt *Router) scheduleModal(ctx context.Context, r *Request, f scheduleForm, slug string) (*slack.ModalViewRequest, error) {
	tables, more, err := rt.audienceTables(ctx, f.Audience)
	if err != nil {
		return nil, err
	}
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, truncateRunes(s, 150), false, false)
	}
	option := func(value, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, pt(truncateRunes(label, 75)), nil)
	}
	input := func(blockID, label, hint string, el slack.BlockElement, optional bool) *slack.InputBlock {
		var h *slack.TextBlockObject
		if hint != "" {
			h = pt(hint)
		}
		b := slack.NewInputBlock(blockID, pt(label), h, el)
		b.Optional = optional
		return b
	}
	text := func(initial string, max int, placeholder string) *slack.PlainTextInputBlockElement {
		var ph *slack.TextBlockObject
		if placeholder != "" {
			ph = pt(placeholder)
		}
		e := slack.NewPlainTextInputBlockElement(ph, inputAction)
		e.InitialValue, e.MaxLength = initial, max
		return e
	}

	var nthOpts []*slack.OptionBlockObject
	var nthInitial *slack.OptionBlockObject
	for _, n := range []int{1, 2, 3, 4, -1} {
		o := option(strconv.Itoa(n), r.T("suivi.modal.nth."+nthKey(n)))
		nthOpts = append(nthOpts, o)
		if n == f.Nth {
			nthInitial = o
		}
	}
	nth := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, inputAction, nthOpts...)
	nth.InitialOption = nthInitial
	var dayOpts []*slack.OptionBlockObject
	var dayInitial *slack.OptionBlockObject
	for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
		o := option(strconv.Itoa(d), r.T("suivi.weekday."+strconv.Itoa(d)))
		dayOpts = append(dayOpts, o)
		if time.Weekday(d) == f.Weekday {
			dayInitial = o
		}
	}
	day := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, inputAction, dayOpts...)
	day.InitialOption = dayInitial
	at := slack.NewTimePickerBlockElement(inputAction)
	at.InitialTime = fmt.Sprintf("%02d:%02d", f.Hour, f.Minute)

	blocks := []slack.Block{
		input(blockName, r.T("suivi.modal.name"), "", text(f.Name, checkin.MaxNameLength, r.T("suivi.modal.name_placeholder")), false),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, r.T("suivi.modal.when"), false, false), nil, nil),
		input(blockNth, r.T("suivi.modal.nth"), "", nth, false),
		input(blockWeekday, r.T("suivi.modal.weekday"), "", day, false),
		input(blockTime, r.T("suivi.modal.time"), "", at, false),
		input(blockCron, r.T("suivi.modal.cron"), r.T("suivi.modal.cron_hint", rt.opts.Location.String()),
			text(f.Cron, schedule.MaxSpecLength, "0 9 * * 2#1"), true),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, r.T("suivi.modal.questions"), false, false), nil, nil),
	}
	for i, q := range f.Questions {
		blocks = append(blocks,
			input(questionBlock(i, false), r.T("suivi.modal.question_fr", i+1), "", text(q.FR, checkin.MaxQuestionLength, ""), i > 0),
			input(questionBlock(i, true), r.T("suivi.modal.question_en", i+1), "", text(q.EN, checkin.MaxQuestionLength, ""), true))
	}
	if len(tables) > 0 {
		var opts, initial []*slack.OptionBlockObject
		chosen := map[int64]bool{}
		for _, id := range f.Audience {
			chosen[id] = true
		}
		for _, t := range tables {
			o := option(strconv.FormatInt(t.ID, 10), t.Name)
			opts = append(opts, o)
			if chosen[t.ID] {
				initial = append(initial, o)
			}
		}
		ms := slack.NewOptionsMultiSelectBlockElement(slack.OptTypeStatic, pt(r.T("suivi.modal.audience_placeholder")), inputAction, opts...)
		ms.InitialOptions = initial
		hint := r.T("suivi.modal.audience_hint")
		if more {
			hint = r.T("suivi.modal.audience_more", MaxAudienceOptions)
		}
		blocks = append(blocks, input(blockAudience, r.T("suivi.modal.audience"), hint, ms, true))
	}
	var hourOpts []*slack.OptionBlockObject
	var hourInitial *slack.OptionBlockObject
	for h := 0; h < 24; h++ {
		o := option(strconv.Itoa(h), hourWords(r.Lang, h, 0))
		hourOpts = append(hourOpts, o)
		if h == f.CloseHour {
			hourInitial = o
		}
	}
	closeHour := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, inputAction, hourOpts...)
	closeHour.InitialOption = hourInitial
	blocks = append(blocks,
		input(blockReminders, r.T("suivi.modal.reminders"), r.T("suivi.modal.reminders_hint"), text(f.Reminders, 40, "2, 5"), true),
		input(blockCloseDays, r.T("suivi.modal.close_days"), r.T("suivi.modal.close_days_hint", schedule.MaxWorkingDays),
			text(f.CloseDays, 4, "10"), false),
		input(blockCloseHour, r.T("suivi.modal.close_hour"), "", closeHour, false),
	)
	title := r.T("suivi.modal.title_new")
	meta := ""
	if slug != "" {
		title, meta = r.T("suivi.modal.title_edit"), editPrefix+slug
	}
	return &slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: ViewSchedule, PrivateMetadata: meta,
		Title:  pt(truncateRunes(title, 24)),
		Submit: pt(truncateRunes(r.T("suivi.modal.submit"), 24)),
		Close:  pt(truncateRunes(r.T("suivi.modal.cancel"), 24)),
		Blocks: slack.Blocks{BlockSet: blocks},
	}, nil
}

// audienceTables lists the Tables a schedule may ask, the chosen ones first,
// at most MaxAudienceOptions; more reports that some were left out.
func (rt *Router) audienceTables(ctx context.Context, chosen []int64) (tables []domain.Organisation, more bool, err error) {
	seen := map[int64]bool{}
	for _, id := range chosen {
		o, err := rt.store.OrganisationByID(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, false, err
		}
		if len(tables) < MaxAudienceOptions && !seen[o.ID] {
			tables, seen[o.ID] = append(tables, o), true
		}
	}
	qs, err := rt.store.ListQuartiers(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, q := range qs {
		t, err := rt.store.TableOfQuartier(ctx, q.ID)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, false, err
		}
		if seen[t.ID] {
			continue
		}
		if len(tables) == MaxAudienceOptions {
			return tables, true, nil
		}
		tables, seen[t.ID] = append(tables, t), true
	}
	return tables, false, nil
}

// suiviCreate opens the modal for a new schedule.
func (rt *Router) suiviCreate(ctx context.Context, r *Request, _ []string) (Reply, error) {
	if _, err := rt.service(); err != nil {
		return Reply{}, err
	}
	if r.TriggerID == "" {
		return textReply(r.T("suivi.modal.slack_only")), nil
	}
	view, err := rt.scheduleModal(ctx, r, newForm(), "")
	if err != nil {
		return Reply{}, err
	}
	return Reply{OpenModal: view}, nil
}

// suiviEdit opens the modal prefilled with a schedule.
func (rt *Router) suiviEdit(ctx context.Context, r *Request, args []string) (Reply, error) {
	if _, err := rt.service(); err != nil {
		return Reply{}, err
	}
	sc, err := rt.findSchedule(ctx, r, args)
	if err != nil {
		return Reply{}, err
	}
	if r.TriggerID == "" {
		return textReply(r.T("suivi.modal.slack_only")), nil
	}
	view, err := rt.scheduleModal(ctx, r, formOf(sc), sc.Slug)
	if err != nil {
		return Reply{}, err
	}
	return Reply{OpenModal: view}, nil
}

// submitSchedule creates or updates the schedule a modal describes. Who
// submits is resolved against the directory, as a command's caller is: only
// a coordinator writes, whatever the view says; the edited schedule is read
// again by the slug private_metadata names.
func (rt *Router) submitSchedule(ctx context.Context, sub ViewSubmission) SubmissionReply {
	r, err := rt.newRequest(ctx, sub.Caller, "")
	if err == nil {
		err = rt.confirmRole(ctx, r) // a write: the directory's word, not the cache's
	}
	if err != nil {
		return errorUnder(blockName, i18n.T(domain.French, "error.database")+" / "+i18n.T(domain.English, "error.database"))
	}
	if r.Role != domain.RoleCoordinator {
		rt.opts.Logger.WarnContext(ctx, "schedule submission refused", "user", sub.Caller.SlackUserID, "role", r.Role)
		return errorUnder(blockName, r.T("suivi.modal.forbidden"))
	}
	svc, err := rt.service()
	if err != nil {
		return errorUnder(blockName, r.T("suivi.unavailable"))
	}
	slug, editing := strings.CutPrefix(sub.PrivateMetadata, editPrefix)
	var cur store.Schedule
	if editing {
		if cur, err = rt.store.ScheduleBySlug(ctx, slug); err != nil {
			return rt.submitError(ctx, r, nil, err, slug)
		}
	}
	f, formErrs := readForm(r, sub.Values, cur.Questions)
	if len(formErrs) > 0 {
		return SubmissionReply{Errors: formErrs}
	}
	spec := f.spec()
	actor := storeActor(r)
	if editing {
		spec.TimeZone, spec.Paused = cur.TimeZone, !cur.Active
		_, err = svc.UpdateSchedule(ctx, actor, cur.Slug, spec)
	} else {
		spec.TimeZone = rt.opts.Location.String()
		_, err = svc.CreateSchedule(ctx, actor, spec)
	}
	if err != nil {
		return rt.submitError(ctx, r, &f, err, slug)
	}
	rt.opts.Logger.InfoContext(ctx, "schedule saved", "user", sub.Caller.SlackUserID, "edit", editing, "slug", slug)
	return SubmissionReply{}
}

func errorUnder(blockID, msg string) SubmissionReply {
	return SubmissionReply{Errors: map[string]string{blockID: msg}}
}

// submitError shows what refused a submission under the block at fault.
func (rt *Router) submitError(ctx context.Context, r *Request, f *scheduleForm, err error, slug string) SubmissionReply {
	var inv *checkin.InvalidError
	switch {
	case errors.As(err, &inv) && f != nil:
		return errorUnder(f.blockFor(inv), r.T(inv.MessageKey(), inv.Value))
	case errors.Is(err, domain.ErrNotFound):
		return errorUnder(blockName, r.T("suivi.modal.gone", slug))
	case errors.Is(err, domain.ErrConflict):
		return errorUnder(blockName, r.T("suivi.modal.slug_taken", domain.Slugify(f.Name)))
	case errors.Is(err, domain.ErrInvalid) && f != nil && len(f.Audience) > 0:
		return errorUnder(blockAudience, r.T("suivi.modal.bad_audience"))
	case store.IsUnavailable(err):
		return errorUnder(blockName, r.T("error.database"))
	}
	rt.opts.Logger.ErrorContext(ctx, "schedule submission failed", "user", r.Caller.SlackUserID, "err", err)
	return errorUnder(blockName, r.T("error.internal"))
}

// blockFor is the block an InvalidError is about.
func (f scheduleForm) blockFor(e *checkin.InvalidError) string {
	switch e.Field {
	case checkin.FieldName, checkin.FieldSlug:
		return blockName
	case checkin.FieldQuestions:
		return f.questionBlockFor(e.Value)
	case checkin.FieldReminders:
		return blockReminders
	case schedule.FieldWorkingDays:
		return blockCloseDays
	case schedule.FieldClosing:
		return blockCloseHour
	case schedule.FieldNthWeekday:
		if f.Cron == "" {
			return blockNth
		}
	}
	if f.Cron != "" {
		return blockCron
	}
	return blockTime
}

// questionBlockFor finds the question an error's value names: its key, or
// its (possibly cut) text.
func (f scheduleForm) questionBlockFor(value string) string {
	prefix := strings.TrimSuffix(value, "…")
	for i, q := range f.Questions {
		if q.FR == "" && q.EN == "" {
			continue
		}
		switch {
		case q.Key == value:
			return questionBlock(i, false)
		case prefix != "" && strings.HasPrefix(q.FR, prefix):
			return questionBlock(i, false)
		case prefix != "" && f.typedEN[i] && strings.HasPrefix(q.EN, prefix):
			return questionBlock(i, true)
		}
	}
	return questionBlock(0, false)
}

// spec is the ScheduleSpec a form describes: the advanced spec when typed,
// else the Nth weekday at the time chosen.
func (f scheduleForm) spec() checkin.ScheduleSpec {
	s := checkin.ScheduleSpec{Name: f.Name, Audience: f.Audience}
	if f.Cron != "" {
		s.Cron = f.Cron
	} else {
		s.Cron = fmt.Sprintf("%d %d * * *", f.Minute, f.Hour)
		s.NthWeekday, s.Weekday = f.Nth, f.Weekday
	}
	s.Questions = store.Questions{}
	for _, q := range f.Questions {
		if q.FR != "" || q.EN != "" {
			s.Questions = append(s.Questions, q)
		}
	}
	s.ReminderWorkingDays = []int{}
	for _, w := range splitNumbers(f.Reminders) {
		n, _ := strconv.Atoi(w) // readForm checked
		s.ReminderWorkingDays = append(s.ReminderWorkingDays, n)
	}
	s.CloseWorkingDays, _ = strconv.Atoi(strings.TrimSpace(f.CloseDays))
	hour := f.CloseHour
	s.CloseHour = &hour
	return s
}

func splitNumbers(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
}

// readForm reads a submission. What only the form can tell (a number that is
// not one) is reported here, by block; the rest is the service's to check.
// existing are the edited schedule's questions, whose keys stay by position.
func readForm(r *Request, values map[string]map[string]InputValue, existing store.Questions) (scheduleForm, map[string]string) {
	get := func(block string) InputValue { return values[block][inputAction] }
	one := func(block string) string {
		if v := get(block); len(v.Selected) > 0 {
			return v.Selected[0]
		}
		return ""
	}
	errs := map[string]string{}
	f := scheduleForm{Name: strings.TrimSpace(get(blockName).Text), Cron: strings.TrimSpace(get(blockCron).Text),
		Reminders: get(blockReminders).Text, CloseDays: strings.TrimSpace(get(blockCloseDays).Text), CloseHour: checkin.DefaultCloseHour,
		Nth: 1, Weekday: time.Tuesday, Hour: 9}
	if v := one(blockNth); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			f.Nth = n
		}
	}
	if v := one(blockWeekday); v != "" {
		if d, err := strconv.Atoi(v); err == nil && d >= 0 && d <= 6 {
			f.Weekday = time.Weekday(d)
		}
	}
	if v := strings.TrimSpace(get(blockTime).Text); v != "" {
		t, err := time.Parse("15:04", v)
		if err != nil {
			errs[blockTime] = r.T("suivi.modal.bad_time", v)
		}
		f.Hour, f.Minute = t.Hour(), t.Minute()
	}
	if v := one(blockCloseHour); v != "" {
		if h, err := strconv.Atoi(v); err == nil {
			f.CloseHour = h
		}
	}
	keys := map[string]bool{}
	for _, q := range existing {
		keys[q.Key] = true
	}
	f.Questions = make([]store.Question, checkin.MaxQuestions)
	f.typedEN = make([]bool, checkin.MaxQuestions)
	for i := range f.Questions {
		q := store.Question{FR: strings.TrimSpace(get(questionBlock(i, false)).Text), EN: strings.TrimSpace(get(questionBlock(i, true)).Text)}
		f.typedEN[i] = q.EN != ""
		if q.EN == "" {
			q.EN = q.FR // English falls back to French
		}
		switch {
		case i < len(existing):
			q.Key = existing[i].Key
		case existing == nil && i < len(checkin.DefaultQuestions):
			q.Key = checkin.DefaultQuestions[i].Key
		default:
			q.Key = fmt.Sprintf("q%d", i+1)
			for n := 2; keys[q.Key]; n++ {
				q.Key = fmt.Sprintf("q%d-%d", i+1, n)
			}
		}
		keys[q.Key] = true
		f.Questions[i] = q
	}
	for _, v := range get(blockAudience).Selected {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			errs[blockAudience] = r.T("suivi.modal.bad_audience")
			break
		}
		f.Audience = append(f.Audience, id)
	}
	for _, w := range splitNumbers(f.Reminders) {
		if _, err := strconv.Atoi(w); err != nil {
			errs[blockReminders] = r.T("suivi.modal.bad_number", w)
			break
		}
	}
	if n, err := strconv.Atoi(f.CloseDays); err != nil {
		errs[blockCloseDays] = r.T("suivi.modal.bad_number", f.CloseDays)
	} else if n < 1 {
		// The service would read 0 as "the default".
		errs[blockCloseDays] = r.T("checkin.invalid.working_days_out_of_range", f.CloseDays)
	}
	return f, errs
}
