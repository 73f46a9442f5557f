package blockkit

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func rep(n int) string { return strings.Repeat("é", n) }

func sections(n int) []slack.Block {
	var bs []slack.Block
	for i := range n {
		bs = append(bs, Section(fmt.Sprintf("ligne %d", i)))
	}
	return bs
}

func mrk(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func button(actionID, text, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(text))
}

func fields(n int, text string) []*slack.TextBlockObject {
	var fs []*slack.TextBlockObject
	for range n {
		fs = append(fs, mrk(text))
	}
	return fs
}

func buttons(n int) []slack.BlockElement {
	var els []slack.BlockElement
	for i := range n {
		els = append(els, button(fmt.Sprintf("a%d", i), "B", "v"))
	}
	return els
}

func contextOf(n int, text string) *slack.ContextBlock {
	var els []slack.MixedElement
	for range n {
		els = append(els, mrk(text))
	}
	return slack.NewContextBlock("", els...)
}

// badBlock cannot be marshalled.
type badBlock struct{}

func (badBlock) BlockType() slack.MessageBlockType { return "bad" }
func (badBlock) ID() string                        { return "" }
func (badBlock) MarshalJSON() ([]byte, error)      { return nil, errors.New("boom") }

// Each limit is checked at the limit (accepted) and one past it (refused,
// with the error naming it).
func TestValidateLimits(t *testing.T) {
	tests := []struct {
		name   string
		blocks []slack.Block
		want   string // "" means valid
	}{
		{"50 blocks", sections(50), ""},
		{"51 blocks", sections(51), "51 blocks, limit 50"},
		{"header 150", []slack.Block{slack.NewHeaderBlock(plain(rep(150)))}, ""},
		{"header 151", []slack.Block{slack.NewHeaderBlock(plain(rep(151)))}, "text is 151 characters, limit 150"},
		{"header mrkdwn", []slack.Block{slack.NewHeaderBlock(mrk("x"))}, "must be plain_text"},
		{"header empty", []slack.Block{slack.NewHeaderBlock(plain(" "))}, "text is empty"},
		{"header no text", []slack.Block{slack.NewHeaderBlock(nil)}, "text is missing"},
		{"section 3000", []slack.Block{slack.NewSectionBlock(mrk(rep(3000)), nil, nil)}, ""},
		{"section 3001", []slack.Block{slack.NewSectionBlock(mrk(rep(3001)), nil, nil)}, "text is 3001 characters, limit 3000"},
		{"section empty", []slack.Block{slack.NewSectionBlock(nil, nil, nil)}, "neither text nor fields"},
		{"10 fields", []slack.Block{slack.NewSectionBlock(nil, fields(10, "f"), nil)}, ""},
		{"11 fields", []slack.Block{slack.NewSectionBlock(nil, fields(11, "f"), nil)}, "11 fields, limit 10"},
		{"field 2000", []slack.Block{slack.NewSectionBlock(nil, fields(1, rep(2000)), nil)}, ""},
		{"field 2001", []slack.Block{slack.NewSectionBlock(nil, fields(1, rep(2001)), nil)}, "field 0 is 2001 characters, limit 2000"},
		{"field nil", []slack.Block{slack.NewSectionBlock(nil, []*slack.TextBlockObject{nil}, nil)}, "field 0 is missing"},
		{"context 10", []slack.Block{contextOf(10, "c")}, ""},
		{"context 11", []slack.Block{contextOf(11, "c")}, "11 elements, limit 10"},
		{"context empty", []slack.Block{contextOf(0, "c")}, "has no elements"},
		{"context element 3001", []slack.Block{contextOf(1, rep(3001))}, "element 0 is 3001 characters, limit 3000"},
		{"actions 25", []slack.Block{slack.NewActionBlock("", buttons(25)...)}, ""},
		{"actions 26", []slack.Block{slack.NewActionBlock("", buttons(26)...)}, "26 elements, limit 25"},
		{"actions empty", []slack.Block{slack.NewActionBlock("")}, "has no elements"},
		{"button text 75", []slack.Block{slack.NewActionBlock("", button("a", rep(75), "v"))}, ""},
		{"button text 76", []slack.Block{slack.NewActionBlock("", button("a", rep(76), "v"))}, "text is 76 characters, limit 75"},
		{"button value 2000", []slack.Block{slack.NewActionBlock("", button("a", "B", rep(2000)))}, ""},
		{"button value 2001", []slack.Block{slack.NewActionBlock("", button("a", "B", rep(2001)))}, "value is 2001 characters, limit 2000"},
		{"action_id 255", []slack.Block{slack.NewActionBlock("", button(rep(255), "B", "v"))}, ""},
		{"action_id 256", []slack.Block{slack.NewActionBlock("", button(rep(256), "B", "v"))}, "action_id is 256 characters, limit 255"},
		{"button empty text", []slack.Block{slack.NewActionBlock("", button("a", "", "v"))}, "text is empty"},
		{"duplicate action_id", []slack.Block{slack.NewActionBlock("", button("a", "B", "1"), button("a", "C", "2"))}, `action_id "a" already used by element 0`},
		{"accessory button", []slack.Block{slack.NewSectionBlock(mrk("x"), nil, slack.NewAccessory(button("a", rep(76), "v")))}, "accessory: text is 76 characters"},
		{"block_id 255", []slack.Block{slack.NewActionBlock(rep(255), buttons(1)...)}, ""},
		{"block_id 256", []slack.Block{slack.NewActionBlock(rep(256), buttons(1)...)}, "block_id is 256 characters, limit 255"},
		{"duplicate block_id", []slack.Block{slack.NewContextBlock("x", mrk("a")), slack.NewContextBlock("x", mrk("b"))}, `block_id "x" already used by block 0`},
		{"text budget", []slack.Block{Section(rep(3000)), Section(rep(3000)), Section(rep(3000)), Section(rep(1000))}, ""},
		{"text budget exceeded", []slack.Block{Section(rep(3000)), Section(rep(3000)), Section(rep(3000)), Section(rep(1001))}, "10001 characters of text in all, budget 10000"},
		{"nil block", []slack.Block{nil}, "nil block"},
		{"typed nil block", []slack.Block{(*slack.SectionBlock)(nil)}, "nil block"},
		{"value block", []slack.Block{*slack.NewSectionBlock(mrk(rep(3001)), nil, nil)}, "text is 3001 characters"},
		{"not marshallable", []slack.Block{badBlock{}}, "does not marshal to JSON"},
		{"divider", []slack.Block{Divider()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.blocks)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate: nil, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestValidateView(t *testing.T) {
	if err := ValidateView(sections(100)); err != nil {
		t.Errorf("100 blocks in a view: %v", err)
	}
	if err := ValidateView(sections(101)); err == nil || !strings.Contains(err.Error(), "101 blocks, limit 100") {
		t.Errorf("101 blocks in a view: %v", err)
	}
	big := []slack.Block{Section(rep(3000)), Section(rep(3000)), Section(rep(3000)), Section(rep(3000))}
	if err := ValidateView(big); err != nil {
		t.Errorf("a view has no message text budget: %v", err)
	}
}

func TestValidateMessage(t *testing.T) {
	ok := []slack.Block{Section("x")}
	if err := ValidateMessage("x", ok); err != nil {
		t.Errorf("valid message: %v", err)
	}
	if err := ValidateMessage(strings.Repeat("a", MaxMessageText), ok); err != nil {
		t.Errorf("40000-character text: %v", err)
	}
	if err := ValidateMessage(strings.Repeat("a", MaxMessageText+1), ok); err == nil || !strings.Contains(err.Error(), "40001 characters, limit 40000") {
		t.Errorf("40001-character text: %v", err)
	}
	if err := ValidateMessage(" \n", ok); err == nil || !strings.Contains(err.Error(), "text: empty") {
		t.Errorf("empty text: %v", err)
	}
	if err := ValidateMessage("x", sections(51)); err == nil {
		t.Error("block errors are not reported")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Validate([]slack.Block{slack.NewHeaderBlock(plain(rep(151))), slack.NewSectionBlock(nil, fields(11, rep(2001)), nil)})
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 14 { // header, field count, 11 fields, text budget
		t.Errorf("got %d problems, want 14:\n%v", n, err)
	}
}
