package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

const initiativesPerPage = 10

// initiatives lists initiatives, all or for one theme, quartier or funder,
// one page at a time.
func (rt *Router) initiatives(ctx context.Context, r *Request) (Reply, error) {
	sc, err := rt.resolveScope(ctx, r, r.Args, false)
	if err != nil {
		return Reply{}, err
	}
	rows, total, err := rt.store.ListInitiatives(ctx, store.InitiativeFilter{
		QuartierID: sc.quartierID, ThemeID: sc.themeID, FunderID: sc.funderID},
		initiativesPerPage, r.Page*initiativesPerPage)
	if err != nil {
		return Reply{}, err
	}
	themes, err := rt.themeNames(ctx, r.Lang)
	if err != nil {
		return Reply{}, err
	}
	title := r.T("initiatives.title", total)
	if sc.label != "" {
		title = r.T("initiatives.title_for", sc.label, total)
	}
	blocks := []slack.Block{header(title)}
	if sc.corrected != "" {
		blocks = append(blocks, contextBlock(r.T("quartier.corrected", esc(r.Args), esc(sc.corrected))))
	}
	plain := []string{esc(title)}
	for _, in := range rows {
		where := r.T("funding.regional")
		if in.QuartierName != nil {
			where = *in.QuartierName
		}
		var names []string
		for _, s := range in.ThemeSlugs {
			names = append(names, themes[s])
		}
		line := fmt.Sprintf("*`%s` %s*\n%s · %s · %s", esc(in.Code), esc(in.Title), esc(where), esc(in.LeadName),
			r.T("status."+string(in.Status)))
		if len(names) > 0 {
			line += "\n_" + esc(strings.Join(names, ", ")) + "_"
		}
		if in.FundingCents > 0 {
			line += "\n" + r.T("initiatives.funding", i18n.Money(r.Lang, in.FundingCents))
		}
		blocks = append(blocks, section(line))
		plain = append(plain, esc(in.Code+" "+in.Title))
	}
	if total == 0 {
		blocks = append(blocks, section(r.T("initiatives.none")))
	}
	blocks = append(blocks, pager(r, total, initiativesPerPage)...)
	return Reply{Text: strings.Join(plain, "\n"), Blocks: blocks}, nil
}
