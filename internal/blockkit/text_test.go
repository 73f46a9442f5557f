package blockkit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel>", "&lt;!channel&gt;"},
		{"<!here> bonjour", "&lt;!here&gt; bonjour"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<http://x|y>", "&lt;http://x|y&gt;"},
		{"Tom & Jerry", "Tom &amp; Jerry"},
		{"&amp;", "&amp;amp;"}, // data is raw text: an entity typed by a user stays visible
		{"Côte-des-Neiges–Notre-Dame-de-Grâce", "Côte-des-Neiges–Notre-Dame-de-Grâce"},
		{"a\x00b\x1b[31mc\r\nd\te\x7ff\u0085g\u009bh", "ab[31mc\nd\tefgh"},
		{"a\xffb", "a\uFFFDb"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLink(t *testing.T) {
	tests := []struct{ url, label, want string }{
		{"https://pic.example/a?b=1&c=2", "Côte <!here>", "<https://pic.example/a?b=1&amp;c=2|Côte &lt;!here&gt;>"},
		{"https://pic.example/x|y>z", "lien", "<https://pic.example/x%7Cy%3Ez|lien>"},
		{"https://pic.example/ a b", "", "<https://pic.example/ab>"},
	}
	for _, tt := range tests {
		if got := Link(tt.url, tt.label); got != tt.want {
			t.Errorf("Link(%q, %q) = %q, want %q", tt.url, tt.label, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "Verdun", 10, "Verdun"},
		{"exactly max", "Verdun", 6, "Verdun"},
		{"one over", "Verdun!", 6, "Verdu…"},
		{"ascii 3001", strings.Repeat("a", 3001), 3000, strings.Repeat("a", 2999) + "…"},
		{"accent at boundary", strings.Repeat("é", 151), 150, strings.Repeat("é", 149) + "…"},
		{"accent then ascii", "ééé" + "abc", 4, "ééé…"},
		{"combining accent not orphaned", "xxxxxxxxe\u0301yyyy", 10, "xxxxxxxx…"},
		{"link cut whole", "voir <https://pic.example/très/long|le lien> fin", 20, "voir…"},
		{"closed link kept", "<https://a.example|a> et encore du texte", 25, "<https://a.example|a> et…"},
		{"mention cut whole", "merci <@U12345678> pour tout", 12, "merci…"},
		{"entity cut whole", "abc &amp; def", 7, "abc…"},
		{"entity complete kept", "abc &amp; def", 11, "abc &amp;…"},
		{"numeric entity cut whole", "x &#x1F600; y", 6, "x…"},
		{"ampersands cut in turn", "&&000000", 7, "…"},
		{"entity exposed by trimming", "000 &00000 &00000000", 17, "000…"},
		{"lone ampersand kept", "Tom & Jerry sont partis", 12, "Tom & Jerry…"},
		{"trailing space trimmed", "un deux trois", 9, "un deux…"},
		{"max 1", "abc", 1, "…"},
		{"max 0", "abc", 0, ""},
		{"negative max", "abc", -3, ""},
		{"invalid utf8 short", "a\xffb", 5, "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("result %q is not valid UTF-8", got)
			}
			if n := utf8.RuneCountInString(got); tt.max >= 0 && n > tt.max {
				t.Errorf("result has %d characters, max %d", n, tt.max)
			}
		})
	}
}

func TestTruncateExactLengths(t *testing.T) {
	for _, max := range []int{MaxHeaderText, MaxButtonText, MaxFieldText, MaxSectionText} {
		got := Truncate(strings.Repeat("é", max+1), max)
		if n := utf8.RuneCountInString(got); n != max {
			t.Errorf("max %d: got %d characters", max, n)
		}
		if len(got) != 2*(max-1)+len("…") {
			t.Errorf("max %d: got %d bytes, want %d", max, len(got), 2*(max-1)+len("…"))
		}
	}
}

func TestTruncatePlainKeepsAngleBrackets(t *testing.T) {
	in := "2 < 3 et plus encore"
	if got, want := TruncatePlain(in, 8), "2 < 3 e…"; got != want {
		t.Errorf("TruncatePlain = %q, want %q", got, want)
	}
	if got, want := Truncate(in, 8), "2…"; got != want {
		t.Errorf("Truncate = %q, want %q", got, want)
	}
	if got, want := TruncatePlain("a &amp; b", 5), "a…"; got != want {
		t.Errorf("TruncatePlain entity = %q, want %q", got, want)
	}
}
