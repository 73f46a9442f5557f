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

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

const (
	// statusHistory is how many earlier rounds of the same schedule the
	// status shows.
	statusHistory = 6
	// statusRoundsSearched is how many rounds of each schedule a month or
	// an id is looked for in: years of monthly rounds.
	statusRoundsSearched = 240
	// The room for each list of Table names, in characters: with 1,000
	// Tables the lists are cut with "and N more", within Slack's limits.
	silentNamesRoom = 2400
	otherNamesRoom  = 1200
)

// suiviStatus answers `suivi statut [tour]`: a round's answers per Table,
// who has not answered, and the schedule's earlier rounds. The round is
// the current one (the latest opened, open ones first), or the one typed: a
// schedule's slug, a month asked about, a round id, or a slug and a month.
func (rt *Router) suiviStatus(ctx context.Context, r *Request, args []string) (Reply, error) {
	schedules, err := rt.store.ListSchedules(ctx)
	if err != nil {
		return Reply{}, err
	}
	if len(schedules) == 0 {
		return Reply{}, userError("suivi.none_yet", SlashCommand, r.Verb, suiviWord(r, "créer"))
	}
	if len(args) == 0 {
		return rt.currentStatus(ctx, r, schedules)
	}
	sel, err := rt.statusSelector(r, args, schedules)
	if err != nil {
		return Reply{}, err
	}
	var found []store.Round
	names := map[int64]store.Schedule{}
	for _, s := range schedules {
		names[s.ID] = s
		if sel.schedule != nil && sel.schedule.ID != s.ID {
			continue
		}
		limit := statusRoundsSearched
		if sel.schedule != nil && sel.month == 0 && sel.roundID == 0 {
			limit = 1
		}
		rounds, err := rt.store.RoundsOf(ctx, s.ID, limit)
		if err != nil {
			return Reply{}, err
		}
		for _, rd := range rounds {
			if sel.matches(rd) {
				found = append(found, rd)
			}
		}
	}
	if sel.roundID != 0 && len(found) == 0 {
		// Older than the rounds searched, or of a schedule not named.
		rd, err := rt.store.RoundByID(ctx, sel.roundID)
		switch {
		case err == nil && (sel.schedule == nil || sel.schedule.ID == rd.ScheduleID):
			found = append(found, rd)
		case err != nil && !errors.Is(err, domain.ErrNotFound):
			return Reply{}, err
		}
	}
	switch len(found) {
	case 0:
		return Reply{}, rt.noSuchRound(ctx, r, strings.Join(args, " "), schedules)
	case 1:
		return rt.roundStatusReply(ctx, r, names[found[0].ScheduleID], found[0], nil)
	}
	var cs []choice
	for _, rd := range found {
		cs = append(cs, choice{label: rt.roundLabel(r, names[rd.ScheduleID], rd),
			text: fmt.Sprintf("%s %s %d", r.Verb, suiviWord(r, "statut"), rd.ID)})
	}
	return askChoice(r, r.N("status.which", len(found), esc(strings.Join(args, " "))), cs), nil
}

// currentStatus shows the current round: the latest opened among the open
// ones, else the latest closed; other schedules' rounds get a button each.
func (rt *Router) currentStatus(ctx context.Context, r *Request, schedules []store.Schedule) (Reply, error) {
	var best *store.Round
	var bestSchedule store.Schedule
	var others []store.Schedule
	for _, s := range schedules {
		rd, err := rt.store.LatestRound(ctx, s.ID)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return Reply{}, err
		}
		if best == nil || roundBefore(*best, rd) {
			if best != nil {
				others = append(others, bestSchedule)
			}
			best, bestSchedule = &rd, s
		} else {
			others = append(others, s)
		}
	}
	if best == nil {
		return Reply{}, userError("status.no_round", SlashCommand, r.Verb, suiviWord(r, "lancer"), esc(schedules[0].Slug))
	}
	return rt.roundStatusReply(ctx, r, bestSchedule, *best, others)
}

// roundBefore says a comes before b as "the current round": an open round
// beats a closed one, then the later opened wins.
func roundBefore(a, b store.Round) bool {
	if (a.Status == "open") != (b.Status == "open") {
		return b.Status == "open"
	}
	return a.OpenedAt.Before(b.OpenedAt) || (a.OpenedAt.Equal(b.OpenedAt) && a.ID < b.ID)
}

