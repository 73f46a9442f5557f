package commands

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/domain"
)

// homeOpened publishes the App Home of whoever opened it: who Relais knows
// them as, in which language it answers, and what they may ask. Publishing
// again changes nothing, so a repeated event needs no record.
func (rt *Router) homeOpened(ctx context.Context, ev Event) (EventReply, error) {
	if ev.Tab != "" && ev.Tab != "home" {
		return EventReply{}, nil
	}
	r, err := rt.newRequest(ctx, Caller{SlackUserID: ev.User, TeamID: ev.TeamID}, "")
	if err != nil {
		return EventReply{}, err
	}
	view := rt.homeView(r)
	return EventReply{Home: &view}, nil
}

func (rt *Router) homeView(r *Request) slack.HomeTabViewRequest {
	blocks := []slack.Block{header(r.T("home.title"))}
	if r.Person == nil {
		blocks = append(blocks, section(r.T("home.guest")))
	} else {
		blocks = append(blocks, section(r.T("home.known", esc(r.Person.DisplayName), r.T("role."+string(r.Role)))))
	}
	var lines []string
	for _, c := range rt.commands {
		if c.Allows(r.Role) {
			lines = append(lines, fmt.Sprintf("• `%s %s` — %s", SlashCommand, esc(r.T(c.ExampleKey)), esc(r.T(c.SummaryKey))))
		}
	}
	blocks = append(blocks, sections(append([]string{"*" + r.T("home.commands") + "*"}, lines...))...)
	other := domain.English
	if r.Lang == domain.English {
		other = domain.French
	}
	if langCmd, ok := rt.Lookup("langue"); ok {
		blocks = append(blocks, contextBlock(r.T("home.language", SlashCommand, langCmd.Verb(r.Lang), other)))
	}
	_, blocks = blockkit.Fit("", blocks, r.T("reply.cut"))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}
