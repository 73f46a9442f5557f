package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// Action ids of the buttons of the check-in list. Their value is a schedule's
// slug: a hint of which schedule, never proof of who may change it (the
// clicker is resolved against the directory like a command's caller).
const (
	ActionSuiviEdit   = "suivi:edit"
	ActionSuiviPause  = "suivi:pause"
	ActionSuiviResume = "suivi:resume"
	ActionSuiviRun    = "suivi:run"
)

// suiviSub is one subcommand of `suivi`, by the words that name it (folded
// with domain.MatchKey, French first).
type suiviSub struct {
	words []string
	run   func(rt *Router, ctx context.Context, r *Request, args []string) (Reply, error)
}

var suiviSubs = []suiviSub{
	{[]string{"liste", "list", "ls"}, (*Router).suiviList},
	{[]string{"créer", "create", "nouveau", "new"}, (*Router).suiviCreate},
	{[]string{"modifier", "edit"}, (*Router).suiviEdit},
	{[]string{"pause-tout", "pause-all", "pausetout", "pauseall"}, (*Router).suiviPauseAll},
	{[]string{"pause"}, (*Router).suiviPause},
	{[]string{"reprendre", "resume"}, (*Router).suiviResume},
	{[]string{"lancer", "run"}, (*Router).suiviRun},
	{[]string{"statut", "status", "état", "reponses", "answers"}, (*Router).suiviStatus},
	{[]string{"aide", "help", "?"}, (*Router).suiviHelp},
}

// suivi is the coordinators' command for check-in schedules.
func (rt *Router) suivi(ctx context.Context, r *Request) (Reply, error) {
	args := strings.Fields(r.Args)
	if len(args) == 0 {
		return rt.suiviList(ctx, r, nil)
	}
	// "pause tout …" and "pause all …", typed with a space, are pause-tout.
	if len(args) >= 2 && domain.MatchKey(args[0]) == "pause" {
		if k := domain.MatchKey(args[1]); k == "tout" || k == "all" {
			return rt.suiviPauseAll(ctx, r, args[2:])
		}
	}
	key := domain.MatchKey(args[0])
	for _, s := range suiviSubs {
		for _, w := range s.words {
			if domain.MatchKey(w) == key {
				return s.run(rt, ctx, r, args[1:])
			}
		}
	}
	return Reply{}, userError("suivi.unknown_sub", esc(args[0]), SlashCommand, r.Verb)
}

// service is the check-in service, or a UserError where there is none.
func (rt *Router) service() (*checkin.Service, error) {
	if rt.opts.Checkins == nil {
		return nil, userError("suivi.unavailable")
	}
	return rt.opts.Checkins, nil
}

// findSchedule reads the schedule the words typed name (matchSchedules: a
// slug, a slug's distinctive word, a name). Several are asked about with a
// button each (a questionError), never picked; none lists those that exist.
func (rt *Router) findSchedule(ctx context.Context, r *Request, args []string) (store.Schedule, error) {
	if len(args) == 0 {
		return store.Schedule{}, rt.unknownSchedule(ctx, r, "")
	}
	all, err := rt.store.ListSchedules(ctx)
	if err != nil {
		return store.Schedule{}, err
	}
	typed := strings.Join(args, " ")
	ms := matchSchedules(all, typed)
	switch len(ms) {
	case 0:
		return store.Schedule{}, rt.unknownSchedule(ctx, r, typed)
	case 1:
		return ms[0], nil
	}
	sub, _ := splitVerb(r.Args) // the subcommand word, as typed
	return store.Schedule{}, &questionError{whichSchedule(r, typed, ms, func(slug string) string {
		return r.Verb + " " + sub + " " + slug
	})}
}

func (rt *Router) unknownSchedule(ctx context.Context, r *Request, typed string) error {
	all, err := rt.store.ListSchedules(ctx)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return userError("suivi.none_yet", SlashCommand, r.Verb, suiviWord(r, "créer"))
	}
	slugs := make([]string, len(all))
	for i, s := range all {
		slugs[i] = "`" + esc(s.Slug) + "`"
	}
	if typed == "" {
		return userError("suivi.which", strings.Join(slugs, ", "))
	}
	return userError("suivi.unknown_slug", esc(typed), strings.Join(slugs, ", "))
}

// suiviWord is a subcommand's word in the request's language.
func suiviWord(r *Request, french string) string {
	if en, ok := suiviEnglish[french]; ok && r.Lang == domain.English {
		return en
	}
	return french
}

var suiviEnglish = map[string]string{"créer": "create", "pause-tout": "pause-all", "modifier": "edit",
	"lancer": "run", "reprendre": "resume", "liste": "list", "statut": "status"}

