package commands

import (
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// questionError is a question asked back instead of an answer (which
// schedule, with buttons): errorReply shows its reply as it is.
type questionError struct{ reply Reply }

func (e *questionError) Error() string { return "asked back" }

// scheduleFiller are words of slugs and names that tell no schedule from
// another ("suivi" in "suivi-mensuel").
var scheduleFiller = map[string]bool{"suivi": true, "suivis": true, "checkin": true, "check": true, "in": true,
	"de": true, "du": true, "des": true, "la": true, "le": true, "les": true, "the": true, "of": true}

// scheduleSynonyms read an English word as the French one names use.
var scheduleSynonyms = map[string]string{"monthly": "mensuel", "weekly": "hebdomadaire", "quarterly": "trimestriel",
	"yearly": "annuel", "annual": "annuel", "biweekly": "bimensuel"}

// matchSchedules finds the schedules typed text names: its slug or its
// whole name (case and accents ignored) alone when one is; otherwise every
// schedule whose slug's distinctive words ("mensuel" for suivi-mensuel) or
// whose name's words start with each typed word (fillers like "suivi"
// aside, English periodicities read in French).
func matchSchedules(all []store.Schedule, typed string) []store.Schedule {
	key := domain.MatchKey(typed)
	if key == "" {
		return nil
	}
	var exact, partial []store.Schedule
	for _, s := range all {
		if domain.MatchKey(s.Slug) == key || domain.MatchKey(s.Name) == key {
			exact = append(exact, s)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	var words []string
	for _, w := range strings.Fields(key) {
		if fr, ok := scheduleSynonyms[w]; ok {
			w = fr
		}
		words = append(words, w)
	}
	for _, s := range all {
		slugWords := distinctive(strings.Fields(domain.MatchKey(s.Slug)))
		nameWords := strings.Fields(domain.MatchKey(s.Name))
		if startsEach(distinctive(words), slugWords) || startsEach(words, nameWords) {
			partial = append(partial, s)
		}
	}
	return partial
}

func distinctive(words []string) []string {
	var out []string
	for _, w := range words {
		if !scheduleFiller[w] {
			out = append(out, w)
		}
	}
	return out
}

// startsEach says every typed word begins one of words (3 letters at
// least, or the whole word), and some word was typed.
func startsEach(typed, words []string) bool {
	if len(typed) == 0 {
		return false
	}
	for _, t := range typed {
		found := false
		for _, w := range words {
			if w == t || (len(t) >= 3 && strings.HasPrefix(w, t)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// scheduleList names the schedules for a message: "`slug` (Name)".
func scheduleList(all []store.Schedule) string {
	items := make([]string, len(all))
	for i, s := range all {
		items[i] = fmt.Sprintf("`%s` (%s)", esc(s.Slug), esc(s.Name))
	}
	return strings.Join(items, ", ")
}

// whichSchedule asks which of several schedules typed text meant, each
// button running text(slug).
func whichSchedule(r *Request, typed string, ms []store.Schedule, text func(slug string) string) Reply {
	var cs []choice
	for _, s := range ms {
		cs = append(cs, choice{label: s.Name, text: text(s.Slug)})
	}
	return askChoice(r, r.T("suivi.which_of", esc(typed)), cs)
}
