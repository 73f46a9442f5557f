package commands

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

// maxAwayDays is how far ahead an absence may end: further is more likely a
// typo (2072 for 2027) than a plan.
const maxAwayDays = 366

// away records the caller's absence (`absent 2 semaines`, `away 2027-01-15`),
// ends it (`absent fin`) or says where it stands (`absent`). No check-in
// prompt nor reminder reaches them until their last day away has passed;
// another respondent of their Table still gets them.
func (rt *Router) away(ctx context.Context, r *Request) (Reply, error) {
	today := civilDay(r.Now.In(rt.opts.Location))
	current, err := rt.store.AwayUntil(ctx, r.Caller.SlackUserID)
	if errors.Is(err, domain.ErrNotFound) {
		return Reply{}, userError("error.guest_forbidden", r.Verb)
	}
	if err != nil {
		return Reply{}, err
	}
	if current != nil && civilDay(*current).Before(today) {
		current = nil // an absence that ended
	}
	endWord := "fin"
	if r.Lang == domain.English {
		endWord = "end"
	}
	// In the reader's language, whichever verb they typed: "/pic away end".
	endCommand := SlashCommand + " " + r.Command.Verb(r.Lang) + " " + endWord
	respondent := false
	if p, err := rt.store.PersonBySlackID(ctx, r.Caller.SlackUserID); err == nil {
		respondent = p.AnswersCheckins
	} else if !errors.Is(err, domain.ErrNotFound) {
		return Reply{}, err
	}
	args := strings.TrimSpace(r.Args)
	if args == "" {
		if current == nil {
			return textReply(r.T("away.none", awayExamples(r))), nil
		}
		return textReply(r.T("away.current", dateWords(r.Lang, *current), endCommand)), nil
	}
	if isAwayEnd(args) {
		if current == nil {
			return textReply(r.T("away.not_away")), nil
		}
		if err := rt.store.SetAwayUntil(ctx, storeActor(r), r.Caller.SlackUserID, nil); err != nil {
			return Reply{}, err
		}
		if !respondent {
			return textReply(r.T("away.ended_other")), nil
		}
		return textReply(r.T("away.ended")), nil
	}
	last, ok := parseAway(args, today)
	switch {
	case negativeAway.MatchString(args):
		return Reply{}, userError("away.negative", esc(args), awayExamples(r))
	case !ok:
		return Reply{}, userError("away.unreadable", esc(args), awayExamples(r))
	case last.Before(today):
		return Reply{}, userError("away.past", dateWords(r.Lang, last), awayExamples(r))
	case last.After(today.AddDate(0, 0, maxAwayDays)):
		return Reply{}, userError("away.too_far", dateWords(r.Lang, last), awayExamples(r))
	}
	if err := rt.store.SetAwayUntil(ctx, storeActor(r), r.Caller.SlackUserID, &last); err != nil {
		return Reply{}, err
	}
	if !respondent {
		return textReply(r.T("away.set_other", dateWords(r.Lang, last), endCommand)), nil
	}
	return textReply(r.T("away.set", dateWords(r.Lang, last), endCommand)), nil
}

// negativeAway is a duration typed with a minus sign: "-3 jours".
var negativeAway = regexp.MustCompile(`^\s*[-−–]\s*\d`)

func awayExamples(r *Request) string {
	cmd := SlashCommand + " " + r.Command.Verb(r.Lang)
	if r.Lang == domain.English {
		return "`" + cmd + " 2 weeks`, `" + cmd + " January 15`, `" + cmd + " 2027-01-15`"
	}
	return "`" + cmd + " 2 semaines`, `" + cmd + " 15 janvier`, `" + cmd + " 2027-01-15`"
}

func isAwayEnd(s string) bool {
	switch domain.MatchKey(s) {
	case "fin", "end", "stop", "retour", "back", "termine", "terminee", "done", "annuler", "cancel", "aucune", "none":
		return true
	}
	return false
}

// civilDay is t's calendar day, at midnight UTC: dates compare and add as
// days, whatever the zone they were read in.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateWords(lang domain.Language, t time.Time) string {
	return i18n.Date(lang, t.Year(), int(t.Month()), t.Day())
}

