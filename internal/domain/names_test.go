package domain

import "testing"

func TestMatchKey(t *testing.T) {
	same := [][]string{
		{"Saint-Michel", "St-Michel", "st michel", "SAINT MICHEL", "Saint–Michel"},
		{"Côte-des-Neiges", "cote des neiges", "COTE-DES-NEIGES"},
		{"Sainte-Marie", "Ste-Marie", "ste. marie"},
		{"Montréal-Nord", "Montreal Nord", "montréal-n"},
		{"L'Île-Bizard", "l ile bizard"},
	}
	for _, group := range same {
		want := MatchKey(group[0])
		for _, s := range group[1:] {
			if got := MatchKey(s); got != want {
				t.Errorf("MatchKey(%q) = %q, want %q (as %q)", s, got, want, group[0])
			}
		}
	}
	if MatchKey("Saint-Michel") == MatchKey("Saint-Henri") {
		t.Error("different quartiers must not share a key")
	}
	if got := MatchKey("Côte-des-Neiges"); got != "cote des neiges" {
		t.Errorf("MatchKey = %q", got)
	}
}

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Côte-des-Neiges":           "cote-des-neiges",
		"Saint-Michel":              "saint-michel",
		"L'Île-Bizard":              "l-ile-bizard",
		"  Hochelaga  Maisonneuve ": "hochelaga-maisonneuve",
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"verdun", "verdum", 1}, {"rosemont", "rosmeont", 2}, {"été", "ete", 2}}
	for _, c := range cases {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]Language{"fr": French, "Français": French, "fr-CA": French, "EN": English, "en_US": English, "anglais": English} {
		if got, ok := ParseLanguage(in); !ok || got != want {
			t.Errorf("ParseLanguage(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParseLanguage("de"); ok {
		t.Error("de must not parse")
	}
}

func TestConditions(t *testing.T) {
	if len(Conditions) != 6 {
		t.Fatalf("%d conditions", len(Conditions))
	}
	for _, c := range Conditions {
		if !c.Valid() || c.Name(French) == "" || c.Name(English) == "" {
			t.Errorf("condition %q incomplete", c)
		}
	}
	if Condition("vibes").Valid() {
		t.Error("unknown condition must be invalid")
	}
}
