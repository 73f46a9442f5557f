package commands

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

func TestCleanInput(t *testing.T) {
	cases := map[string]string{
		"  quartier   Verdun ":               "quartier Verdun",
		"quartier\nVerdun\t":                 "quartier Verdun",
		"chercher <!channel> ok":             "chercher @channel ok",
		"chercher <!subteam^S123|@team>":     "chercher @team",
		"x <@U123|bob> <#C1|general> <@U9>":  "x @U123 #general @U9",
		"membres ajouter <@U0ABC> verdun":    "membres ajouter @U0ABC verdun",
		"x <#C1> <https://a.example>":        "x #C1 https://a.example",
		"quartier Côte &amp; co &lt;3":       "quartier Côte & co <3",
		"x <https://a.example|lien> &amp; y": "x lien & y",
		"x &lt;b&gt;":                        "x <b>",
	}
	for in, want := range cases {
		if got, p := cleanInput(in); got != want || p != inputOK {
			t.Errorf("cleanInput(%q) = %q, %q; want %q", in, got, p, want)
		}
	}
	bad := map[string]inputProblem{
		strings.Repeat("é", MaxInputRunes+1): inputTooLong,
		"a\x00b":                             inputControl,
		"a\x1bb":                             inputControl,
		"a\u202eb":                           inputControl,
		"a\xffb":                             inputNotUTF8,
	}
	for in, want := range bad {
		if _, p := cleanInput(in); p != want {
			t.Errorf("cleanInput(%q) problem %q, want %q", in, p, want)
		}
	}
	if _, p := cleanInput(strings.Repeat("é", MaxInputRunes)); p != inputOK {
		t.Error("exactly the limit must pass")
	}
}

func TestActionValueRoundTrip(t *testing.T) {
	for _, st := range []actionState{
		{Page: 3, Text: "initiatives logement | x"},
		{Page: 0, Text: "chercher a;s=U1|b", Shared: true},
		{Page: 1, Text: "quartier Verdun", Shared: true, SharedBy: "UDEMOCOORD"},
		{Page: 4, Text: "search x", Shared: true, SharedBy: "UDEMOCOORD", Lang: domain.English},
	} {
		got, ok := decodeActionValue(encodeActionValue(st))
		if !ok || got != st {
			t.Errorf("round trip of %+v: %+v %v", st, got, ok)
		}
	}
	// A sharer that is no Slack id, or an unknown flag, is a forged value.
	for _, v := range []string{"1;s=<!channel>|aide", "1;x|aide", "1;s=|aide", "-1|aide", "1", "1;l=en|aide", "1;s;l=xx|aide"} {
		if st, ok := decodeActionValue(v); ok {
			t.Errorf("decodeActionValue(%q) = %+v, want refused", v, st)
		}
	}
	// Button values from before sharing was recorded still work.
	if st, ok := decodeActionValue("2|membres"); !ok || st.Shared || st.Page != 2 {
		t.Errorf("old value: %+v %v", st, ok)
	}
}

// Every translation key the code names exists in both catalogs.
func TestEveryKeyUsedIsTranslated(t *testing.T) {
	literal := regexp.MustCompile(`(?:\.T|\.N|userError|problemReply\([^,]+,)\(?"([a-z_]+\.[a-z_.]*[a-z_])"`)
	fields := regexp.MustCompile(`(?:Usage|Summary|Example)Key: +"([a-z_.]+)"`)
	plural := regexp.MustCompile(`\.N\("([a-z_.]+)"`)
	files, _ := filepath.Glob("*.go")
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		isPlural := map[string]bool{}
		for _, m := range plural.FindAllStringSubmatch(string(src), -1) {
			isPlural[m[1]] = true
		}
		for _, re := range []*regexp.Regexp{literal, fields} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				keys := []string{m[1]}
				if isPlural[m[1]] {
					keys = []string{m[1] + ".one", m[1] + ".other"}
				}
				for _, k := range keys {
					seen++
					for _, lang := range []domain.Language{domain.French, domain.English} {
						if !i18n.Has(lang, k) {
							t.Errorf("%s: key %q missing in %s catalog", f, k, lang)
						}
					}
				}
			}
		}
	}
	for _, prefix := range []string{"role.", "status.", "language.name."} {
		for _, k := range i18n.Keys(domain.French) {
			if strings.HasPrefix(k, prefix) {
				seen++
			}
		}
	}
	if seen < 80 {
		t.Fatalf("only %d keys found: the pattern no longer matches the code", seen)
	}
	for _, s := range []domain.InitiativeStatus{domain.StatusPlanned, domain.StatusActive, domain.StatusCompleted, domain.StatusSuspended} {
		if !i18n.Has(domain.English, "status."+string(s)) || !i18n.Has(domain.French, "status."+string(s)) {
			t.Errorf("status %s untranslated", s)
		}
	}
	for _, r := range []domain.Role{domain.RoleCoordinator, domain.RolePartner, domain.RoleTableMember, domain.RoleGuest} {
		if !i18n.Has(domain.English, "role."+string(r)) || !i18n.Has(domain.French, "role."+string(r)) {
			t.Errorf("role %s untranslated", r)
		}
	}
}

// FuzzCleanInput: whatever Slack sends, cleaning never panics and what it
// keeps is valid, bounded and free of control characters.
func FuzzCleanInput(f *testing.F) {
	for _, s := range []string{"", "quartier Verdun", "<!channel>", "<@U1|a<b>", "&amp;&lt;", "\x00", "\u202e",
		"<<<>>>", "<|>", "chercher \"a\" -b OR c", strings.Repeat("x", 2001)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, p := cleanInput(raw)
		if p != inputOK {
			return
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxInputRunes {
			t.Fatalf("cleaned %q into %q", raw, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character kept in %q", s)
			}
		}
		verb, rest := splitVerb(s)
		if strings.Contains(verb, " ") || (verb == "" && rest != "") {
			t.Fatalf("splitVerb(%q) = %q, %q", s, verb, rest)
		}
	})
}
