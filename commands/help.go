package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/domain"
)

// help lists the commands the caller may run, generated from the registry.
func (rt *Router) help(_ context.Context, r *Request) (Reply, error) {
	return rt.helpReply(r, ""), nil
}

func (rt *Router) helpReply(r *Request, lead string) Reply {
	var blocks []slack.Block
	if lead != "" {
		blocks = append(blocks, section(lead))
	}
	blocks = append(blocks, header(r.T("help.title")))
	var plain []string
	for _, c := range rt.commands {
		if !c.Allows(r.ReaderRole()) {
			continue
		}
		other := c.EnglishName()
		if r.Lang == domain.English {
			other = c.Name
		}
		usage := SlashCommand + " " + c.Verb(r.Lang)
		if c.UsageKey != "" {
			usage += " " + r.T(c.UsageKey)
		}
		blocks = append(blocks, section(fmt.Sprintf("*`%s`*\n%s\n_%s_ `%s %s`  ·  _%s_ `%s`",
			esc(usage), esc(r.T(c.SummaryKey)), esc(r.T("help.example_label")),
			SlashCommand, esc(r.T(c.ExampleKey)), esc(r.T("help.also")), esc(other))))
		plain = append(plain, esc(usage))
	}
	if r.ReaderRole() == domain.RoleGuest {
		blocks = append(blocks, contextBlock(r.T("guest.notice")))
	}
	text := r.T("help.title") + "\n" + strings.Join(plain, "\n")
	if lead != "" {
		text = lead + "\n" + text
	}
	return Reply{Text: text, Blocks: blocks}
}

// unknownVerb answers a verb that is no command: help, led by the closest verb.
func (rt *Router) unknownVerb(_ context.Context, r *Request, verb string) Reply {
	lead := r.T("help.unknown", esc(verb))
	if best := rt.closestVerb(verb); best != "" {
		lead = r.T("help.did_you_mean", esc(verb), SlashCommand, best)
	}
	return fit(r, rt.helpReply(r, lead))
}

// closestVerb is the declared verb nearest to what was typed, if near enough
// to be a typo.
func (rt *Router) closestVerb(typed string) string {
	key := domain.MatchKey(typed)
	best, bestDist := "", 3
	for _, c := range rt.commands {
		for _, v := range append([]string{c.Name}, c.Aliases...) {
			if len(v) < 3 {
				continue
			}
			d := domain.EditDistance(key, domain.MatchKey(v))
			if strings.HasPrefix(domain.MatchKey(v), key) && len(key) >= 3 {
				d = 1
			}
			if d < bestDist {
				best, bestDist = v, d
			}
		}
	}
	return best
}

// setLanguage records the caller's language and answers in it.
func (rt *Router) setLanguage(ctx context.Context, r *Request) (Reply, error) {
	if r.Args == "" {
		return textReply(r.T("language.current", r.T("language.name."+string(r.Lang)), SlashCommand)), nil
	}
	lang, ok := domain.ParseLanguage(r.Args)
	if !ok {
		return Reply{}, userError("language.unknown", esc(r.Args), SlashCommand)
	}
	if err := rt.store.SetLanguage(ctx, storeActor(r), r.Caller.SlackUserID, lang); err != nil {
		return Reply{}, err
	}
	rt.opts.Cache.forget(callerKey(r.Caller.SlackUserID))
	r.Lang = lang
	return textReply(r.T("language.set")), nil
}
