package blockkit

import (
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
)

// Message is one Slack message: the plain-text fallback and its blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Fit makes one message out of text and blocks, within every limit: each
// block is repaired (see the package doc), and when the blocks are too many
// (over 50) or hold too much text (over MaxBlocksText) the tail is cut and a
// context block with notice is added (CutNotice when notice is empty).
// An empty text is derived from the first header and section, since
// notifications and screen readers show only it. The caller's blocks are not
// modified. Use it for replies that must stay one message (an ack, a
// response_url answer, a ReplaceOriginal page).
func Fit(text string, blocks []slack.Block, notice string) (string, []slack.Block) {
	bs := normalize(blocks)
	total := 0
	for _, b := range bs {
		total += textLen(b)
	}
	if len(bs) > MaxMessageBlocks || total > MaxBlocksText {
		if notice = strings.TrimSpace(clean(notice, false)); notice == "" {
			notice = CutNotice
		}
		note := Context(notice)
		room := MaxBlocksText - textLen(note)
		kept, used := 0, 0
		for _, b := range bs {
			n := textLen(b)
			if kept == MaxMessageBlocks-1 || used+n > room {
				break
			}
			kept++
			used += n
		}
		bs = append(trimOrphans(bs[:kept]), note)
	}
	dedupeBlockIDs(bs)
	return fitText(text, bs), bs
}

// Split spreads text and blocks over as many messages as needed for each to
// stay within every limit, for long replies such as digests that are posted
// as several messages or in a thread. Nothing is cut, except what Fit would
// repair in each block. The first message carries text; the others get a text
// derived from their own blocks. It always returns at least one message.
func Split(text string, blocks []slack.Block) []Message {
	bs := normalize(blocks)
	var chunks [][]slack.Block
	var cur []slack.Block
	used := 0
	for _, b := range bs {
		n := textLen(b)
		if len(cur) > 0 && (len(cur) == MaxMessageBlocks || used+n > MaxBlocksText) {
			// A header belongs with what follows it: carry trailing headers
			// over, unless the next message would then be too full.
			keep := trimOrphans(cur)
			var carry []slack.Block
			carried := 0
			for _, c := range cur[len(keep):] {
				if isHeader(c) {
					carry = append(carry, c)
					carried += textLen(c)
				}
			}
			if len(keep) == 0 || carried+n > MaxBlocksText {
				keep, carry, carried = cur, nil, 0
			}
			chunks = append(chunks, keep)
			cur, used = carry, carried
		}
		if len(cur) == 0 && isDivider(b) && len(chunks) > 0 {
			continue // a continuation does not open on a rule
		}
		cur = append(cur, b)
		used += n
	}
	if len(cur) > 0 || len(chunks) == 0 {
		chunks = append(chunks, cur)
	}
	out := make([]Message, 0, len(chunks))
	for i, c := range chunks {
		dedupeBlockIDs(c)
		t := ""
		if i == 0 {
			t = text
		}
		out = append(out, Message{Text: fitText(t, c), Blocks: c})
	}
	return out
}

// fitText cleans and cuts the fallback text, deriving it from the blocks when
// it is empty.
func fitText(text string, blocks []slack.Block) string {
	text = strings.TrimSpace(clean(text, false))
	if text == "" {
		text = deriveText(blocks)
	}
	return Truncate(text, MaxMessageText)
}

// deriveText builds a fallback from the first header and the first section
// text (or field). The fallback is mrkdwn, so header text is escaped.
func deriveText(blocks []slack.Block) string {
	var head, body string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if head == "" && b.Text != nil {
				head = Escape(b.Text.Text)
			}
		case *slack.SectionBlock:
			if body == "" {
				if b.Text != nil && b.Text.Text != "" {
					body = b.Text.Text
				} else if len(b.Fields) > 0 {
					body = b.Fields[0].Text
				}
			}
		}
	}
	t := strings.TrimSpace(strings.Join(nonEmpty(head, body), "\n"))
	if t == "" {
		return fallbackText
	}
	return Truncate(t, MaxSectionText)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// trimOrphans drops trailing headers and dividers: a title or a rule with
// nothing under it before a cut or a split reads as a mistake.
func trimOrphans(bs []slack.Block) []slack.Block {
	for len(bs) > 0 && (isHeader(bs[len(bs)-1]) || isDivider(bs[len(bs)-1])) {
		bs = bs[:len(bs)-1]
	}
	return bs
}

