package digest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

// Room for lists inside one section, below Block Kit's 3,000 characters.
const (
	listRoom = 2800
	// maxGrantLines is how many grants of one list a Slack message shows;
	// the rest are counted, and Markdown shows them all.
	maxGrantLines = 30
	// maxContacts is how many quartiers one connection names in Slack.
	maxContacts = 40
)

// JSON is d as data.
func JSON(d Digest) ([]byte, error) { return json.MarshalIndent(d, "", "  ") }

// Messages renders d for Slack in lang: Parts[0] is the parent message
// (header and summary), the others are thread replies, one or more per
// section (highlights, connections, funding, systems change, participation),
// each within Block Kit's limits: a long section is split into more replies,
// never cut. Every part has a plain text beside its blocks; stored text is
// escaped.
func Messages(d Digest, lang domain.Language) []Part {
	r := renderer{d: d, lang: lang}
	parts := []Part{r.parent()}
	for _, s := range []struct {
		key    string
		blocks []slack.Block
	}{
		{"digest.section.highlights", r.highlights()},
		{"digest.section.connections", r.connections()},
		{"digest.section.funding", r.funding()},
		{"digest.section.systems", r.systems()},
		{"digest.section.participation", r.participation()},
	} {
		title := r.t(s.key)
		blocks := append([]slack.Block{blockkit.Header(title)}, s.blocks...)
		for i, m := range blockkit.Split(r.t("digest.text.part", r.month(d.Month), title), blocks) {
			text := m.Text
			if i > 0 {
				// A continuation's notification says which section it continues.
				text = r.t("digest.text.part", r.month(d.Month), title+" "+r.t("digest.continued"))
			}
			parts = append(parts, Part{Text: text, Blocks: m.Blocks})
		}
	}
	return parts
}

type renderer struct {
	d    Digest
	lang domain.Language
}

func (r renderer) t(key string, args ...any) string { return i18n.T(r.lang, key, args...) }
func (r renderer) n(key string, n int, args ...any) string {
	return i18n.N(r.lang, key, n, args...)
}

func (r renderer) month(m Month) string { return i18n.Month(r.lang, m.Year, int(m.Month)) }

func (r renderer) date(t time.Time) string {
	return i18n.Date(r.lang, t.Year(), int(t.Month()), t.Day())
}

// endingBy is the last day a grant's end counts as ending soon.
func (d Digest) endingBy() time.Time { return d.Month.Last().AddDate(0, 0, EndingWindow) }

func (r renderer) parent() Part {
	d := r.d
	title := r.t("digest.title", r.month(d.Month))
	blocks := []slack.Block{blockkit.Header(title)}
	var ctx []string
	if d.PreviousPermalink != "" {
		ctx = append(ctx, blockkit.Link(d.PreviousPermalink, r.t("digest.previous_label")))
	}
	ctx = append(ctx, r.t("digest.audience."+string(d.Audience)))
	blocks = append(blocks, blockkit.Context(ctx...))
	summary := r.summary()
	blocks = append(blocks, blockkit.Section(strings.Join(summary, "\n")),
		blockkit.Context(r.t("digest.summary.thread")))
	text, blocks := blockkit.Fit(title+"\n"+strings.Join(summary, "\n"), blocks, "")
	return Part{Text: text, Blocks: blocks}
}

// summary is the parent's few lines: what happened, at a glance.
func (r renderer) summary() []string {
	d := r.d
	var lines []string
	wrote, withheld, late := map[int64]bool{}, 0, 0
	for _, h := range d.Highlights {
		wrote[h.Quartier.ID] = true
		if h.Withheld {
			withheld++
		}
		if h.Late {
			late++
		}
	}
	if len(d.Highlights) == 0 {
		lines = append(lines, r.t("digest.summary.empty", r.month(d.Month)))
	} else {
		lines = append(lines, r.n("digest.summary.notes", len(wrote), max(d.Quartiers, len(wrote))))
		if withheld > 0 {
			lines = append(lines, r.n("digest.summary.withheld", withheld))
		}
		if late > 0 {
			lines = append(lines, r.n("digest.summary.late", late))
		}
	}
	if g := d.Connections.Themes.Groups; len(g) > 0 {
		lines = append(lines, r.t("digest.summary.top", r.connectionTitle(g[0])))
	}
	if n := len(d.Funding.Starting.Financial) + len(d.Funding.Starting.NonFinancial); n > 0 {
		lines = append(lines, r.n("digest.summary.starting", n))
	}
	if n := len(d.Funding.Ending.Financial) + len(d.Funding.Ending.NonFinancial); n > 0 {
		lines = append(lines, r.n("digest.summary.ending", n, r.date(d.endingBy())))
	}
	lines = append(lines, r.rateLine())
	return lines
}

