package blockkit

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

func sectionText(t *testing.T, b slack.Block) string {
	t.Helper()
	s, ok := b.(*slack.SectionBlock)
	if !ok {
		t.Fatalf("block is %T, want a section", b)
	}
	return s.Text.Text
}

func contextText(t *testing.T, b slack.Block) string {
	t.Helper()
	c, ok := b.(*slack.ContextBlock)
	if !ok {
		t.Fatalf("block is %T, want a context", b)
	}
	return c.ContextElements.Elements[0].(*slack.TextBlockObject).Text
}

func mustValidMessage(t *testing.T, text string, blocks []slack.Block) {
	t.Helper()
	if err := ValidateMessage(text, blocks); err != nil {
		t.Fatalf("ValidateMessage: %v", err)
	}
}

func TestFitTooManyBlocks(t *testing.T) {
	text, bs := Fit("60 lignes", sections(60), "_Liste coupée à 49._")
	if len(bs) != MaxMessageBlocks {
		t.Fatalf("got %d blocks, want %d", len(bs), MaxMessageBlocks)
	}
	if got := sectionText(t, bs[48]); got != "ligne 48" {
		t.Errorf("block 48 = %q, want ligne 48", got)
	}
	if got := contextText(t, bs[49]); got != "_Liste coupée à 49._" {
		t.Errorf("notice = %q", got)
	}
	if text != "60 lignes" {
		t.Errorf("text = %q", text)
	}
	mustValidMessage(t, text, bs)
}

func TestFitExactly50IsNotCut(t *testing.T) {
	_, bs := Fit("x", sections(50), "cut")
	if len(bs) != 50 {
		t.Fatalf("got %d blocks", len(bs))
	}
	if got := sectionText(t, bs[49]); got != "ligne 49" {
		t.Errorf("last block = %q, want ligne 49", got)
	}
}

func TestFitDefaultNotice(t *testing.T) {
	for _, notice := range []string{"", "  ", "\x00\x1b"} {
		_, bs := Fit("x", sections(51), notice)
		if got := contextText(t, bs[len(bs)-1]); got != CutNotice {
			t.Errorf("notice %q: got %q, want CutNotice", notice, got)
		}
	}
}

func TestFitTextBudget(t *testing.T) {
	var in []slack.Block
	for i := range 5 {
		in = append(in, Section(fmt.Sprint(i)+rep(2999)))
	}
	text, bs := Fit("digest", in, "coupé")
	if len(bs) != 4 { // 3 × 3000 + the notice fit in 10,000
		t.Fatalf("got %d blocks, want 3 sections and the notice", len(bs))
	}
	if got := contextText(t, bs[3]); got != "coupé" {
		t.Errorf("notice = %q", got)
	}
	mustValidMessage(t, text, bs)
}

func TestFitDropsOrphanHeaderBeforeCut(t *testing.T) {
	in := append(sections(48), Header("Suite"), Section("a"), Section("b"), Section("c"))
	_, bs := Fit("x", in, "coupé")
	if len(bs) != 49 {
		t.Fatalf("got %d blocks, want 48 sections and the notice", len(bs))
	}
	if _, ok := bs[47].(*slack.SectionBlock); !ok {
		t.Errorf("block 47 is %T", bs[47])
	}
	if got := contextText(t, bs[48]); got != "coupé" {
		t.Errorf("block 48 = %q, want the notice", got)
	}
}

func TestFitRepairsBlocks(t *testing.T) {
	longHeader := slack.NewHeaderBlock(plain(rep(200)))
	in := []slack.Block{
		longHeader,
		slack.NewSectionBlock(nil, nil, nil), // empty: dropped
		*slack.NewSectionBlock(mrk(rep(3001)), nil, nil),
		nil,
		(*slack.DividerBlock)(nil),
		slack.NewActionBlock("nav",
			button("ok", rep(80), "1"),
			button("ok", "Doublon", "2"),     // duplicate action_id: dropped
			button("big", "Trop", rep(2001)), // value too long: dropped
			button(rep(256), "Trop", "3"),    // action_id too long: dropped
			button("empty", " ", "4"),        // no label: dropped
		),
		slack.NewContextBlock("nav", mrk("même block_id")),
		slack.NewContextBlock(rep(256), mrk("block_id trop long")),
		slack.NewSectionBlock(mrk("x"), nil, slack.NewAccessory(button("acc", "B", rep(2001)))),
		slack.NewActionBlock("", button("gone", "B", rep(2001))), // nothing left: dropped
	}
	text, bs := Fit("", in, "")
	mustValidMessage(t, text, bs)
	if len(bs) != 6 {
		t.Fatalf("got %d blocks, want 6: %#v", len(bs), bs)
	}
	if n := utf8.RuneCountInString(bs[0].(*slack.HeaderBlock).Text.Text); n != MaxHeaderText {
		t.Errorf("header has %d characters", n)
	}
	if n := utf8.RuneCountInString(longHeader.Text.Text); n != 200 {
		t.Errorf("the caller's header was modified: %d characters", n)
	}
	if n := utf8.RuneCountInString(sectionText(t, bs[1])); n != MaxSectionText {
		t.Errorf("section has %d characters", n)
	}
	els := bs[2].(*slack.ActionBlock).Elements.ElementSet
	if len(els) != 1 || els[0].(*slack.ButtonBlockElement).Value != "1" {
		t.Errorf("buttons kept = %#v", els)
	}
	if id := bs[3].ID(); id != "" {
		t.Errorf("duplicate block_id kept: %q", id)
	}
	if id := bs[4].ID(); id != "" {
		t.Errorf("long block_id kept")
	}
	if acc := bs[5].(*slack.SectionBlock).Accessory; acc != nil {
		t.Errorf("accessory with a too-long value kept: %#v", acc)
	}
}