// roundLabel names a round for a button: "Suivi mensuel — octobre 2026
// (ouvert le 3 novembre 2026)".
func (rt *Router) roundLabel(r *Request, s store.Schedule, rd store.Round) string {
	opened := rd.OpenedAt.In(rt.opts.Location)
	return r.T("status.round_label", s.Name, monthName(r.Lang, schedule.DateOf(rd.Period)), dateWords(r.Lang, opened))
}

// statusSelector reads `suivi statut …`'s words: those that name a round
// (a month, a year, a round's number) and the others, which name a schedule
// as matchSchedules reads them. Several schedules are asked about with
// buttons (a questionError); none is a message listing them.
func (rt *Router) statusSelector(r *Request, args []string, schedules []store.Schedule) (roundSelector, error) {
	var named, roundWords []string
	if ms := matchSchedules(schedules, strings.Join(args, " ")); len(ms) == 1 && exactSchedule(ms[0], args) {
		named = args // a whole name, digits and all
	} else {
		for _, a := range args {
			if isRoundWord(a) {
				roundWords = append(roundWords, a)
			} else {
				named = append(named, a)
			}
		}
	}
	var sched *store.Schedule
	if len(named) > 0 {
		typed := strings.Join(named, " ")
		ms := matchSchedules(schedules, typed)
		switch len(ms) {
		case 0:
			return roundSelector{}, userError("status.unknown_schedule", esc(typed), scheduleList(schedules),
				SlashCommand, r.Verb, suiviWord(r, "statut"))
		case 1:
			sched = &ms[0]
		default:
			rest := strings.Join(roundWords, " ")
			return roundSelector{}, &questionError{whichSchedule(r, typed, ms, func(slug string) string {
				return strings.TrimSpace(fmt.Sprintf("%s %s %s %s", r.Verb, suiviWord(r, "statut"), slug, rest))
			})}
		}
	}
	if len(roundWords) == 0 {
		if sched == nil {
			return roundSelector{}, statusUsage(r, errNoSelector)
		}
		return roundSelector{schedule: sched}, nil
	}
	sel, err := readRoundSelector(roundWords, nil)
	if err != nil {
		return sel, statusUsage(r, err)
	}
	sel.schedule = sched
	return sel, nil
}

func exactSchedule(s store.Schedule, args []string) bool {
	key := domain.MatchKey(strings.Join(args, " "))
	return key == domain.MatchKey(s.Slug) || key == domain.MatchKey(s.Name)
}

// isRoundWord says a word names a round rather than a schedule: a month,
// a year, a round's number, "tour".
func isRoundWord(a string) bool {
	if isoMonth.MatchString(a) || slashMonth.MatchString(a) {
		return true
	}
	w := domain.MatchKey(a)
	_, month := monthWords[w]
	return month || w == "tour" || w == "round" || yearWord.MatchString(w) || roundIDWord.MatchString(w)
}

// roundSelector is what `suivi statut …` was given to find a round.
type roundSelector struct {
	schedule *store.Schedule
	roundID  int64
	year     int // 0: any year
	month    time.Month
}

func (s roundSelector) matches(rd store.Round) bool {
	switch {
	case s.roundID != 0:
		return rd.ID == s.roundID
	case s.month != 0:
		p := schedule.DateOf(rd.Period)
		return p.Month == s.month && (s.year == 0 || p.Year == s.year)
	}
	return true // the schedule alone: its latest round (RoundsOf, limit 1)
}

var (
	roundIDWord = regexp.MustCompile(`^#?(\d{1,12})$`)
	isoMonth    = regexp.MustCompile(`^(\d{4})-(\d{1,2})$`)
	slashMonth  = regexp.MustCompile(`^(\d{1,2})/(\d{4})$`)
)

// errNoSelector says the words name no round.
var errNoSelector = errors.New("not a round")