func (r renderer) rateLine() string {
	p := r.d.Participation
	if !p.HasRound {
		return r.t("digest.participation.none", r.month(r.d.Month))
	}
	if p.Asked == 0 {
		return r.t("digest.participation.rate_none")
	}
	return r.t("digest.participation.rate", p.RatePercent(), p.Responded(), p.Asked)
}

func (r renderer) highlights() []slack.Block {
	d := r.d
	var out []slack.Block
	var withheld []string
	for _, h := range d.Highlights {
		if h.Withheld {
			withheld = append(withheld, h.Quartier.Name)
			continue
		}
		s := blockkit.Section(r.highlightText(h))
		s.Accessory = slack.NewAccessory(blockkit.Button(ActionOpenNote, r.t("digest.highlight.open"),
			strconv.FormatInt(h.NoteID, 10)))
		out = append(out, s)
	}
	if len(d.Highlights) == 0 {
		out = append(out, blockkit.Section(r.t("digest.highlight.none", r.month(d.Month))))
	}
	for _, line := range r.nameLines("digest.highlight.withheld", withheld) {
		out = append(out, blockkit.Context(line))
	}
	var silent []string
	for _, q := range d.Silent {
		silent = append(silent, q.Name)
	}
	for _, line := range r.nameLines("digest.highlight.silent", silent) {
		out = append(out, blockkit.Context(line))
	}
	return out
}

// highlightBudget is what a highlight's quartier and excerpts may take of
// its section's 3,000 characters, leaving room for its tags.
const highlightBudget = 2400

// highlightText is a highlight in mrkdwn: the quartier, its excerpts as a
// quote, its themes and conditions.
func (r renderer) highlightText(h Highlight) string {
	var b strings.Builder
	b.WriteString("*" + blockkit.Escape(h.Quartier.Name) + "*")
	if h.Late {
		b.WriteString("  _(" + r.t("digest.highlight.late", r.month(h.Period)) + ")_")
	}
	for i, e := range h.Excerpts {
		line := "\n> " + blockkit.Escape(e.Text)
		if e.Cut {
			line += " …"
		}
		// A section holds 3,000 characters: the answers that do not fit are
		// said, never cut silently; the whole note is one click away.
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line) > highlightBudget {
			b.WriteString("\n_" + r.t("digest.highlight.more_answers", len(h.Excerpts)-i) + "_")
			break
		}
		b.WriteString(line)
	}
	if tags := r.tags(h); tags != "" {
		b.WriteString("\n_" + tags + "_")
	}
	return b.String()
}

func (r renderer) tags(h Highlight) string {
	var parts []string
	if len(h.Themes) > 0 {
		var names []string
		for _, t := range h.Themes {
			names = append(names, blockkit.Escape(t.Name(r.lang)))
		}
		parts = append(parts, r.t("digest.highlight.themes", strings.Join(names, ", ")))
	}
	if len(h.Conditions) > 0 {
		var names []string
		for _, c := range h.Conditions {
			names = append(names, c.Name(r.lang))
		}
		parts = append(parts, r.t("digest.highlight.conditions", strings.Join(names, ", ")))
	}
	return strings.Join(parts, " · ")
}

// nameLines lists names (escaped) under key's label in as many lines as
// needed for each to stay within a section: nothing is left out.
func (r renderer) nameLines(key string, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	var lines []string
	var cur []string
	used := 0
	for _, n := range names {
		n = blockkit.Escape(n)
		if len(cur) > 0 && used+len(n)+2 > listRoom {
			lines = append(lines, r.t(key, strings.Join(cur, ", ")))
			cur, used = nil, 0
		}
		cur = append(cur, n)
		used += utf8.RuneCountInString(n) + 2
	}
	return append(lines, r.t(key, strings.Join(cur, ", ")))
}

