package blockkit

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// unescape reverses Escape's three entities.
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"<!channel>", "<@U123>", "<http://x|y>", "Tom & Jerry", "&amp;", "é\x00\x1b[31m", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q: invalid UTF-8", s, got)
		}
		if strings.ContainsAny(got, "<>") {
			t.Fatalf("Escape(%q) = %q: raw < or > left", s, got)
		}
		for _, r := range got {
			if isStripped(r) {
				t.Fatalf("Escape(%q) = %q: control character %U left", s, got, r)
			}
		}
		// Nothing but the control characters is lost.
		if want := clean(s, false); unescape.Replace(got) != want {
			t.Fatalf("unescape(Escape(%q)) = %q, want %q", s, unescape.Replace(got), want)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Add("é", 150)
	f.Add(strings.Repeat("é", 151), 150)
	f.Add("voir <https://x.example|lien> fin", 10)
	f.Add("a &amp; b", 4)
	f.Add("e\u0301e\u0301e\u0301", 2)
	f.Add("\xff\xfe\xfd", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 4000
		for name, fn := range map[string]func(string, int) string{"Truncate": Truncate, "TruncatePlain": TruncatePlain} {
			got := fn(s, max)
			if !utf8.ValidString(got) {
				t.Fatalf("%s(%q, %d) = %q: invalid UTF-8", name, s, max, got)
			}
			if n := utf8.RuneCountInString(got); n > max && !(max <= 0 && n == 0) {
				t.Fatalf("%s(%q, %d) = %q: %d characters", name, s, max, got, n)
			}
			valid := strings.ToValidUTF8(s, "\uFFFD")
			if max > 0 && utf8.RuneCountInString(valid) <= max && got != valid {
				t.Fatalf("%s(%q, %d) = %q: cut text that fit", name, s, max, got)
			}
			if head, cut := strings.CutSuffix(got, ellipsis); cut && got != valid {
				if name == "Truncate" && dropOpenLink(head) != head {
					t.Fatalf("Truncate(%q, %d) = %q: half a link left", s, max, got)
				}
				if dropOpenEntity(head) != head {
					t.Fatalf("%s(%q, %d) = %q: half an entity left", name, s, max, got)
				}
			}
		}
	})
}

// FuzzFit checks that whatever text a handler puts in the builders, Fit
// produces a message that Validate accepts.
func FuzzFit(f *testing.F) {
	f.Add("Verdun", "<!channel> & co", 3)
	f.Add(strings.Repeat("é", 200), strings.Repeat("<a|b>", 700), 60)
	f.Add("", "", 0)
	f.Fuzz(func(t *testing.T, title, body string, n int) {
		n = max(0, n%120)
		blocks := []slack.Block{Header(title)}
		for i := 0; i < n; i++ {
			blocks = append(blocks, Section(body+Escape(title)))
		}
		blocks = append(blocks, Fields(body, body, title, body)...)
		blocks = append(blocks, Context(title, body), Divider(), Actions(title, Button("next", title, body)))
		text, fitted := Fit(body, blocks, title)
		if err := ValidateMessage(text, fitted); err != nil {
			t.Fatalf("Fit gave an invalid message: %v", err)
		}
		for _, m := range Split(body, blocks) {
			if err := ValidateMessage(m.Text, m.Blocks); err != nil {
				t.Fatalf("Split gave an invalid message: %v", err)
			}
		}
	})
}