func isHeader(b slack.Block) bool  { _, ok := b.(*slack.HeaderBlock); return ok }
func isDivider(b slack.Block) bool { _, ok := b.(*slack.DividerBlock); return ok }

// dedupeBlockIDs clears a block_id already used earlier in the message, which
// Slack refuses. Only blocks normalize copied are touched.
func dedupeBlockIDs(bs []slack.Block) {
	seen := map[string]bool{}
	for _, b := range bs {
		id := b.ID()
		if id == "" {
			continue
		}
		if seen[id] {
			SetBlockID(b, "")
		}
		seen[id] = true
	}
}

// SetBlockID sets the block_id of the block types Relais builds (header,
// section, context, actions, divider); other types are left as they are.
func SetBlockID(b slack.Block, id string) {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		b.BlockID = id
	case *slack.SectionBlock:
		b.BlockID = id
	case *slack.ContextBlock:
		b.BlockID = id
	case *slack.ActionBlock:
		b.BlockID = id
	case *slack.DividerBlock:
		b.BlockID = id
	}
}

// normalize returns repaired copies of the blocks Relais builds (header,
// section, context, actions, divider) and passes other types through as they
// are. Values and pointers are both accepted; nil blocks are dropped.
func normalize(blocks []slack.Block) []slack.Block {
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		out = append(out, normalizeBlock(b)...)
	}
	return out
}

func normalizeBlock(b slack.Block) []slack.Block {
	if isNilBlock(b) {
		return nil
	}
	switch v := asPointer(b).(type) {
	case *slack.HeaderBlock:
		return normHeader(*v)
	case *slack.SectionBlock:
		return normSection(*v)
	case *slack.ContextBlock:
		return normContext(*v)
	case *slack.ActionBlock:
		return normActions(*v)
	case *slack.DividerBlock:
		return []slack.Block{&slack.DividerBlock{Type: slack.MBTDivider, BlockID: fitBlockID(v.BlockID)}}
	}
	return []slack.Block{b}
}

// asPointer turns a block passed by value into a pointer to a copy, so the
// type switches elsewhere need only the pointer cases.
func asPointer(b slack.Block) slack.Block {
	switch v := b.(type) {
	case slack.HeaderBlock:
		return &v
	case slack.SectionBlock:
		return &v
	case slack.ContextBlock:
		return &v
	case slack.ActionBlock:
		return &v
	case slack.DividerBlock:
		return &v
	}
	return b
}

func fitBlockID(id string) string {
	if runes(id) > MaxBlockID {
		return ""
	}
	return id
}

func normHeader(h slack.HeaderBlock) []slack.Block {
	if h.Text == nil {
		return nil
	}
	t := plainText(h.Text.Text, MaxHeaderText)
	if t.Text == "" {
		return nil
	}
	h.Type, h.Text, h.BlockID = slack.MBTHeader, t, fitBlockID(h.BlockID)
	return []slack.Block{&h}
}

// fitTextObject copies a text object with its text cleaned and cut to max,
// keeping its type; nil when nothing is left.
func fitTextObject(o *slack.TextBlockObject, max int) *slack.TextBlockObject {
	if o == nil {
		return nil
	}
	c := *o
	if c.Type == slack.PlainTextType {
		c.Text = TruncatePlain(clean(c.Text, false), max)
	} else {
		c.Type, c.Emoji = slack.MarkdownType, nil
		c.Text = Truncate(clean(c.Text, false), max)
	}
	if strings.TrimSpace(c.Text) == "" {
		return nil
	}
	return &c
}

func normSection(s slack.SectionBlock) []slack.Block {
	s.Type, s.BlockID = slack.MBTSection, fitBlockID(s.BlockID)
	s.Text = fitTextObject(s.Text, MaxSectionText)
	var fields []*slack.TextBlockObject
	for _, f := range s.Fields {
		if f := fitTextObject(f, MaxFieldText); f != nil {
			fields = append(fields, f)
		}
	}
	s.Fields = nil
	if s.Accessory != nil {
		acc := *s.Accessory
		if acc.ButtonElement != nil {
			acc.ButtonElement = fitButton(acc.ButtonElement)
		}
		s.Accessory = &acc
		if acc == (slack.Accessory{}) {
			s.Accessory = nil // its button could not be kept
		}
	}
	if s.Text == nil && len(fields) == 0 {
		return nil // Slack wants text or fields, whatever the accessory
	}
	// Past 10 fields or the text budget, continue in further sections.
	var out []slack.Block
	cur := &s
	used := textLen(cur)
	for _, f := range fields {
		n := runes(f.Text)
		started := cur.Text != nil || len(cur.Fields) > 0
		if len(cur.Fields) == MaxFields || started && used+n > MaxBlocksText {
			out = append(out, cur)
			cur = &slack.SectionBlock{Type: slack.MBTSection}
			used = 0
		}
		cur.Fields = append(cur.Fields, f)
		used += n
	}
	return append(out, cur)
}

