package blockkit

import (
	"strings"

	"github.com/slack-go/slack"
)

// Header returns a header block: plain text on one line, at most 150
// characters. Text is shown as is (plain_text makes no mention or link), so it
// needs no Escape.
func Header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plainText(text, MaxHeaderText))
}

// Section returns a section block of mrkdwn, at most 3000 characters.
// Escape the data that goes into it.
func Section(mrkdwn string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwnText(mrkdwn, MaxSectionText), nil, nil)
}

// Fields returns one section with text (which may be empty) and fields shown
// in two columns, or several sections when there are more than 10 fields:
// the first carries the text, the next ones 10 fields each. Each field is
// mrkdwn of at most 2000 characters; empty fields are left out, since Slack
// refuses empty text.
func Fields(text string, fields ...string) []slack.Block {
	var objs []*slack.TextBlockObject
	for _, f := range fields {
		if o := mrkdwnText(f, MaxFieldText); o.Text != "" {
			objs = append(objs, o)
		}
	}
	var head *slack.TextBlockObject
	if o := mrkdwnText(text, MaxSectionText); o.Text != "" {
		head = o
	}
	if head == nil && len(objs) == 0 {
		return nil
	}
	var out []slack.Block
	for first := true; first || len(objs) > 0; first = false {
		n := min(len(objs), MaxFields)
		s := slack.NewSectionBlock(nil, objs[:n:n], nil)
		if first {
			s.Text = head
		}
		if n == 0 {
			s.Fields = nil
		}
		out = append(out, s)
		objs = objs[n:]
	}
	return out
}

// Context returns a context block of mrkdwn elements (small grey text). Empty
// elements are left out; past 10, the rest are joined into the tenth so
// nothing is lost silently.
func Context(elements ...string) *slack.ContextBlock {
	var texts []string
	for _, e := range elements {
		if e = clean(e, false); e != "" {
			texts = append(texts, e)
		}
	}
	if len(texts) > MaxContextElements {
		last := MaxContextElements - 1
		texts = append(texts[:last], strings.Join(texts[last:], " · "))
	}
	mixed := make([]slack.MixedElement, 0, len(texts))
	for _, t := range texts {
		mixed = append(mixed, mrkdwnText(t, MaxTextObject))
	}
	return slack.NewContextBlock("", mixed...)
}

// Button returns a button whose label is cut to 75 characters. actionID and
// value are identifiers the click brings back, so they are never altered:
// keep them within 255 and 2000 characters (a page cursor, an ID). Fit drops
// a button that breaks those limits and Validate reports it.
func Button(actionID, text, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plainText(text, MaxButtonText))
}

// Actions returns an actions block holding at most 25 elements (nil ones are
// skipped). A blockID over 255 characters is left out: Slack then assigns
// one, and Relais routes clicks on action_id anyway.
func Actions(blockID string, elements ...slack.BlockElement) *slack.ActionBlock {
	kept := make([]slack.BlockElement, 0, len(elements))
	for _, e := range elements {
		if isNilElement(e) {
			continue
		}
		if len(kept) == MaxActionsElements {
			break
		}
		kept = append(kept, e)
	}
	if runes(blockID) > MaxBlockID {
		blockID = ""
	}
	return slack.NewActionBlock(blockID, kept...)
}

// Divider returns a divider block.
func Divider() *slack.DividerBlock { return slack.NewDividerBlock() }

func plainText(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, TruncatePlain(strings.TrimSpace(clean(s, true)), max), true, false)
}

func mrkdwnText(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, Truncate(clean(s, false), max), false, false)
}

func isNilElement(e slack.BlockElement) bool {
	if e == nil {
		return true
	}
	if b, ok := e.(*slack.ButtonBlockElement); ok && b == nil {
		return true
	}
	return false
}
