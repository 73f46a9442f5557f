package commands

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// quartierLookup is the outcome of finding a quartier from typed text.
type quartierLookup struct {
	found *store.QuartierMatch
	// corrected is set when found was reached by forgiving a typo.
	corrected bool
	// candidates are several matches (ambiguous) or close names (none found).
	candidates []store.QuartierMatch
}

// findQuartier resolves typed text to one quartier when it can: the exact
// name, the only name that contains the words, or the only close name (a typo
// of at most two letters). Otherwise it returns the candidates.
func (rt *Router) findQuartier(ctx context.Context, typed string) (quartierLookup, error) {
	ms, err := rt.quartierMatches(ctx, typed)
	if err != nil || len(ms) == 0 {
		return quartierLookup{}, err
	}
	switch ms[0].How {
	case store.MatchExact:
		return quartierLookup{found: &ms[0]}, nil
	case store.MatchWords:
		if len(ms) == 1 {
			return quartierLookup{found: &ms[0]}, nil
		}
		return quartierLookup{candidates: ms}, nil
	}
	key := domain.MatchKey(typed)
	near := func(m store.QuartierMatch) bool { return typoDistance(key, m.MatchKey) <= 2 }
	if near(ms[0]) && (len(ms) == 1 || !near(ms[1])) {
		return quartierLookup{found: &ms[0], corrected: true}, nil
	}
	return quartierLookup{candidates: ms}, nil
}

// quartierMatches is store.FindQuartiers cached by folded text: the lookup is
// one to three queries (a trigram scan for typos) and its answer changes only
// when quartiers do. The slice is the caller's own.
func (rt *Router) quartierMatches(ctx context.Context, typed string) ([]store.QuartierMatch, error) {
	ms, err := cached(ctx, rt.opts.Cache, "findq:"+domain.MatchKey(typed), func(ctx context.Context) ([]store.QuartierMatch, error) {
		return rt.store.FindQuartiers(ctx, typed, 8)
	})
	return slices.Clone(ms), err // callers keep pointers into it; the cached slice is shared
}

// typoDistance compares typed text with a name, or with the name's words when
// one word was typed ("verdum" vs "verdun").
func typoDistance(typed, name string) int {
	best := domain.EditDistance(typed, name)
	if !strings.Contains(typed, " ") {
		for _, w := range strings.Fields(name) {
			if len(w) >= 4 {
				best = min(best, domain.EditDistance(typed, w))
			}
		}
	}
	return best
}

// themes lists the priority issues, cached.
func (rt *Router) themes(ctx context.Context) ([]domain.Theme, error) {
	return cached(ctx, rt.opts.Cache, "themes", func(ctx context.Context) ([]domain.Theme, error) {
		return rt.store.ListThemes(ctx)
	})
}

// findTheme matches a theme by slug or by either name, ignoring case and accents.
func (rt *Router) findTheme(ctx context.Context, typed string) (*domain.Theme, error) {
	themes, err := rt.themes(ctx)
	if err != nil {
		return nil, err
	}
	key := domain.MatchKey(typed)
	if key == "" {
		return nil, nil
	}
	var partial []domain.Theme
	for _, t := range themes {
		names := []string{domain.MatchKey(t.Slug), domain.MatchKey(t.NameFr), domain.MatchKey(t.NameEn)}
		for _, n := range names {
			if n == key {
				return &t, nil
			}
		}
		for _, n := range names {
			if strings.Contains(" "+n+" ", " "+key) {
				partial = append(partial, t)
				break
			}
		}
	}
	if len(partial) == 1 {
		return &partial[0], nil
	}
	return nil, nil
}

var yearPattern = regexp.MustCompile(`^(19|20)\d\d$`)

func parseYear(s string) (int, bool) {
	if !yearPattern.MatchString(s) {
		return 0, false
	}
	y, _ := strconv.Atoi(s)
	return y, true
}

// scope is what a list or a summary is narrowed to.
type scope struct {
	label      string // as shown in titles
	quartierID int64
	population *int
	themeID    int64
	funderID   int64
	year       int
	corrected  string // the name a typo was corrected to
}

// resolveScope reads a filter argument: a year (when allowed), a theme, a
// quartier or a funder, in that order. An argument that names none of them is
// a UserError listing what exists.
func (rt *Router) resolveScope(ctx context.Context, r *Request, arg string, allowYear bool) (scope, error) {
	if arg == "" {
		return scope{}, nil
	}
	if y, ok := parseYear(arg); ok && allowYear {
		return scope{label: arg, year: y}, nil
	}
	if t, err := rt.findTheme(ctx, arg); err != nil {
		return scope{}, err
	} else if t != nil {
		return scope{label: t.Name(r.Lang), themeID: t.ID}, nil
	}
	q, err := rt.findQuartier(ctx, arg)
	if err != nil {
		return scope{}, err
	}
	if q.found != nil {
		s := scope{label: q.found.Name, quartierID: q.found.ID, population: q.found.Population}
		if q.corrected {
			s.corrected = q.found.Name
		}
		return s, nil
	}
	funders, err := rt.store.FindFunders(ctx, arg, 2)
	if err != nil {
		return scope{}, err
	}
	if len(funders) >= 1 {
		return scope{label: funders[0].Name, funderID: funders[0].ID}, nil
	}
	if len(q.candidates) > 0 {
		return scope{}, userError("scope.did_you_mean", esc(arg), esc(q.candidates[0].Name))
	}
	key := "scope.none"
	if allowYear {
		key = "scope.none_year"
	}
	return scope{}, userError(key, esc(arg), SlashCommand)
}