// joinCut joins items within room characters, the rest counted.
func (r renderer) joinCut(items []string, limit int) string {
	var kept []string
	used := 0
	for i, it := range items {
		n := utf8.RuneCountInString(it) + 2
		if i >= limit || used+n > listRoom-200 {
			return strings.Join(kept, ", ") + " " + r.t("digest.and_more", len(items)-i)
		}
		kept = append(kept, it)
		used += n
	}
	return strings.Join(kept, ", ")
}

func (r renderer) connectionTitle(c Connection) string {
	switch c.Kind {
	case ByTheme:
		return r.n("digest.connections.theme", len(c.Quartiers), blockkit.Escape(about(r.lang, strings.ToLower(c.Theme.Name(r.lang)))))
	case ByCondition:
		return r.n("digest.connections.condition", len(c.Quartiers), c.Condition.Name(r.lang))
	case ByFollow:
		var people []string
		for _, p := range c.Followers {
			people = append(people, mention(p))
		}
		return r.t("digest.connections.follow", blockkit.Escape(c.Theme.Name(r.lang)), r.joinCut(people, maxContacts))
	default:
		return r.n("digest.connections.initiative", len(c.Quartiers), blockkit.Escape(c.Theme.Name(r.lang)),
			blockkit.Escape(c.Funder))
	}
}

// mention is a Slack mention of a person; ids come from the directory, and
// one that is not a plain id is shown as the escaped name instead.
func mention(p Person) string {
	if p.SlackUserID != "" && strings.Trim(p.SlackUserID, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" {
		return "<@" + p.SlackUserID + ">"
	}
	return blockkit.Escape(p.Name)
}

func (r renderer) contactList(cs []Contact) string {
	var items []string
	for _, c := range cs {
		item := blockkit.Escape(c.Quartier.Name)
		if len(c.Respondents) > 0 {
			var ms []string
			for _, p := range c.Respondents {
				ms = append(ms, mention(p))
			}
			item += " (" + strings.Join(ms, " ") + ")"
		}
		items = append(items, item)
	}
	return r.joinCut(items, maxContacts)
}

func (r renderer) connections() []slack.Block {
	c := r.d.Connections
	var out []slack.Block
	kinds := []struct {
		key string
		g   Groups
	}{
		{"digest.connections.themes", c.Themes},
		{"digest.connections.conditions", c.Conditions},
		{"digest.connections.follows", c.Follows},
		{"digest.connections.initiatives", c.Initiatives},
	}
	any := false
	for _, k := range kinds {
		if len(k.g.Groups) == 0 {
			continue
		}
		any = true
		out = append(out, blockkit.Section("*"+r.t(k.key)+"*"))
		for _, g := range k.g.Groups {
			out = append(out, blockkit.Section(r.connectionText(g)))
		}
		if k.g.More > 0 {
			out = append(out, blockkit.Context(r.n("digest.connections.more", k.g.More)))
		}
	}
	if !any {
		out = append(out, blockkit.Section(r.t("digest.connections.none")))
	}
	if len(c.Follows.Groups) == 0 {
		out = append(out, blockkit.Context(r.t("digest.connections.follow_hint")))
	}
	return out
}

func (r renderer) connectionText(g Connection) string {
	status := r.t("digest.connections.new")
	if g.Continuing {
		status = r.t("digest.connections.continuing")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "• *%s* _(%s)_\n", r.connectionTitle(g), status)
	switch g.Kind {
	case ByFollow:
		b.WriteString(r.n("digest.connections.follow_quartiers", len(g.Quartiers), r.contactList(g.Quartiers)))
	case ByInitiative:
		var items []string
		for _, i := range g.Initiatives {
			items = append(items, blockkit.Escape(i.Quartier+" — "+i.Title))
		}
		b.WriteString(r.joinCut(items, maxContacts/2) + "\n")
		b.WriteString(r.t("digest.connections.contacts", r.contactList(g.Quartiers)))
	default:
		b.WriteString(r.t("digest.connections.contacts", r.contactList(g.Quartiers)))
	}
	return b.String()
}

