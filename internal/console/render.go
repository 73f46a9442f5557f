package console

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
)

// Choice is a button Render numbered: typing its number clicks it.
type Choice struct {
	Label    string
	ActionID string
	Value    string
	BlockID  string
	URL      string
}

const (
	ruleWidth = 40
	// maxLeftColumn caps the left column of fields, so one long field does
	// not push the right column off the screen.
	maxLeftColumn = 40
)

// Render writes reply as terminal text and returns its buttons in the order
// it numbered them ([1], [2]…). A reply without blocks shows its Text. With
// color off, no ANSI sequence is written, so output can be piped or diffed.
func Render(w io.Writer, reply commands.Reply, color bool) ([]Choice, error) {
	r := &renderer{color: color}
	if len(reply.Blocks) == 0 {
		r.lines(mrkdwn(reply.Text, color), "")
	}
	for _, b := range reply.Blocks {
		if r.buf.Len() > 0 {
			r.buf.WriteString("\n")
		}
		r.block(b)
	}
	_, err := io.WriteString(w, r.buf.String())
	return r.choices, err
}

type renderer struct {
	color   bool
	buf     strings.Builder
	choices []Choice
}

func (r *renderer) style(on, s string) string {
	if !r.color || s == "" {
		return s
	}
	return on + s + ansiReset
}

// lines writes s line by line, each prefixed with indent.
func (r *renderer) lines(s, indent string) {
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		r.buf.WriteString(strings.TrimRight(indent+l, " \t") + "\n")
	}
}

func text(o *slack.TextBlockObject, color bool) string {
	if o == nil {
		return ""
	}
	if o.Type == slack.PlainTextType {
		return plain(o.Text)
	}
	return mrkdwn(o.Text, color)
}

func (r *renderer) block(b slack.Block) {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		r.header(b)
	case slack.HeaderBlock:
		r.header(&b)
	case *slack.SectionBlock:
		r.section(b)
	case slack.SectionBlock:
		r.section(&b)
	case *slack.ContextBlock:
		r.context(b)
	case slack.ContextBlock:
		r.context(&b)
	case *slack.ActionBlock:
		r.actions(b)
	case slack.ActionBlock:
		r.actions(&b)
	case *slack.DividerBlock, slack.DividerBlock:
		r.buf.WriteString(strings.Repeat("─", ruleWidth) + "\n")
	case *slack.ImageBlock:
		if b != nil {
			r.lines(fmt.Sprintf("[image: %s] %s", plain(b.AltText), plain(b.ImageURL)), "")
		}
	case *slack.MarkdownBlock:
		if b != nil {
			r.lines(plain(b.Text), "")
		}
	default:
		if !isNil(b) {
			r.lines(fmt.Sprintf("[%s]", plain(string(b.BlockType()))), "")
		}
	}
}

// isNil reports a nil block or element, typed nil pointers included (calling a method
// on one would panic).
func isNil(x any) bool {
	if x == nil {
		return true
	}
	v := reflect.ValueOf(x)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func (r *renderer) header(h *slack.HeaderBlock) {
	if h == nil || h.Text == nil {
		return
	}
	t := strings.ToUpper(strings.Join(strings.Fields(plain(h.Text.Text)), " "))
	r.buf.WriteString(r.style(ansiBold, t) + "\n")
	r.buf.WriteString(strings.Repeat("=", width(t)) + "\n")
}

func (r *renderer) section(s *slack.SectionBlock) {
	if s == nil {
		return
	}
	if t := text(s.Text, r.color); t != "" {
		r.lines(t, "")
	}
	r.fields(s.Fields)
	if s.Accessory != nil && s.Accessory.ButtonElement != nil {
		r.buf.WriteString("  " + r.button(s.Accessory.ButtonElement, s.BlockID) + "\n")
	}
}

// fields lays fields out in two columns, as Slack does: the left column is
// padded to its widest line.
func (r *renderer) fields(fs []*slack.TextBlockObject) {
	if len(fs) == 0 {
		return
	}
	cells := make([][]string, len(fs))
	left := 0
	for i, f := range fs {
		cells[i] = strings.Split(strings.TrimRight(text(f, r.color), "\n"), "\n")
		if i%2 == 0 && i+1 < len(fs) {
			for _, l := range cells[i] {
				left = max(left, min(width(l), maxLeftColumn))
			}
		}
	}
	for i := 0; i < len(cells); i += 2 {
		if i+1 == len(cells) {
			for _, l := range cells[i] {
				r.buf.WriteString(strings.TrimRight("  "+l, " ") + "\n")
			}
			break
		}
		a, b := cells[i], cells[i+1]
		for k := range max(len(a), len(b)) {
			var la, lb string
			if k < len(a) {
				la = a[k]
			}
			if k < len(b) {
				lb = b[k]
			}
			pad := strings.Repeat(" ", max(0, left-width(la)))
			r.buf.WriteString(strings.TrimRight("  "+la+pad+"   "+lb, " ") + "\n")
		}
	}
}

func (r *renderer) context(c *slack.ContextBlock) {
	if c == nil {
		return
	}
	var parts []string
	for _, e := range c.ContextElements.Elements {
		switch e := e.(type) {
		case *slack.TextBlockObject:
			if t := text(e, false); t != "" { // dim already; inner styles would cancel it
				parts = append(parts, t)
			}
		case *slack.ImageBlockElement:
			if e != nil {
				parts = append(parts, "["+plain(e.AltText)+"]")
			}
		}
	}
	if len(parts) == 0 {
		return
	}
	for _, l := range strings.Split(strings.Join(parts, " · "), "\n") {
		r.buf.WriteString(strings.TrimRight("  "+r.style(ansiDim, l), " ") + "\n")
	}
}

func (r *renderer) actions(a *slack.ActionBlock) {
	if a == nil || a.Elements == nil {
		return
	}
	var parts []string
	for _, e := range a.Elements.ElementSet {
		switch e := e.(type) {
		case *slack.ButtonBlockElement:
			if e != nil {
				parts = append(parts, r.button(e, a.BlockID))
			}
		default:
			if !isNil(e) {
				parts = append(parts, fmt.Sprintf("[%s]", plain(string(e.ElementType()))))
			}
		}
	}
	if len(parts) > 0 {
		r.buf.WriteString(strings.Join(parts, "   ") + "\n")
	}
}

// button numbers b and remembers it.
func (r *renderer) button(b *slack.ButtonBlockElement, blockID string) string {
	label := ""
	if b.Text != nil {
		label = strings.Join(strings.Fields(plain(b.Text.Text)), " ")
	}
	r.choices = append(r.choices, Choice{Label: label, ActionID: b.ActionID, Value: b.Value, BlockID: blockID, URL: b.URL})
	s := r.style(ansiCyan, fmt.Sprintf("[%d]", len(r.choices))) + " " + label
	if b.URL != "" {
		s += " (" + plain(b.URL) + ")"
	}
	return s
}