// suiviList shows every schedule, its next round and its latest, and the
// global pauses to come, with buttons to edit, pause, resume or run each.
func (rt *Router) suiviList(ctx context.Context, r *Request, _ []string) (Reply, error) {
	schedules, err := rt.store.ListSchedules(ctx)
	if err != nil {
		return Reply{}, err
	}
	stored, err := rt.store.ListPauses(ctx)
	if err != nil {
		return Reply{}, err
	}
	var pauses []schedule.Pause
	for _, p := range stored {
		pauses = append(pauses, schedule.Pause{From: schedule.DateOf(p.From), To: schedule.DateOf(p.To)})
	}
	latest := map[int64]store.Round{}
	var roundIDs []int64
	for _, s := range schedules {
		if rd, err := rt.store.LatestRound(ctx, s.ID); err == nil {
			latest[s.ID] = rd
			roundIDs = append(roundIDs, rd.ID)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return Reply{}, err
		}
	}
	counts := map[int64]store.PromptCounts{}
	if len(roundIDs) > 0 {
		if counts, err = rt.store.RoundCounts(ctx, roundIDs); err != nil {
			return Reply{}, err
		}
	}

	title := r.T("suivi.title", len(schedules))
	blocks := []slack.Block{header(title)}
	plain := []string{title}
	if len(schedules) == 0 {
		msg := r.T("suivi.empty", SlashCommand, r.Verb, suiviWord(r, "créer"))
		blocks = append(blocks, section(msg))
		plain = append(plain, msg)
	}
	for i, s := range schedules {
		lines := rt.scheduleLines(r, s, pauses, latest, counts)
		if i > 0 {
			blocks = append(blocks, divider())
		}
		blocks = append(blocks, section(strings.Join(lines, "\n")))
		toggle := blockkit.Button(ActionSuiviPause, r.T("suivi.button.pause"), s.Slug)
		if !s.Active {
			toggle = blockkit.Button(ActionSuiviResume, r.T("suivi.button.resume"), s.Slug)
		}
		blocks = append(blocks, blockkit.Actions("suivi:"+strconv.FormatInt(s.ID, 10),
			blockkit.Button(ActionSuiviEdit, r.T("suivi.button.edit"), s.Slug), toggle,
			blockkit.Button(ActionSuiviRun, r.T("suivi.button.run"), s.Slug)))
		plain = append(plain, lines[0])
	}
	today := schedule.DateOf(r.Now.In(rt.opts.Location))
	var pauseLines []string
	for _, p := range stored {
		if schedule.DateOf(p.To).Before(today) {
			continue
		}
		line := "• " + r.T("suivi.pause_range", dayName(r, p.From), dayName(r, p.To))
		if p.Reason != "" {
			line += " — " + esc(p.Reason)
		}
		pauseLines = append(pauseLines, line)
	}
	if len(pauseLines) > 0 {
		blocks = append(blocks, divider())
		blocks = append(blocks, sections(append([]string{"*" + r.T("suivi.pauses") + "*"}, pauseLines...))...)
		plain = append(plain, r.T("suivi.pauses"))
		plain = append(plain, pauseLines...)
	}
	blocks = append(blocks, contextBlock(r.T("suivi.footer", SlashCommand, r.Verb, suiviWord(r, "créer"))))
	return Reply{Text: strings.Join(plain, "\n"), Blocks: blocks}, nil
}

// scheduleLines describes one schedule: its first line is its name.
func (rt *Router) scheduleLines(r *Request, s store.Schedule, pauses []schedule.Pause, latest map[int64]store.Round,
	counts map[int64]store.PromptCounts) []string {
	state := r.T("suivi.active")
	if !s.Active {
		state = r.T("suivi.paused")
	}
	lines := []string{fmt.Sprintf("*%s* `%s` — %s", esc(s.Name), esc(s.Slug), state)}
	lines = append(lines, r.T("suivi.rule", ruleWords(r.Lang, s)))
	sched, err := schedule.Compile(checkin.RuleOf(s))
	switch {
	case err != nil:
		lines = append(lines, r.T("suivi.rule_broken"))
	case !s.Active:
		lines = append(lines, r.T("suivi.next_paused"))
	default:
		var last *schedule.Key
		if s.LastOccurrence != nil {
			if k, err := schedule.ParseKey(*s.LastOccurrence); err == nil {
				last = &k
			}
		}
		if next, ok := sched.NextAfterKey(r.Now, last, pauses...); ok {
			lines = append(lines, r.T("suivi.next", checkin.DateTime(r.Lang, next.At.In(sched.Location())),
				monthName(r.Lang, next.Period)))
		} else {
			lines = append(lines, r.T("suivi.next_none"))
		}
	}
	audience := r.T("suivi.audience_all")
	if !s.AudienceAll {
		audience = r.N("suivi.audience_some", len(s.Audience))
	}
	reminders := r.T("suivi.reminders_none")
	if len(s.ReminderWorkingDays) > 0 {
		reminders = r.T("suivi.reminders", joinInts(s.ReminderWorkingDays))
	}
	lines = append(lines, r.T("suivi.closing", s.CloseWorkingDays, hourWords(r.Lang, s.CloseHour, 0))+" · "+
		reminders+" · "+audience+" · "+r.N("suivi.questions", len(s.Questions)))
	rd, ok := latest[s.ID]
	if !ok {
		lines = append(lines, r.T("suivi.no_round"))
		return lines
	}
	status := r.T("suivi.round_open")
	if rd.Status != "open" {
		status = r.T("suivi.round_closed")
	}
	c := counts[rd.ID]
	lines = append(lines, r.T("suivi.latest", monthName(r.Lang, schedule.DateOf(rd.Period)),
		checkin.DateTime(r.Lang, rd.OpenedAt.In(rt.opts.Location)), status,
		c.Answered, c.NothingToReport, c.Skipped, c.Pending+c.Expired)) // no answer, as statut counts it
	return lines
}