func normContext(c slack.ContextBlock) []slack.Block {
	c.Type, c.BlockID = slack.MBTContext, fitBlockID(c.BlockID)
	var els []slack.MixedElement
	left := MaxBlocksText
	for _, e := range c.ContextElements.Elements {
		if len(els) == MaxContextElements {
			break
		}
		switch e := e.(type) {
		case *slack.TextBlockObject:
			if e == nil || left <= 1 {
				continue
			}
			if t := fitTextObject(e, min(MaxTextObject, left)); t != nil {
				els = append(els, t)
				left -= runes(t.Text)
			}
		case nil:
		default:
			els = append(els, e)
		}
	}
	if len(els) == 0 {
		return nil
	}
	c.ContextElements = slack.ContextElements{Elements: els}
	return []slack.Block{&c}
}

func normActions(a slack.ActionBlock) []slack.Block {
	a.Type, a.BlockID = slack.MBTAction, fitBlockID(a.BlockID)
	var els []slack.BlockElement
	seen := map[string]bool{}
	if a.Elements != nil {
		for _, e := range a.Elements.ElementSet {
			if len(els) == MaxActionsElements {
				break
			}
			if isNilElement(e) {
				continue
			}
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				if btn = fitButton(btn); btn == nil {
					continue
				}
				e = btn
			}
			// Slack wants action_ids unique within a block.
			if id := actionID(e); id != "" {
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			els = append(els, e)
		}
	}
	if len(els) == 0 {
		return nil
	}
	a.Elements = &slack.BlockElements{ElementSet: els}
	return []slack.Block{&a}
}

// fitButton returns a copy of b with its label cut to 75 characters, or nil
// when the button cannot be sent as is: no label, or an identifier too long.
func fitButton(b *slack.ButtonBlockElement) *slack.ButtonBlockElement {
	if b == nil || runes(b.ActionID) > MaxActionID || runes(b.Value) > MaxButtonValue || runes(b.URL) > MaxButtonURL || b.Text == nil {
		return nil
	}
	c := *b
	c.Type = slack.METButton
	c.Text = plainText(b.Text.Text, MaxButtonText)
	if c.Text.Text == "" {
		return nil
	}
	return &c
}

func actionID(e slack.BlockElement) string {
	switch e := e.(type) {
	case *slack.ButtonBlockElement:
		return e.ActionID
	case *slack.SelectBlockElement:
		return e.ActionID
	case *slack.OverflowBlockElement:
		return e.ActionID
	case *slack.DatePickerBlockElement:
		return e.ActionID
	}
	return ""
}

// textLen is how much a block weighs against MaxBlocksText: the characters of
// its text objects. Block types Relais does not build are weighed by their
// whole JSON, which errs on the safe side.
func textLen(b slack.Block) int {
	n := 0
	switch b := asPointer(b).(type) {
	case *slack.HeaderBlock:
		if b.Text != nil {
			n += runes(b.Text.Text)
		}
	case *slack.SectionBlock:
		if b.Text != nil {
			n += runes(b.Text.Text)
		}
		for _, f := range b.Fields {
			if f != nil {
				n += runes(f.Text)
			}
		}
		if b.Accessory != nil && b.Accessory.ButtonElement != nil && b.Accessory.ButtonElement.Text != nil {
			n += runes(b.Accessory.ButtonElement.Text.Text)
		}
	case *slack.ContextBlock:
		for _, e := range b.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok && t != nil {
				n += runes(t.Text)
			}
		}
	case *slack.ActionBlock:
		if b.Elements != nil {
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn != nil && btn.Text != nil {
					n += runes(btn.Text.Text)
				}
			}
		}
	case *slack.DividerBlock:
	default:
		if j, err := json.Marshal(b); err == nil {
			n += runes(string(j))
		}
	}
	return n
}
