package console

import (
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
)

func render(t *testing.T, color bool, blocks ...slack.Block) (string, []Choice) {
	t.Helper()
	var b strings.Builder
	choices, err := Render(&b, commands.Reply{Text: "fallback", Blocks: blocks}, color)
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), choices
}

func TestRenderBlocks(t *testing.T) {
	tests := []struct {
		name  string
		block slack.Block
		want  string
	}{
		{"header", blockkit.Header("Quartier Côte-des-Neiges"),
			"QUARTIER CÔTE-DES-NEIGES\n" +
				"========================\n"},
		{"section mrkdwn", blockkit.Section("*Table de quartier* : _active_ depuis ~2010~, `code *brut*`"),
			"Table de quartier : active depuis 2010, `code *brut*`\n"},
		{"links and mentions", blockkit.Section("<https://pic.example/v?a=1&amp;b=2|site web>, <https://pic.example>, " +
			"<mailto:info@pic.example|info@pic.example>, <@U123|marie>, <@U456>, <#C1|general>, <!channel>, <!subteam^S1|@coord>"),
			"site web (https://pic.example/v?a=1&b=2), https://pic.example, info@pic.example, @marie, @U456, #general, @channel, @coord\n"},
		{"entities", blockkit.Section("&lt;b&gt; 5 &amp; 6 &amp;amp;"),
			"<b> 5 & 6 &amp;\n"},
		{"escaped data shown as typed", blockkit.Section("Note : " + blockkit.Escape("<!channel> & <http://x|y>")),
			"Note : <!channel> & <http://x|y>\n"},
		{"word-internal markers kept", blockkit.Section("snake_case_name 2*3*4 a * b"),
			"snake_case_name 2*3*4 a * b\n"},
		{"multi-line section", blockkit.Section("ligne 1\n*ligne 2*"),
			"ligne 1\nligne 2\n"},
		{"fields in two columns", blockkit.Fields("*Résumé*", "*Budget*\n5 000 $", "*Début*\n2024-01-01", "*Responsable*", "Marie", "*Seul*")[0],
			"Résumé\n" +
				"  Budget        Début\n" +
				"  5 000 $       2024-01-01\n" +
				"  Responsable   Marie\n" +
				"  Seul\n"},
		{"context", blockkit.Context("Mis à jour le 3 mars", "*source* : <https://pic.example|PIC>"),
			"  Mis à jour le 3 mars · source : PIC (https://pic.example)\n"},
		{"divider", blockkit.Divider(), strings.Repeat("─", 40) + "\n"},
		{"buttons", blockkit.Actions("nav", blockkit.Button("page:prev", "Page précédente", "0"), blockkit.Button("page:next", "Page suivante", "2")),
			"[1] Page précédente   [2] Page suivante\n"},
		{"value block", *blockkit.Section("par valeur"), "par valeur\n"},
		{"image", slack.NewImageBlock("https://pic.example/carte.png", "Carte", "", nil), "[image: Carte] https://pic.example/carte.png\n"},
		{"unknown block", slack.NewRichTextBlock(""), "[rich_text]\n"},
		{"control characters", slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "a\x1b[2Jb\x07c", false, false), nil, nil), "a[2Jbc\n"},
		{"nil block", (*slack.SectionBlock)(nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := render(t, false, tt.block)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderWholeReply(t *testing.T) {
	got, choices := render(t, false,
		blockkit.Header("Initiatives"),
		blockkit.Section("• *Cuisine collective* — Verdun"),
		blockkit.Divider(),
		blockkit.Context("Page 1 / 3"),
		blockkit.Actions("pic_pager", blockkit.Button("page:next", "Page suivante", "1|initiatives")),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Partager ?", false, false), nil,
			slack.NewAccessory(blockkit.Button("share", "Partager", "0|initiatives"))),
	)
	want := "INITIATIVES\n" +
		"===========\n" +
		"\n" +
		"• Cuisine collective — Verdun\n" +
		"\n" +
		strings.Repeat("─", 40) + "\n" +
		"\n" +
		"  Page 1 / 3\n" +
		"\n" +
		"[1] Page suivante\n" +
		"\n" +
		"Partager ?\n" +
		"  [2] Partager\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	wantChoices := []Choice{
		{Label: "Page suivante", ActionID: "page:next", Value: "1|initiatives", BlockID: "pic_pager"},
		{Label: "Partager", ActionID: "share", Value: "0|initiatives"},
	}
	if len(choices) != len(wantChoices) {
		t.Fatalf("choices = %+v", choices)
	}
	for i := range choices {
		if choices[i] != wantChoices[i] {
			t.Errorf("choice %d = %+v, want %+v", i+1, choices[i], wantChoices[i])
		}
	}
}

func TestRenderTextWhenNoBlocks(t *testing.T) {
	var b strings.Builder
	choices, err := Render(&b, commands.Reply{Text: "*Bonjour* &amp; <https://pic.example|bienvenue>"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "Bonjour & bienvenue (https://pic.example)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(choices) != 0 {
		t.Errorf("choices = %v", choices)
	}
}

func TestRenderColor(t *testing.T) {
	blocks := []slack.Block{
		blockkit.Header("Titre"),
		blockkit.Section("*gras* _italique_ ~barré~"),
		blockkit.Context("contexte"),
		blockkit.Actions("", blockkit.Button("a", "Go", "v")),
	}
	plainOut, _ := render(t, false, blocks...)
	if strings.Contains(plainOut, "\x1b") {
		t.Errorf("ANSI sequence without color: %q", plainOut)
	}
	got, _ := render(t, true, blocks...)
	want := "\x1b[1mTITRE\x1b[0m\n=====\n\n" +
		"\x1b[1mgras\x1b[22m \x1b[3mitalique\x1b[23m \x1b[9mbarré\x1b[29m\n\n" +
		"  \x1b[2mcontexte\x1b[0m\n\n" +
		"\x1b[36m[1]\x1b[0m Go\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRenderColumnsIgnoreANSI(t *testing.T) {
	got, _ := render(t, true, blockkit.Fields("", "*A*", "b", "c", "d")...)
	// "A" is bold: its escape sequences must not count in the padding.
	want := "  \x1b[1mA\x1b[22m   b\n  c   d\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderReportsWriteError(t *testing.T) {
	if _, err := Render(failingWriter{}, commands.Reply{Text: "x"}, false); err == nil {
		t.Error("write error not reported")
	}
}
