package blockkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/slack-go/slack"
)

// Validate reports every Block Kit limit that blocks break as one message:
// at most 50 blocks, the per-element limits, unique block_ids, a total text
// within MaxBlocksText, and JSON marshalling. It repairs nothing (Fit does);
// tests call it on what handlers build. nil means Slack should accept them.
func Validate(blocks []slack.Block) error {
	return validate(blocks, MaxMessageBlocks, true)
}

// ValidateMessage is Validate plus the checks on the fallback text: present
// (notifications and screen readers show only it) and within 40,000 characters.
func ValidateMessage(text string, blocks []slack.Block) error {
	var errs []error
	if strings.TrimSpace(text) == "" {
		errs = append(errs, errors.New("text: empty; the fallback text is required"))
	} else if n := runes(text); n > MaxMessageText {
		errs = append(errs, fmt.Errorf("text: %d characters, limit %d", n, MaxMessageText))
	}
	errs = append(errs, Validate(blocks))
	return errors.Join(errs...)
}

// ValidateView is Validate for a modal or the App Home tab: up to 100 blocks,
// and no message text budget.
func ValidateView(blocks []slack.Block) error {
	return validate(blocks, MaxViewBlocks, false)
}

type checker struct{ errs []error }

func (c *checker) add(where, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
}

// limit reports s when longer than max characters.
func (c *checker) limit(where, what, s string, max int) {
	if n := runes(s); n > max {
		c.add(where, "%s is %d characters, limit %d", what, n, max)
	}
}

// text checks a text object: present, non-empty, of the right type, within max.
func (c *checker) text(where, what string, o *slack.TextBlockObject, max int, plainOnly bool) {
	switch {
	case o == nil:
		c.add(where, "%s is missing", what)
		return
	case strings.TrimSpace(o.Text) == "":
		c.add(where, "%s is empty", what)
	case plainOnly && o.Type != slack.PlainTextType:
		c.add(where, "%s must be plain_text, not %q", what, o.Type)
	case o.Type != slack.PlainTextType && o.Type != slack.MarkdownType:
		c.add(where, "%s has type %q", what, o.Type)
	}
	c.limit(where, what, o.Text, max)
}

func validate(blocks []slack.Block, maxBlocks int, message bool) error {
	c := &checker{}
	if len(blocks) > maxBlocks {
		c.add("blocks", "%d blocks, limit %d", len(blocks), maxBlocks)
	}
	ids := map[string]int{}
	total := 0
	for i, b := range blocks {
		b = asPointer(b)
		if isNilBlock(b) {
			c.add(fmt.Sprintf("block %d", i), "nil block")
			continue
		}
		where := fmt.Sprintf("block %d (%s)", i, b.BlockType())
		if id := b.ID(); id != "" {
			c.limit(where, "block_id", id, MaxBlockID)
			if j, dup := ids[id]; dup {
				c.add(where, "block_id %q already used by block %d", id, j)
			}
			ids[id] = i
		}
		c.block(where, b)
		total += textLen(b)
		if _, err := json.Marshal(b); err != nil {
			c.add(where, "does not marshal to JSON: %v", err)
		}
	}
	if message && total > MaxBlocksText {
		c.add("blocks", "%d characters of text in all, budget %d (msg_blocks_too_long)", total, MaxBlocksText)
	}
	return errors.Join(c.errs...)
}

func (c *checker) block(where string, b slack.Block) {
	switch b := b.(type) {
	case *slack.HeaderBlock:
		c.text(where, "text", b.Text, MaxHeaderText, true)
	case *slack.SectionBlock:
		if b.Text == nil && len(b.Fields) == 0 {
			c.add(where, "has neither text nor fields")
		}
		if b.Text != nil {
			c.text(where, "text", b.Text, MaxSectionText, false)
		}
		if len(b.Fields) > MaxFields {
			c.add(where, "%d fields, limit %d", len(b.Fields), MaxFields)
		}
		for j, f := range b.Fields {
			c.text(where, fmt.Sprintf("field %d", j), f, MaxFieldText, false)
		}
		if b.Accessory != nil && b.Accessory.ButtonElement != nil {
			c.button(where+" accessory", b.Accessory.ButtonElement)
		}
	case *slack.ContextBlock:
		els := b.ContextElements.Elements
		if len(els) == 0 {
			c.add(where, "has no elements")
		}
		if len(els) > MaxContextElements {
			c.add(where, "%d elements, limit %d", len(els), MaxContextElements)
		}
		for j, e := range els {
			if t, ok := e.(*slack.TextBlockObject); ok {
				c.text(where, fmt.Sprintf("element %d", j), t, MaxTextObject, false)
			} else if e == nil {
				c.add(where, "element %d is nil", j)
			}
		}
	case *slack.ActionBlock:
		var els []slack.BlockElement
		if b.Elements != nil {
			els = b.Elements.ElementSet
		}
		if len(els) == 0 {
			c.add(where, "has no elements")
		}
		if len(els) > MaxActionsElements {
			c.add(where, "%d elements, limit %d", len(els), MaxActionsElements)
		}
		seen := map[string]int{}
		for j, e := range els {
			ew := fmt.Sprintf("%s element %d", where, j)
			if isNilElement(e) {
				c.add(ew, "nil element")
				continue
			}
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				c.button(ew, btn)
			}
			if id := actionID(e); id != "" {
				if k, dup := seen[id]; dup {
					c.add(ew, "action_id %q already used by element %d", id, k)
				}
				seen[id] = j
			}
		}
	}
}

func (c *checker) button(where string, b *slack.ButtonBlockElement) {
	c.text(where, "text", b.Text, MaxButtonText, true)
	c.limit(where, "action_id", b.ActionID, MaxActionID)
	c.limit(where, "value", b.Value, MaxButtonValue)
	c.limit(where, "url", b.URL, MaxButtonURL)
}

// isNilBlock reports a nil block, including a typed nil pointer, on which
// even BlockType() would panic.
func isNilBlock(b slack.Block) bool {
	if b == nil {
		return true
	}
	v := reflect.ValueOf(b)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