// simpleCron is "minute hour * * *", the daily time an Nth-weekday rule
// restricts to one day of the month.
var simpleCron = regexp.MustCompile(`^(\d{1,2}) (\d{1,2}) \* \* \*$`)

// nthTime reads a stored "the Nth weekday at h:m" rule, or says it is not one.
func nthTime(s store.Schedule) (n int, wd time.Weekday, hour, minute int, ok bool) {
	m := simpleCron.FindStringSubmatch(s.CronSpec)
	if m == nil || s.NthWeekday == nil || s.Weekday == nil {
		return 0, 0, 0, 0, false
	}
	minute, _ = strconv.Atoi(m[1])
	hour, _ = strconv.Atoi(m[2])
	return *s.NthWeekday, time.Weekday(*s.Weekday), hour, minute, true
}

// ruleWords says a schedule's rule in lang: "le premier mardi du mois à 9 h",
// or for any other spec the spec as typed, with its zone.
func ruleWords(lang domain.Language, s store.Schedule) string {
	if n, wd, h, m, ok := nthTime(s); ok {
		return i18n.T(lang, "suivi.rule_nth", i18n.T(lang, "suivi.nth."+nthKey(n)),
			i18n.T(lang, "suivi.weekday."+strconv.Itoa(int(wd))), hourWords(lang, h, m), esc(s.TimeZone))
	}
	return i18n.T(lang, "suivi.rule_cron", esc(cronText(s)), esc(s.TimeZone))
}

// cronText is the spec as a person types it, with the "D#N" shorthand for
// an Nth-weekday rule.
func cronText(s store.Schedule) string {
	if s.NthWeekday == nil || s.Weekday == nil {
		return s.CronSpec
	}
	f := strings.Fields(s.CronSpec)
	if len(f) != 5 {
		return s.CronSpec
	}
	n := strconv.Itoa(*s.NthWeekday)
	if *s.NthWeekday == -1 {
		n = "L"
	}
	f[4] = strconv.Itoa(*s.Weekday) + "#" + n
	return strings.Join(f, " ")
}

func nthKey(n int) string {
	if n == -1 {
		return "last"
	}
	return strconv.Itoa(n)
}

// hourWords is a time of day: "9 h", "9 h 30"; "9:00", "17:30".
func hourWords(lang domain.Language, h, m int) string {
	if lang == domain.English {
		return fmt.Sprintf("%d:%02d", h, m)
	}
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %02d", h, m)
}

func monthName(lang domain.Language, d schedule.Date) string {
	return i18n.Month(lang, d.Year, int(d.Month))
}

func dayName(r *Request, t time.Time) string {
	return i18n.Date(r.Lang, t.Year(), int(t.Month()), t.Day())
}

func joinInts(v []int64) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ", ")
}

// suiviPause and suiviResume turn one schedule off or on.
func (rt *Router) suiviPause(ctx context.Context, r *Request, args []string) (Reply, error) {
	return rt.setPaused(ctx, r, args, true)
}

func (rt *Router) suiviResume(ctx context.Context, r *Request, args []string) (Reply, error) {
	return rt.setPaused(ctx, r, args, false)
}

func (rt *Router) setPaused(ctx context.Context, r *Request, args []string, paused bool) (Reply, error) {
	svc, err := rt.service()
	if err != nil {
		return Reply{}, err
	}
	sc, err := rt.findSchedule(ctx, r, args)
	if err != nil {
		return Reply{}, err
	}
	if err := svc.SetPaused(ctx, storeActor(r), sc.Slug, paused); err != nil {
		return Reply{}, err
	}
	key := "suivi.resumed"
	if paused {
		key = "suivi.paused_done"
	}
	return textReply(r.T(key, esc(sc.Name), esc(sc.Slug))), nil
}

