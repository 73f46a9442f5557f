package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// A follow question's buttons re-run these commands with one theme's slug.
func init() { chooseVerbs = append(chooseVerbs, "suivre", "ne") }

// follow is `/pic suivre <thème>` / `follow <theme>`: the caller follows a
// priority issue, and the monthly digest connects them with the quartiers
// whose notes act on it. Without a theme it lists what they follow.
func (rt *Router) follow(ctx context.Context, r *Request) (Reply, error) {
	typed := strings.TrimSpace(r.Args)
	if typed == "" {
		return rt.followedThemes(ctx, r)
	}
	t, err := rt.resolveTheme(ctx, r, typed, r.Command.Verb(r.Lang))
	if err != nil {
		return Reply{}, err
	}
	created, err := rt.store.FollowTheme(ctx, store.SlackActor(r.Caller.SlackUserID), r.Caller.SlackUserID, t.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return Reply{}, userError("error.guest_forbidden", r.Verb)
	}
	if err != nil {
		return Reply{}, err
	}
	key := "follow.done"
	if !created {
		key = "follow.already"
	}
	return textReply(r.T(key, esc(t.Name(r.Lang)), SlashCommand+" "+unfollowVerb(r.Lang)+" "+t.Slug)), nil
}

// unfollow is `/pic ne plus suivre <thème>` / `unfollow <theme>`.
func (rt *Router) unfollow(ctx context.Context, r *Request) (Reply, error) {
	typed := strings.TrimSpace(r.Args)
	if r.Command.Name == "ne" && domain.MatchKey(r.Verb) == "ne" {
		// "ne plus suivre logement": the verb is three words.
		words := strings.Fields(typed)
		if len(words) < 2 || domain.MatchKey(words[0]+" "+words[1]) != "plus suivre" {
			return Reply{}, userError("follow.unfollow_usage", SlashCommand)
		}
		typed = strings.Join(words[2:], " ")
	}
	if typed == "" {
		return Reply{}, userError("follow.unfollow_usage", SlashCommand)
	}
	t, err := rt.resolveTheme(ctx, r, typed, unfollowVerb(r.Lang))
	if err != nil {
		return Reply{}, err
	}
	removed, err := rt.store.UnfollowTheme(ctx, store.SlackActor(r.Caller.SlackUserID), r.Caller.SlackUserID, t.ID)
	if err != nil {
		return Reply{}, err
	}
	if !removed {
		return textReply(r.T("follow.not_following", esc(t.Name(r.Lang)))), nil
	}
	return textReply(r.T("follow.undone", esc(t.Name(r.Lang)))), nil
}

func unfollowVerb(lang domain.Language) string {
	if lang == domain.English {
		return "unfollow"
	}
	return "ne plus suivre"
}

func (rt *Router) followedThemes(ctx context.Context, r *Request) (Reply, error) {
	ts, err := rt.store.FollowedThemes(ctx, r.Caller.SlackUserID)
	if err != nil {
		return Reply{}, err
	}
	all, err := rt.store.ListThemes(ctx)
	if err != nil {
		return Reply{}, err
	}
	if len(ts) == 0 {
		return textReply(r.T("follow.none", SlashCommand+" "+r.Command.Verb(r.Lang), themeNames(r, all))), nil
	}
	return textReply(r.T("follow.list", themeNames(r, ts), SlashCommand+" "+unfollowVerb(r.Lang))), nil
}

func themeNames(r *Request, ts []domain.Theme) string {
	var names []string
	for _, t := range ts {
		names = append(names, esc(t.Name(r.Lang)))
	}
	return strings.Join(names, ", ")
}

// resolveTheme finds the theme typed names, leniently: case, accents and
// hyphens aside, in French or English, by slug, by whole name, then by the
// words it starts with, then with a small typo. Several matches are asked
// about with buttons that run verb again with each slug; none lists them all.
func (rt *Router) resolveTheme(ctx context.Context, r *Request, typed, verb string) (domain.Theme, error) {
	all, err := rt.store.ListThemes(ctx)
	if err != nil {
		return domain.Theme{}, err
	}
	ms := matchThemes(all, typed)
	switch len(ms) {
	case 1:
		return ms[0], nil
	case 0:
		return domain.Theme{}, userError("follow.unknown", esc(typed), themeNames(r, all))
	}
	var cs []choice
	for _, t := range ms {
		cs = append(cs, choice{label: t.Name(r.Lang), text: verb + " " + t.Slug})
	}
	return domain.Theme{}, &questionError{askChoice(r, r.T("follow.which", esc(typed)), cs)}
}

// matchThemes is the themes typed names: an exact slug or name wins alone;
// then every theme one of whose names has words starting with each typed
// word ("alimentaire", "food"); then names within two typos.
func matchThemes(all []domain.Theme, typed string) []domain.Theme {
	k := domain.MatchKey(typed)
	if k == "" {
		return nil
	}
	keys := func(t domain.Theme) []string {
		return []string{domain.MatchKey(t.Slug), domain.MatchKey(t.NameFr), domain.MatchKey(t.NameEn)}
	}
	var exact, prefix, near []domain.Theme
	typedWords := strings.Fields(k)
	for _, t := range all {
		for _, n := range keys(t) {
			if n == k {
				exact = append(exact, t)
				break
			}
		}
	}
	if len(exact) > 0 {
		return exact
	}
	for _, t := range all {
		for _, n := range keys(t) {
			if startsEachWord(typedWords, strings.Fields(n)) {
				prefix = append(prefix, t)
				break
			}
		}
	}
	if len(prefix) > 0 {
		return prefix
	}
	for _, t := range all {
		for _, n := range keys(t) {
			if domain.EditDistance(k, n) <= min(2, len([]rune(k))/4) {
				near = append(near, t)
				break
			}
		}
	}
	return near
}

// startsEachWord: every typed word starts one of the name's words, in order.
func startsEachWord(typed, words []string) bool {
	i := 0
	for _, w := range words {
		if i < len(typed) && strings.HasPrefix(w, typed[i]) {
			i++
		}
	}
	return i == len(typed) && len(typed) > 0
}
