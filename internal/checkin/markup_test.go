package checkin

import "testing"

func TestDecodeSlackMarkup(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Rien de spécial.", "Rien de spécial."},
		{"Merci <@U123|amelie> !", "Merci @amelie !"},
		{"Merci <@U123> !", "Merci @U123 !"},
		{"Vu <https://x.org/a?b=1&amp;c=2|le compte rendu>.", "Vu le compte rendu (https://x.org/a?b=1&c=2)."},
		{"Lien : <https://x.org>", "Lien : https://x.org"},
		{"<https://x.org|https://x.org>", "https://x.org"},
		{"Écrire à <mailto:a@b.ca|a@b.ca>", "Écrire à a@b.ca"},
		{"<!channel> et <!here>", "@channel et @here"},
		{"<!subteam^S1|@coordination> voir", "@coordination voir"},
		{"<!date^1392734382^{date}|13 févr.>", "13 févr."},
		{"Dans <#C42|general>", "Dans #general"},
		{"Café &amp; jardin, 3 &lt; 5 &gt; 4", "Café & jardin, 3 < 5 > 4"},
		{"Ligne 1\nLigne 2\r\nLigne 3", "Ligne 1\nLigne 2\nLigne 3"},
		{"un < seul", "un < seul"},
		{"vide <> ici", "vide <> ici"},
		{"&amp;lt; reste littéral", "&lt; reste littéral"},
		{"<@U1|a>&amp;<@U2|b>", "@a&@b"},
	} {
		if got := DecodeSlackMarkup(c.in); got != c.want {
			t.Errorf("DecodeSlackMarkup(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
