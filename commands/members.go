package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

const membersPerPage = 20

// members lists who Relais knows, for coordinators who keep the directory.
func (rt *Router) members(ctx context.Context, r *Request) (Reply, error) {
	people, total, err := rt.store.ListPeople(ctx, membersPerPage, r.Page*membersPerPage)
	if err != nil {
		return Reply{}, err
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.SlackUserID
	}
	away, err := rt.store.AwayFrom(ctx, ids, civilDay(r.Now.In(rt.opts.Location)))
	if err != nil {
		return Reply{}, err
	}
	title := r.T("members.title", total)
	blocks := []slack.Block{header(title)}
	var lines []string
	for _, p := range people {
		lang := r.T("members.lang_slack")
		if p.Language != nil {
			lang = r.T("language.name." + string(*p.Language))
		}
		line := fmt.Sprintf("• *%s* `%s` — %s · %s · %s", esc(p.DisplayName), esc(p.SlackUserID),
			r.T("role."+string(p.Role)), esc(p.OrganisationName), lang)
		if p.AnswersCheckins {
			line += " · " + r.T("members.answers")
		}
		if day, ok := away[p.SlackUserID]; ok && p.Active {
			line += " · " + r.T("members.away_until", dateWords(r.Lang, day))
		}
		if !p.Active {
			line += " · _" + r.T("members.inactive") + "_"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, r.T("members.none"))
	}
	blocks = append(blocks, sections(lines)...)
	blocks = append(blocks, pager(r, total, membersPerPage)...)
	return Reply{Text: title + "\n" + strings.Join(lines, "\n"), Blocks: blocks}, nil
}
