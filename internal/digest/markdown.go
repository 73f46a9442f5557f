package digest

import (
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
)

// Markdown renders d for an e-mail or the evaluation report: the same
// content as Messages, every list whole, people by name rather than Slack
// mention, stored text escaped for Markdown.
func Markdown(d Digest, lang domain.Language) string {
	r := renderer{d: d, lang: lang}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# %s", md(r.t("digest.title", r.month(d.Month))))
	line("")
	if d.PreviousPermalink != "" {
		line("[%s](%s)  ", md(r.t("digest.previous_label")), strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(d.PreviousPermalink))
	}
	line("_%s_", md(r.t("digest.audience."+string(d.Audience))))
	line("")
	for _, s := range r.summary() {
		line("%s  ", fromMrkdwn(s))
	}

	line("\n## %s\n", md(r.t("digest.section.highlights")))
	if len(d.Highlights) == 0 {
		line("%s", md(r.t("digest.highlight.none", r.month(d.Month))))
	}
	var withheld, silent []string
	for _, h := range d.Highlights {
		if h.Withheld {
			withheld = append(withheld, md(h.Quartier.Name))
			continue
		}
		head := "### " + md(h.Quartier.Name)
		if h.Late {
			head += " _(" + md(r.t("digest.highlight.late", r.month(h.Period))) + ")_"
		}
		line("%s\n", head)
		for _, e := range h.Excerpts {
			cut := ""
			if e.Cut {
				cut = " …"
			}
			line("> %s%s", md(e.Text), cut)
		}
		if tags := r.tags(h); tags != "" {
			line("\n_%s_", fromMrkdwn(tags))
		}
		line("")
	}
	for _, q := range d.Silent {
		silent = append(silent, md(q.Name))
	}
	if len(withheld) > 0 {
		line("%s\n", r.t("digest.highlight.withheld", strings.Join(withheld, ", ")))
	}
	if len(silent) > 0 {
		line("%s\n", r.t("digest.highlight.silent", strings.Join(silent, ", ")))
	}

	line("## %s\n", md(r.t("digest.section.connections")))
	c := d.Connections
	any := false
	for _, k := range []struct {
		key string
		g   Groups
	}{
		{"digest.connections.themes", c.Themes}, {"digest.connections.conditions", c.Conditions},
		{"digest.connections.follows", c.Follows}, {"digest.connections.initiatives", c.Initiatives},
	} {
		if len(k.g.Groups) == 0 {
			continue
		}
		any = true
		line("### %s\n", md(r.t(k.key)))
		for _, g := range k.g.Groups {
			status := r.t("digest.connections.new")
			if g.Continuing {
				status = r.t("digest.connections.continuing")
			}
			line("- **%s** _(%s)_", r.mdConnectionTitle(g), status)
			for _, i := range g.Initiatives {
				line("  - %s — %s (%s)", md(i.Quartier), md(i.Title), md(i.Code))
			}
			line("  - %s : %s", md(r.t("digest.md.contacts")), mdContacts(g.Quartiers))
		}
		if k.g.More > 0 {
			line("\n%s", r.n("digest.connections.more", k.g.More))
		}
		line("")
	}
	if !any {
		line("%s\n", r.t("digest.connections.none"))
	}

	line("## %s\n", md(r.t("digest.section.funding")))
	for _, list := range []struct {
		title string
		g     Grants
	}{
		{r.t("digest.funding.starting", r.month(d.Month)), d.Funding.Starting},
		{r.t("digest.funding.ending", r.date(d.endingBy())), d.Funding.Ending},
	} {
		line("### %s\n", md(list.title))
		for _, kind := range []struct {
			key    string
			grants []Grant
		}{{"digest.funding.financial", list.g.Financial}, {"digest.funding.non_financial", list.g.NonFinancial}} {
			line("_%s_\n", md(r.t(kind.key)))
			if len(kind.grants) == 0 {
				line("%s\n", md(r.t("digest.funding.none")))
				continue
			}
			for _, g := range kind.grants {
				line("- %s", fromMrkdwn(r.grantLine(g)))
			}
			line("")
		}
	}

	line("## %s\n", md(r.t("digest.section.systems")))
	s := d.Systems
	line("| | %s | %s | %s | **%s** |", md(r.month(s.Months[0])), md(r.month(s.Months[1])), md(r.month(s.Months[2])),
		md(r.month(s.Months[3])))
	line("|---|---:|---:|---:|---:|")
	line("| %s | %d | %d | %d | **%d** |", md(r.t("digest.systems.notes")), s.Notes[0], s.Notes[1], s.Notes[2], s.Notes[3])
	for _, cc := range s.Counts {
		line("| %s | %d | %d | %d | **%d** |", md(cc.Condition.Name(lang)), cc.Counts[0], cc.Counts[1], cc.Counts[2], cc.Counts[3])
	}

	line("\n## %s\n", md(r.t("digest.section.participation")))
	p := d.Participation
	if p.HasRound {
		line("%s  ", md(r.t("digest.participation.round", p.Schedule)))
	}
	line("%s  ", fromMrkdwn(r.rateLine()))
	if p.HasRound {
		line("%s\n", md(r.t("digest.participation.counts", p.Answered, p.NothingToReport, p.Skipped, p.NotAnswered)))
		for _, l := range []struct {
			key   string
			names []string
		}{
			{"digest.participation.not_answered", p.NotAnsweredNames}, {"digest.participation.skipped", p.SkippedNames},
			{"digest.participation.nothing", p.NothingNames}, {"digest.participation.answered", p.AnsweredNames},
		} {
			if len(l.names) > 0 {
				var ns []string
				for _, n := range l.names {
					ns = append(ns, md(n))
				}
				line("- %s", r.t(l.key, strings.Join(ns, ", ")))
			}
		}
	}
	return b.String()
}

func (r renderer) mdConnectionTitle(c Connection) string {
	switch c.Kind {
	case ByFollow:
		var names []string
		for _, p := range c.Followers {
			names = append(names, md(p.Name))
		}
		return r.t("digest.connections.follow", md(c.Theme.Name(r.lang)), strings.Join(names, ", "))
	default:
		return fromMrkdwn(r.connectionTitle(c))
	}
}

func mdContacts(cs []Contact) string {
	var items []string
	for _, c := range cs {
		item := md(c.Quartier.Name)
		if len(c.Respondents) > 0 {
			var ns []string
			for _, p := range c.Respondents {
				ns = append(ns, md(p.Name))
			}
			item += " (" + strings.Join(ns, ", ") + ")"
		}
		items = append(items, item)
	}
	return strings.Join(items, ", ")
}

// md escapes stored text for Markdown: its markup characters and HTML.
var md = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "#", `\#`,
	"|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace

// fromMrkdwn turns a line rendered for Slack (already escaped for mrkdwn)
// into Markdown: bold *x* becomes **x**; entities stay entities.
func fromMrkdwn(s string) string {
	var b strings.Builder
	parts := strings.Split(s, "*")
	for i, p := range parts {
		if i > 0 {
			b.WriteString("**")
		}
		b.WriteString(p)
	}
	if len(parts)%2 == 0 { // an odd star: leave it escaped
		return strings.ReplaceAll(s, "*", `\*`)
	}
	return b.String()
}