func (r renderer) grantLine(g Grant) string {
	where := g.Quartier
	if where == "" {
		where = r.t("digest.funding.regional")
	}
	what := g.InitiativeTitle
	if g.Description != "" {
		what += " (" + g.Description + ")"
	}
	return r.t("digest.funding.line", r.date(g.Start), r.date(g.End), i18n.Money(r.lang, g.Cents),
		blockkit.Escape(g.Funder), blockkit.Escape(where+" — "+what))
}

func (r renderer) funding() []slack.Block {
	f := r.d.Funding
	var out []slack.Block
	for _, list := range []struct {
		title string
		g     Grants
	}{
		{r.t("digest.funding.starting", r.month(r.d.Month)), f.Starting},
		{r.t("digest.funding.ending", r.date(r.d.endingBy())), f.Ending},
	} {
		out = append(out, blockkit.Section("*"+list.title+"*"))
		for _, kind := range []struct {
			key    string
			grants []Grant
		}{{"digest.funding.financial", list.g.Financial}, {"digest.funding.non_financial", list.g.NonFinancial}} {
			lines := []string{"_" + r.t(kind.key) + "_"}
			if len(kind.grants) == 0 {
				lines = append(lines, r.t("digest.funding.none"))
			}
			for i, g := range kind.grants {
				if i == maxGrantLines {
					lines = append(lines, r.n("digest.funding.more", len(kind.grants)-i))
					break
				}
				lines = append(lines, "• "+r.grantLine(g))
			}
			out = append(out, sections(lines)...)
		}
	}
	return out
}

// sections puts lines in as many sections as their length needs.
func sections(lines []string) []slack.Block {
	var out []slack.Block
	var cur []string
	used := 0
	for _, l := range lines {
		n := utf8.RuneCountInString(l) + 1
		if len(cur) > 0 && used+n > listRoom {
			out = append(out, blockkit.Section(strings.Join(cur, "\n")))
			cur, used = nil, 0
		}
		cur = append(cur, l)
		used += n
	}
	if len(cur) > 0 {
		out = append(out, blockkit.Section(strings.Join(cur, "\n")))
	}
	return out
}

func (r renderer) systemsRow(label string, counts [4]int) string {
	return fmt.Sprintf("%s : %d · %d · %d · *%d*", label, counts[0], counts[1], counts[2], counts[3])
}

func (r renderer) systems() []slack.Block {
	s := r.d.Systems
	lines := []string{r.t("digest.systems.intro", r.month(s.Months[0]), r.month(s.Months[3]))}
	lines = append(lines, "• "+r.systemsRow(r.t("digest.systems.notes"), s.Notes))
	for _, c := range s.Counts {
		lines = append(lines, "• "+r.systemsRow(c.Condition.Name(r.lang), c.Counts))
	}
	if r.lang == domain.English {
		for i := range lines {
			lines[i] = strings.Replace(lines[i], " : ", ": ", 1)
		}
	}
	return sections(lines)
}

func (r renderer) participation() []slack.Block {
	p := r.d.Participation
	if !p.HasRound {
		return []slack.Block{blockkit.Section(r.rateLine())}
	}
	head := r.t("digest.participation.round", blockkit.Escape(p.Schedule))
	if p.Open {
		head += " " + r.t("digest.participation.open")
	}
	out := []slack.Block{blockkit.Section(head + "\n" + r.rateLine() + "\n" +
		r.t("digest.participation.counts", p.Answered, p.NothingToReport, p.Skipped, p.NotAnswered))}
	for _, l := range []struct {
		key   string
		names []string
	}{
		{"digest.participation.not_answered", p.NotAnsweredNames},
		{"digest.participation.skipped", p.SkippedNames},
		{"digest.participation.nothing", p.NothingNames},
		{"digest.participation.answered", p.AnsweredNames},
	} {
		for _, line := range r.nameLines(l.key, l.names) {
			out = append(out, blockkit.Section(line))
		}
	}
	return out
}

// about is a theme as the object of "parlent de": French elides "de" before
// a vowel or a mute h ("d'aménagement urbain"); English needs no word.
func about(lang domain.Language, theme string) string {
	if lang == domain.English {
		return theme
	}
	if r, _ := utf8.DecodeRuneInString(theme); strings.ContainsRune("aàâeéèêëiîïoôuùûyh", r) {
		return "d'" + theme
	}
	return "de " + theme
}
