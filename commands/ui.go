package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/store"
)

// Thin names for the blockkit builders the handlers use on every line.
var (
	esc          = blockkit.Escape
	header       = func(s string) slack.Block { return blockkit.Header(angles.Replace(s)) }
	section      = func(s string) slack.Block { return blockkit.Section(s) }
	divider      = func() slack.Block { return blockkit.Divider() }
	contextBlock = func(s string) slack.Block { return blockkit.Context(s) }
)

// angles keeps headers, which may echo what a user typed, from ever carrying
// Slack's <…> syntax; plain_text shows them as is, so look-alikes are used.
var angles = strings.NewReplacer("<", "‹", ">", "›")

// fieldsSection lays short label/value pairs out in columns.
func fieldsSection(fields []string) []slack.Block { return blockkit.Fields("", fields...) }

// sections packs lines into as few section blocks as fit, never splitting a line.
func sections(lines []string) []slack.Block {
	var out []slack.Block
	var cur strings.Builder
	for _, l := range lines {
		if cur.Len() > 0 && len([]rune(cur.String()))+1+len([]rune(l)) > blockkit.MaxSectionText {
			out = append(out, section(cur.String()))
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		out = append(out, section(cur.String()))
	}
	return out
}

func textReply(s string) Reply { return Reply{Text: s, Blocks: []slack.Block{section(s)}} }

// pager shows where the caller is in a long list and the buttons to move.
func pager(r *Request, total, perPage int) []slack.Block {
	pages := (total + perPage - 1) / perPage
	if pages <= 1 {
		return nil
	}
	blocks := []slack.Block{contextBlock(r.T("page.position", r.Page+1, pages))}
	var buttons []slack.BlockElement
	if r.Page > 0 {
		buttons = append(buttons, blockkit.Button(ActionPage+":prev", r.T("page.previous"), r.buttonValue(r.Page-1)))
	}
	if r.Page+1 < pages {
		buttons = append(buttons, blockkit.Button(ActionPage+":next", r.T("page.next"), r.buttonValue(r.Page+1)))
	}
	return append(blocks, blockkit.Actions("pic_pager", buttons...))
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// fit finishes every reply: a share button on private answers that have a
// partnership view, who shared on shared ones, and Slack's limits enforced.
func fit(r *Request, reply Reply) Reply {
	if reply.OpenModal != nil && reply.Text == "" && len(reply.Blocks) == 0 {
		return reply // the modal is the answer: no message besides
	}
	if r.Command != nil && r.Command.Shareable() && len(reply.Blocks) > 1 {
		if r.Shared {
			if slackUserID.MatchString(r.SharedBy) {
				reply.Blocks = append(reply.Blocks, contextBlock(r.T("share.by", r.SharedBy)))
			}
		} else if value := r.buttonValue(r.Page); len(value) <= blockkit.MaxButtonValue {
			reply.Blocks = append(reply.Blocks, blockkit.Actions("pic_share",
				blockkit.Button(ActionShare, r.T("share.button"), value)))
		}
	}
	reply.Text, reply.Blocks = blockkit.Fit(neutralize(reply.Text), reply.Blocks, r.T("reply.cut"))
	return reply
}

// renewBlockIDs gives every block of a reply that replaces a message a new
// block_id: Slack asks for it, and keeps the old blocks' state otherwise.
func renewBlockIDs(blocks []slack.Block) {
	suffix := "." + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for i, b := range blocks {
		id := b.ID()
		if id == "" {
			id = "b" + strconv.Itoa(i)
		}
		if base, _, found := strings.Cut(id, "."); found {
			id = base
		}
		if len(id) > blockkit.MaxBlockID-len(suffix) {
			id = id[:blockkit.MaxBlockID-len(suffix)]
		}
		blockkit.SetBlockID(b, id+suffix)
	}
}

// neutralize is the fallback's last guard: handlers escape the data they put
// in it, and a raw "<!channel>" that slipped through would still notify
// everyone. Only < and > are escaped, so escaped text is left as it is.
func neutralize(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// storeActor is who the audit log records for a request's writes.
func storeActor(r *Request) store.Actor { return store.SlackActor(r.Caller.SlackUserID) }

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("time zone %s: %v (the binary embeds time/tzdata)", name, err))
	}
	return loc
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
