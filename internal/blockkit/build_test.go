package blockkit

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

func mustValid(t *testing.T, blocks []slack.Block) {
	t.Helper()
	if err := Validate(blocks); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestHeader(t *testing.T) {
	h := Header(strings.Repeat("é", 151))
	if h.Type != slack.MBTHeader || h.Text.Type != slack.PlainTextType {
		t.Fatalf("header types = %q/%q", h.Type, h.Text.Type)
	}
	if want := strings.Repeat("é", 149) + "…"; h.Text.Text != want {
		t.Errorf("text = %q, want 149 é and …", h.Text.Text)
	}
	if got := Header(strings.Repeat("é", 150)).Text.Text; got != strings.Repeat("é", 150) {
		t.Errorf("150 characters were cut: %q", got)
	}
	if got := Header("  Ahuntsic\nCartierville\t \x1b ").Text.Text; got != "Ahuntsic Cartierville" {
		t.Errorf("header text = %q", got)
	}
	mustValid(t, []slack.Block{h})
}

func TestSection(t *testing.T) {
	s := Section(strings.Repeat("a", 3001))
	if s.Text.Type != slack.MarkdownType || s.Text.Emoji != nil {
		t.Fatalf("section text type = %q emoji %v", s.Text.Type, s.Text.Emoji)
	}
	if n := utf8.RuneCountInString(s.Text.Text); n != MaxSectionText {
		t.Errorf("section text has %d characters, want %d", n, MaxSectionText)
	}
	if got := Section(strings.Repeat("a", 3000)).Text.Text; got != strings.Repeat("a", 3000) {
		t.Error("3000 characters were cut")
	}
	mustValid(t, []slack.Block{s})
}

func TestFields(t *testing.T) {
	var fs []string
	for i := range 25 {
		fs = append(fs, fmt.Sprintf("*Champ %d*\nvaleur", i))
	}
	fs[3] = ""                        // dropped
	fs[4] = strings.Repeat("é", 2001) // cut to 2000
	blocks := Fields("*Résumé*", fs...)
	if len(blocks) != 3 {
		t.Fatalf("got %d sections, want 3", len(blocks))
	}
	var counts []int
	for i, b := range blocks {
		s := b.(*slack.SectionBlock)
		counts = append(counts, len(s.Fields))
		if (s.Text != nil) != (i == 0) {
			t.Errorf("section %d: text = %v", i, s.Text)
		}
	}
	if fmt.Sprint(counts) != "[10 10 4]" {
		t.Errorf("fields per section = %v, want [10 10 4]", counts)
	}
	first := blocks[0].(*slack.SectionBlock)
	if first.Text.Text != "*Résumé*" || first.Fields[2].Text != "*Champ 2*\nvaleur" || first.Fields[3].Text == "" {
		t.Errorf("unexpected first section: text %q, field 2 %q, field 3 %q", first.Text.Text, first.Fields[2].Text, first.Fields[3].Text)
	}
	if n := utf8.RuneCountInString(first.Fields[3].Text); n != MaxFieldText {
		t.Errorf("long field has %d characters, want %d", n, MaxFieldText)
	}
	mustValid(t, blocks)

	if got := Fields("", "", ""); got != nil {
		t.Errorf("Fields with nothing = %v, want nil", got)
	}
	only := Fields("texte seul")
	if len(only) != 1 || only[0].(*slack.SectionBlock).Fields != nil {
		t.Errorf("Fields with text only = %#v", only)
	}
	mustValid(t, only)
}

func TestContext(t *testing.T) {
	var els []string
	for c := 'a'; c <= 'l'; c++ { // 12 elements
		els = append(els, string(c))
	}
	els = append(els, "") // dropped
	c := Context(els...)
	got := c.ContextElements.Elements
	if len(got) != MaxContextElements {
		t.Fatalf("got %d elements, want %d", len(got), MaxContextElements)
	}
	if last := got[9].(*slack.TextBlockObject).Text; last != "j · k · l" {
		t.Errorf("tenth element = %q, want the rest joined", last)
	}
	mustValid(t, []slack.Block{c})
}

func TestButton(t *testing.T) {
	long := strings.Repeat("x", 300)
	b := Button("page_next", strings.Repeat("é", 76), long)
	if want := strings.Repeat("é", 74) + "…"; b.Text.Text != want {
		t.Errorf("button text = %q", b.Text.Text)
	}
	if b.Value != long || b.ActionID != "page_next" || b.Type != slack.METButton {
		t.Errorf("identifiers were altered: %+v", b)
	}
	mustValid(t, []slack.Block{Actions("nav", b)})
}

func TestActions(t *testing.T) {
	var els []slack.BlockElement
	els = append(els, nil, (*slack.ButtonBlockElement)(nil))
	for i := range 30 {
		els = append(els, Button(fmt.Sprintf("b%d", i), "Page", "v"))
	}
	a := Actions(strings.Repeat("i", 256), els...)
	if n := len(a.Elements.ElementSet); n != MaxActionsElements {
		t.Errorf("got %d elements, want %d", n, MaxActionsElements)
	}
	if a.BlockID != "" {
		t.Errorf("over-long block_id kept: %d characters", len(a.BlockID))
	}
	if id := a.Elements.ElementSet[0].(*slack.ButtonBlockElement).ActionID; id != "b0" {
		t.Errorf("first element = %q, want b0", id)
	}
	if got := Actions(strings.Repeat("i", 255), Button("a", "A", "")).BlockID; len(got) != 255 {
		t.Errorf("255-character block_id not kept")
	}
	mustValid(t, []slack.Block{a})
}

func TestDivider(t *testing.T) {
	if d := Divider(); d.Type != slack.MBTDivider {
		t.Errorf("divider type = %q", d.Type)
	}
}