// suiviRun opens a schedule's next round now.
func (rt *Router) suiviRun(ctx context.Context, r *Request, args []string) (Reply, error) {
	svc, err := rt.service()
	if err != nil {
		return Reply{}, err
	}
	sc, err := rt.findSchedule(ctx, r, args)
	if err != nil {
		return Reply{}, err
	}
	opened, err := svc.RunNow(ctx, storeActor(r), sc.Slug)
	var already *checkin.AlreadyOpenError
	switch {
	case errors.As(err, &already):
		period := already.Key
		if k, perr := schedule.ParseKey(already.Key); perr == nil {
			period = monthName(r.Lang, k.Period())
		}
		return Reply{}, userError("suivi.run.already_open", period, esc(sc.Name))
	case errors.Is(err, checkin.ErrNoNextOccurrence):
		return Reply{}, userError("suivi.run.no_next", esc(sc.Name))
	case err != nil:
		return Reply{}, err
	}
	text := r.T("suivi.run.done", monthName(r.Lang, opened.Period), esc(sc.Name),
		r.N("suivi.run.tables", opened.Prompts), r.N("suivi.run.messages", opened.Messages),
		checkin.DateTime(r.Lang, opened.ClosesAt))
	if opened.Alerts > 0 {
		text += "\n" + r.N("suivi.run.alerts", opened.Alerts)
	}
	if rt.opts.CheckinsQueueOnly && opened.Messages > 0 {
		text += "\n" + r.T("suivi.run.queue_only")
	}
	return textReply(text), nil
}

// suiviPauseAll pauses every schedule between two dates, both included.
func (rt *Router) suiviPauseAll(ctx context.Context, r *Request, args []string) (Reply, error) {
	svc, err := rt.service()
	if err != nil {
		return Reply{}, err
	}
	if len(args) < 2 {
		return Reply{}, userError("suivi.pause_all.usage", SlashCommand, r.Verb, suiviWord(r, "pause-tout"))
	}
	from, ok := parseDay(args[0])
	if !ok {
		return Reply{}, userError("suivi.pause_all.bad_date", esc(args[0]))
	}
	to, ok := parseDay(args[1])
	if !ok {
		return Reply{}, userError("suivi.pause_all.bad_date", esc(args[1]))
	}
	if from.After(to) {
		return Reply{}, userError("suivi.pause_all.reversed", esc(args[0]), esc(args[1]))
	}
	reason := strings.Join(args[2:], " ")
	if _, err := svc.PauseAll(ctx, storeActor(r), from, to, reason); err != nil {
		return Reply{}, err
	}
	text := r.T("suivi.pause_all.done", i18n.Date(r.Lang, from.Year, int(from.Month), from.Day),
		i18n.Date(r.Lang, to.Year, int(to.Month), to.Day))
	if reason != "" {
		text += " — " + esc(reason)
	}
	return textReply(text), nil
}

var isoDay = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
var frenchDay = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// parseDay reads YYYY-MM-DD or DD/MM/YYYY, refusing days that do not exist.
func parseDay(s string) (schedule.Date, bool) {
	var t time.Time
	var err error
	switch {
	case isoDay.MatchString(s):
		t, err = time.Parse(time.DateOnly, s)
	case frenchDay.MatchString(s):
		m := frenchDay.FindStringSubmatch(s)
		t, err = time.Parse("2/1/2006", m[1]+"/"+m[2]+"/"+m[3])
	default:
		return schedule.Date{}, false
	}
	if err != nil {
		return schedule.Date{}, false
	}
	return schedule.DateOf(t), true
}

// suiviButton answers a click on a list button as the subcommand word would
// answer "suivi <word> <slug>": the clicker is resolved and authorized like a
// command's caller, and the answer is theirs alone.
func (rt *Router) suiviButton(word string) func(context.Context, ActionInvocation) Reply {
	return func(ctx context.Context, act ActionInvocation) Reply {
		slug := strings.TrimSpace(act.Value)
		if slug == "" || len(slug) > 100 || strings.ContainsAny(slug, " \t\n") {
			return rt.problemReply(ctx, act.Caller, "action.unknown")
		}
		r, err := rt.newRequest(ctx, act.Caller, act.ChannelID)
		if err != nil {
			return rt.unavailableReply()
		}
		cmd, _ := rt.Lookup("suivi")
		r.Command, r.Verb, r.Args, r.TriggerID = cmd, cmd.Verb(r.Lang), word+" "+slug, act.TriggerID
		reply, err := rt.run(ctx, r)
		if err != nil {
			reply = rt.errorReply(ctx, r, err)
		}
		return privately(fit(r, reply))
	}
}