func TestFitSplitsOverfullSection(t *testing.T) {
	in := []slack.Block{slack.NewSectionBlock(mrk("tête"), fields(25, rep(2000)), nil)}
	text, bs := Fit("x", in, "coupé")
	mustValidMessage(t, text, bs)
	// 25 fields of 2000 hold 50,000 characters: the section is first split
	// into sections within the budget (4 fields with the text, then 5 each),
	// and only the first fits beside the notice.
	if len(bs) != 2 {
		t.Fatalf("got %d blocks, want a section and the notice", len(bs))
	}
	if s := bs[0].(*slack.SectionBlock); s.Text.Text != "tête" || len(s.Fields) != 4 {
		t.Errorf("first section: text %q, %d fields", s.Text.Text, len(s.Fields))
	}
}

func TestFitText(t *testing.T) {
	t.Run("derived from header and section", func(t *testing.T) {
		text, _ := Fit(" ", []slack.Block{Divider(), Header("Quartier <Verdun>"), Section("*Bonjour*"), Section("autre")}, "")
		if want := "Quartier &lt;Verdun&gt;\n*Bonjour*"; text != want {
			t.Errorf("text = %q, want %q", text, want)
		}
	})
	t.Run("derived from a field", func(t *testing.T) {
		text, _ := Fit("", Fields("", "*Budget*\n5 000 $"), "")
		if text != "*Budget*\n5 000 $" {
			t.Errorf("text = %q", text)
		}
	})
	t.Run("nothing to derive from", func(t *testing.T) {
		text, bs := Fit("", nil, "")
		if text != "Relais" || len(bs) != 0 {
			t.Errorf("text = %q, blocks = %v", text, bs)
		}
	})
	t.Run("cut to 40000", func(t *testing.T) {
		text, _ := Fit(rep(MaxMessageText+5), nil, "")
		if n := utf8.RuneCountInString(text); n != MaxMessageText {
			t.Errorf("text has %d characters", n)
		}
	})
	t.Run("control characters removed", func(t *testing.T) {
		text, _ := Fit("a\x1b[2Jb", nil, "")
		if text != "a[2Jb" {
			t.Errorf("text = %q", text)
		}
	})
}

func TestSplitByCount(t *testing.T) {
	msgs := Split("120 lignes", sections(120))
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3", len(msgs))
	}
	for i, want := range []int{50, 50, 20} {
		if got := len(msgs[i].Blocks); got != want {
			t.Errorf("message %d has %d blocks, want %d", i, got, want)
		}
		mustValidMessage(t, msgs[i].Text, msgs[i].Blocks)
	}
	if msgs[0].Text != "120 lignes" {
		t.Errorf("first text = %q", msgs[0].Text)
	}
	if msgs[1].Text != "ligne 50" || msgs[2].Text != "ligne 100" {
		t.Errorf("continuation texts = %q, %q", msgs[1].Text, msgs[2].Text)
	}
}

func TestSplitByTextKeepsHeadersWithTheirContent(t *testing.T) {
	big := func(i int) slack.Block { return Section(fmt.Sprint(i) + rep(2999)) }
	in := []slack.Block{Header("Mars"), big(1), big(2), big(3), Divider(), Header("Avril"), big(4), Divider(), big(5)}
	msgs := Split("", in)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	var kinds [][]string
	for _, m := range msgs {
		mustValidMessage(t, m.Text, m.Blocks)
		var k []string
		for _, b := range m.Blocks {
			k = append(k, string(b.BlockType()))
		}
		kinds = append(kinds, k)
	}
	want := "[[header section section section] [header section divider section]]"
	if got := fmt.Sprint(kinds); got != want {
		t.Errorf("messages = %s, want %s", got, want)
	}
	if !strings.HasPrefix(msgs[0].Text, "Mars\n1") || !strings.HasPrefix(msgs[1].Text, "Avril\n4") {
		t.Errorf("texts = %.10q, %.10q", msgs[0].Text, msgs[1].Text)
	}
}

func TestSplitContinuationDoesNotOpenOnDivider(t *testing.T) {
	in := append(sections(50), Divider(), Section("suite"))
	msgs := Split("x", in)
	if len(msgs) != 2 || len(msgs[1].Blocks) != 1 || sectionText(t, msgs[1].Blocks[0]) != "suite" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestSplitEmpty(t *testing.T) {
	msgs := Split("", nil)
	if len(msgs) != 1 || msgs[0].Text != "Relais" || len(msgs[0].Blocks) != 0 {
		t.Errorf("Split of nothing = %+v", msgs)
	}
}

func TestSplitIsLossless(t *testing.T) {
	var in []slack.Block
	for i := range 300 {
		in = append(in, Section(fmt.Sprintf("%03d %s", i, rep(i*7%900))))
	}
	msgs := Split("x", in)
	var got []string
	for _, m := range msgs {
		mustValidMessage(t, m.Text, m.Blocks)
		for _, b := range m.Blocks {
			got = append(got, sectionText(t, b)[:3])
		}
	}
	if len(got) != 300 {
		t.Fatalf("got %d blocks back, want 300", len(got))
	}
	for i, g := range got {
		if g != fmt.Sprintf("%03d", i) {
			t.Fatalf("block %d is %q: order lost", i, g)
		}
	}
}