// readRoundSelector reads a schedule's slug, a month ("2026-11", "11/2026",
// "novembre 2026", "nov"), a round id ("12", "#12"), or a slug with a month
// or an id, in any order.
func readRoundSelector(args []string, schedules []store.Schedule) (roundSelector, error) {
	var sel roundSelector
	var rest []string
	for _, a := range args {
		matched := false
		for i, s := range schedules {
			if sel.schedule == nil && strings.EqualFold(a, s.Slug) {
				sel.schedule, matched = &schedules[i], true
				break
			}
		}
		if !matched {
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 {
		if sel.schedule == nil {
			return sel, errNoSelector
		}
		return sel, nil
	}
	text := strings.Join(rest, " ")
	if m := isoMonth.FindStringSubmatch(text); m != nil {
		return sel.withMonth(m[1], m[2])
	}
	if m := slashMonth.FindStringSubmatch(text); m != nil {
		return sel.withMonth(m[2], m[1])
	}
	words := strings.Fields(domain.MatchKey(text))
	for _, w := range words {
		if w == "tour" || w == "round" {
			continue
		}
		if m, ok := monthWords[w]; ok && sel.month == 0 {
			sel.month = m
			continue
		}
		if yearWord.MatchString(w) && sel.year == 0 && len(words) > 1 {
			sel.year, _ = strconv.Atoi(w)
			continue
		}
		if m := roundIDWord.FindStringSubmatch(w); m != nil && sel.roundID == 0 {
			sel.roundID, _ = strconv.ParseInt(m[1], 10, 64)
			continue
		}
		return sel, errNoSelector
	}
	if (sel.roundID == 0 && sel.month == 0) || (sel.roundID != 0 && (sel.month != 0 || sel.year != 0)) {
		return sel, errNoSelector
	}
	return sel, nil
}

func (s roundSelector) withMonth(year, month string) (roundSelector, error) {
	y, _ := strconv.Atoi(year)
	m, _ := strconv.Atoi(month)
	if m < 1 || m > 12 {
		return s, errNoSelector
	}
	s.year, s.month = y, time.Month(m)
	return s, nil
}

func statusUsage(r *Request, _ error) error {
	return userError("status.usage", SlashCommand, r.Verb, suiviWord(r, "statut"))
}

// noSuchRound says no round matches, with the latest ones to pick from.
func (rt *Router) noSuchRound(ctx context.Context, r *Request, typed string, schedules []store.Schedule) error {
	var known []string
	for _, s := range schedules {
		rounds, err := rt.store.RoundsOf(ctx, s.ID, 3)
		if err != nil {
			return err
		}
		for _, rd := range rounds {
			p := schedule.DateOf(rd.Period)
			known = append(known, fmt.Sprintf("`%s %s %s %s %04d-%02d`", SlashCommand, r.Verb, suiviWord(r, "statut"),
				esc(s.Slug), p.Year, p.Month))
		}
	}
	if len(known) == 0 {
		return userError("status.no_round", SlashCommand, r.Verb, suiviWord(r, "lancer"), esc(schedules[0].Slug))
	}
	return userError("status.unknown_round", esc(typed), strings.Join(known, ", "))
}

// roundStatusReply shows one round: the rate and counts, the Tables by
// what they answered (who has not answered first), the schedule's earlier
// rounds, and buttons for the other schedules' current rounds.
func (rt *Router) roundStatusReply(ctx context.Context, r *Request, s store.Schedule, rd store.Round,
	others []store.Schedule) (Reply, error) {
	c, tables, err := rt.store.RoundStatus(ctx, rd.ID)
	if err != nil {
		return Reply{}, err
	}
	month := monthName(r.Lang, schedule.DateOf(rd.Period))
	title := r.T("status.title", s.Name, month)
	var lines []string
	when := r.T("status.open", checkin.DateTime(r.Lang, rd.OpenedAt.In(rt.opts.Location)),
		checkin.DateTime(r.Lang, rd.ClosesAt.In(rt.opts.Location)))
	if rd.Status != "open" {
		closed := rd.ClosesAt
		if rd.ClosedAt != nil {
			closed = *rd.ClosedAt
		}
		when = r.T("status.closed", checkin.DateTime(r.Lang, rd.OpenedAt.In(rt.opts.Location)),
			checkin.DateTime(r.Lang, closed.In(rt.opts.Location)))
	}
	lines = append(lines, fmt.Sprintf("*%s* `%s` — %s", esc(s.Name), esc(s.Slug), when))
	if !s.Active {
		key := "status.paused"
		if rd.Status == "open" {
			key = "status.paused_open"
		}
		lines = append(lines, r.T(key, SlashCommand, r.Verb, suiviWord(r, "reprendre"), esc(s.Slug)))
	}
	lines = append(lines, rateLine(r, c), countsLine(r, c))

	byStatus := map[string][]string{}
	for _, t := range tables {
		name := esc(t.Name)
		group := t.Status
		switch t.Status {
		case "pending", "sent", "expired":
			group = "silent"
			if t.Recipients == 0 {
				group = "nobody" // silent, and nobody was asked: no respondent
			}
		}
		byStatus[group] = append(byStatus[group], name)
	}
	var body []string
	groups := []struct {
		status, key string
		room        int
	}{
		{"silent", "status.group.silent", silentNamesRoom},
		{"nobody", "status.group.nobody", otherNamesRoom},
		{"skipped", "status.group.skipped", otherNamesRoom},
		{"nothing_to_report", "status.group.nothing", otherNamesRoom},
		{"answered", "status.group.answered", otherNamesRoom},
	}
	for _, g := range groups {
		names := byStatus[g.status]
		if len(names) == 0 {
			continue
		}
		body = append(body, fmt.Sprintf("*%s (%d)*\n%s", r.T(g.key), len(names), joinNames(r, names, g.room)))
	}
	if len(tables) == 0 {
		body = append(body, r.T("status.no_tables"))
	}

	history, err := rt.roundHistory(ctx, r, s, rd)
	if err != nil {
		return Reply{}, err
	}

	blocks := []slack.Block{header(title), section(strings.Join(lines, "\n"))}
	plain := append([]string{r.T("status.title", esc(s.Name), month)}, lines...)
	for _, b := range body {
		blocks = append(blocks, section(b))
		plain = append(plain, b)
	}
	if len(history) > 0 {
		h := "*" + r.T("status.history") + "*\n" + strings.Join(history, "\n")
		blocks = append(blocks, divider(), section(h))
		plain = append(plain, h)
	}
	if len(others) > 0 {
		var cs []choice
		for _, o := range others {
			cs = append(cs, choice{label: o.Name, text: fmt.Sprintf("%s %s %s", r.Verb, suiviWord(r, "statut"), o.Slug)})
		}
		ask := askChoice(r, r.T("status.others"), cs)
		blocks = append(blocks, ask.Blocks...)
		plain = append(plain, ask.Text)
	}
	return Reply{Text: strings.Join(plain, "\n"), Blocks: blocks}, nil
}

// roundHistory is one line per earlier round of s, latest first.
func (rt *Router) roundHistory(ctx context.Context, r *Request, s store.Schedule, shown store.Round) ([]string, error) {
	rounds, err := rt.store.RoundsOf(ctx, s.ID, statusRoundsSearched)
	if err != nil {
		return nil, err
	}
	var earlier []store.Round
	var ids []int64
	for _, rd := range rounds {
		if rd.OpenedAt.Before(shown.OpenedAt) || (rd.OpenedAt.Equal(shown.OpenedAt) && rd.ID < shown.ID) {
			earlier = append(earlier, rd)
			ids = append(ids, rd.ID)
			if len(earlier) == statusHistory {
				break
			}
		}
	}
	if len(earlier) == 0 {
		return nil, nil
	}
	counts, err := rt.store.RoundCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, rd := range earlier {
		c := counts[rd.ID]
		lines = append(lines, fmt.Sprintf("• %s — %s · %s", monthName(r.Lang, schedule.DateOf(rd.Period)),
			rateLine(r, c), countsLine(r, c)))
	}
	return lines, nil
}

// responded counts the Tables that answered a round: a note, nothing to
// report, or "not this month".
func responded(c store.PromptCounts) int { return c.Answered + c.NothingToReport + c.Skipped }

func rateLine(r *Request, c store.PromptCounts) string {
	total := c.Total()
	if total == 0 {
		return r.T("status.rate_none")
	}
	// Rounded, but never 100 % while a Table is silent nor 0 % once one answered.
	n := responded(c)
	pct := (n*200 + total) / (2 * total)
	switch {
	case n < total && pct == 100:
		pct = 99
	case n > 0 && pct == 0:
		pct = 1
	}
	return r.T("status.rate", pct, n, total)
}

func countsLine(r *Request, c store.PromptCounts) string {
	return r.T("status.counts", c.Answered, c.NothingToReport, c.Skipped, c.Pending+c.Expired)
}

// joinNames lists names within room characters, the rest counted in an
// "and N more".
func joinNames(r *Request, names []string, room int) string {
	var b strings.Builder
	for i, n := range names {
		more := r.T("status.more", len(names)-i)
		if b.Len() > 0 && b.Len()+2+len(n)+len(more)+2 > room {
			return b.String() + " " + more
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// suiviHelp lists the subcommands with an example each.
func (rt *Router) suiviHelp(ctx context.Context, r *Request, _ []string) (Reply, error) {
	slug := "suivi-mensuel"
	if all, err := rt.store.ListSchedules(ctx); err != nil {
		return Reply{}, err
	} else if len(all) > 0 {
		slug = all[0].Slug
	}
	cmd := SlashCommand + " " + r.Verb
	w := func(french string) string { return cmd + " " + suiviWord(r, french) }
	return textReply(r.T("suivi.help", cmd, w("statut"), w("statut"), esc(slug), w("créer"), w("modifier"), esc(slug),
		w("pause"), esc(slug), w("reprendre"), esc(slug), w("lancer"), esc(slug), w("pause-tout"))), nil
}