// monthWords are the month names and abbreviations one may type, folded
// (domain.MatchKey), French and English.
var monthWords = map[string]time.Month{
	"janvier": 1, "janv": 1, "jan": 1, "january": 1,
	"fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
	"mars": 3, "march": 3, "mar": 3,
	"avril": 4, "avr": 4, "april": 4, "apr": 4,
	"mai": 5, "may": 5,
	"juin": 6, "june": 6, "jun": 6,
	"juillet": 7, "juil": 7, "july": 7, "jul": 7,
	"aout": 8, "august": 8, "aug": 8,
	"septembre": 9, "sept": 9, "sep": 9, "september": 9,
	"octobre": 10, "oct": 10, "october": 10,
	"novembre": 11, "nov": 11, "november": 11,
	"decembre": 12, "dec": 12, "december": 12,
}

// numberWords are small counts spelled out.
var numberWords = map[string]int{"un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "deux": 2, "two": 2,
	"trois": 3, "three": 3, "quatre": 4, "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7,
	"huit": 8, "eight": 8, "neuf": 9, "nine": 9, "dix": 10, "ten": 10}

var (
	dayOrdinal = regexp.MustCompile(`^(\d{1,2})(er|re|e|st|nd|rd|th)?$`)
	yearWord   = regexp.MustCompile(`^(19|20)\d\d$`)
)

// fillers are words around a date that say nothing: "jusqu'au 15 janvier",
// "until the 15th of January".
var fillers = map[string]bool{"le": true, "la": true, "au": true, "jusqu": true, "jusque": true, "pendant": true,
	"durant": true, "pour": true, "the": true, "until": true, "till": true, "on": true, "of": true, "for": true,
	"de": true, "du": true, "inclus": true, "included": true}

// parseAway reads the last day away: a date (2027-01-15, 15/01/2027,
// "15 janvier", "January 15, 2027") or a duration from today ("2 semaines",
// "10 days", "un mois"), today being the first day away. A date without a
// year is its next occurrence. ok is false for anything else.
func parseAway(s string, today time.Time) (time.Time, bool) {
	if d, ok := parseDay(strings.TrimSpace(s)); ok {
		return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), true
	}
	var words []string
	for _, w := range strings.Fields(domain.MatchKey(s)) {
		if !fillers[w] {
			words = append(words, w)
		}
	}
	if last, ok := parseDuration(words, today); ok {
		return last, true
	}
	if len(words) == 1 {
		switch words[0] {
		case "aujourd hui", "aujourdhui", "today":
			return today, true
		case "demain", "tomorrow":
			return today.AddDate(0, 0, 1), true
		}
	}
	if len(words) == 2 && words[0] == "aujourd" && words[1] == "hui" {
		return today, true
	}
	return parseDayMonth(words, today)
}

func parseDuration(words []string, today time.Time) (time.Time, bool) {
	if len(words) != 2 {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(words[0])
	if err != nil {
		var ok bool
		if n, ok = numberWords[words[0]]; !ok {
			return time.Time{}, false
		}
	}
	// Far counts are read, so that the caller says "at most a year";
	// beyond this one they are nonsense.
	if n <= 0 || n > 100*maxAwayDays {
		return time.Time{}, false
	}
	switch words[1] {
	case "jour", "jours", "j", "day", "days", "d":
		return today.AddDate(0, 0, n-1), true
	case "semaine", "semaines", "sem", "week", "weeks", "w", "wk", "wks":
		return today.AddDate(0, 0, 7*n-1), true
	case "mois", "month", "months":
		return today.AddDate(0, n, -1), true
	case "an", "ans", "annee", "annees", "year", "years", "yr", "yrs":
		return today.AddDate(n, 0, -1), true
	}
	return time.Time{}, false
}

func parseDayMonth(words []string, today time.Time) (time.Time, bool) {
	if len(words) < 2 || len(words) > 3 {
		return time.Time{}, false
	}
	var day, year int
	var month time.Month
	for i, w := range words {
		switch m, isMonth := monthWords[w]; {
		case isMonth && month == 0 && i < 2:
			month = m
		case yearWord.MatchString(w) && i == 2:
			year, _ = strconv.Atoi(w)
		case dayOrdinal.MatchString(w) && day == 0 && i < 2:
			day, _ = strconv.Atoi(dayOrdinal.FindStringSubmatch(w)[1])
		default:
			return time.Time{}, false
		}
	}
	if day == 0 || month == 0 {
		return time.Time{}, false
	}
	y := year
	if y == 0 {
		y = today.Year()
	}
	t := time.Date(y, month, day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 février
	}
	if year == 0 && t.Before(today) {
		t = time.Date(y+1, month, day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day {
			return time.Time{}, false // 29 février, next year not a leap one
		}
	}
	return t, true
}
