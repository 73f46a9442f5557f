package loadgen

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
)

func TestSyntheticCorpus(t *testing.T) {
	c := SyntheticCorpus(50)
	if len(c.Quartiers) != 50 || !strings.HasSuffix(c.Quartiers[0], " (synthétique)") {
		t.Fatalf("quartiers: %d, first %q", len(c.Quartiers), c.Quartiers[0])
	}
	// The seed draws quartiers first: a larger dataset starts with the same names.
	if big := SyntheticCorpus(0); big.Quartiers[49] != c.Quartiers[49] || len(big.Quartiers) != 1000 {
		t.Errorf("quartier 50 differs with the full size: %q vs %q", big.Quartiers[49], c.Quartiers[49])
	}
	if len(c.Members) != 50 || len(c.Partners) == 0 || len(c.Coordinators) == 0 || len(c.Unknown) == 0 {
		t.Errorf("callers: %d members, %d partners, %d coordinators, %d unknown",
			len(c.Members), len(c.Partners), len(c.Coordinators), len(c.Unknown))
	}
	if len(c.Themes) == 0 || strings.Contains(c.Themes[0].Fr, "synth") {
		t.Errorf("themes: %+v", c.Themes)
	}
	if len(c.WordsFr) < 50 || len(c.WordsEn) < 50 || !slices.Contains(c.WordsFr, "locataires") ||
		!slices.Contains(c.WordsEn, "tenants") {
		t.Errorf("words: %d French, %d English", len(c.WordsFr), len(c.WordsEn))
	}
	if common, rare := c.CommonWord(), c.RareWord(); common == rare || c.DocFreq[common] <= c.DocFreq[rare] {
		t.Errorf("common %q (%d) vs rare %q (%d)", common, c.DocFreq[common], rare, c.DocFreq[rare])
	}
}

func TestParseMix(t *testing.T) {
	got, err := ParseMix("quartier, financement,quartier")
	if err != nil || !slices.Equal(got, []string{"quartier", "financement"}) {
		t.Errorf("ParseMix = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "quartier,aide"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q): want an error", bad)
		}
	}
}

func TestGeneratorDrawsTheMixDeterministically(t *testing.T) {
	c := SyntheticCorpus(100)
	a := NewGenerator(c, []string{KindQuartier, KindFinancement}, 7)
	b := NewGenerator(c, []string{KindQuartier, KindFinancement}, 7)
	known := map[string]bool{}
	for _, ids := range [][]string{c.Members, c.Partners, c.Coordinators, c.Unknown} {
		for _, id := range ids {
			known[id] = true
		}
	}
	kinds := map[string]int{}
	for range 2000 {
		x, y := a.Next(), b.Next()
		if x != y {
			t.Fatalf("same seed, different commands: %+v vs %+v", x, y)
		}
		kinds[x.Kind]++
		if !known[x.UserID] {
			t.Errorf("caller %q is not in the corpus", x.UserID)
		}
		verb, _, _ := strings.Cut(x.Text, " ")
		want := map[string][]string{KindQuartier: {"quartier", "neighbourhood", "q"},
			KindFinancement: {"financement", "funding", "fonds"}}[x.Kind]
		if !slices.Contains(want, verb) {
			t.Errorf("%s command %q starts with %q", x.Kind, x.Text, verb)
		}
	}
	if kinds[KindChercher] != 0 || kinds[KindQuartier] < 800 || kinds[KindFinancement] < 800 {
		t.Errorf("kinds drawn: %v", kinds)
	}
	s := NewGenerator(c, []string{KindChercher}, 1)
	for range 100 {
		cmd := s.Next()
		words := strings.Fields(cmd.Text)
		if cmd.Kind != KindChercher || len(words) < 2 || len(words) > 4 {
			t.Errorf("search command %+v", cmd)
		}
	}
}

func TestTypedNamesFindTheQuartier(t *testing.T) {
	// Every way of typing but the typo folds to the start of the stored key,
	// which is what the store's exact and whole-words lookups need.
	name := "Sainte-Écluses 0042 (synthétique)"
	key := domain.MatchKey(name)
	short := stripMarker(name)
	for _, typed := range []string{name, short, fold(short), abbreviate(short)} {
		if k := domain.MatchKey(typed); !strings.HasPrefix(key, k) {
			t.Errorf("%q folds to %q, not a prefix of %q", typed, k, key)
		}
	}
	if got := abbreviate("Saint-Pins 0001"); got != "St-Pins 0001" {
		t.Errorf("abbreviate = %q", got)
	}
	if got := fold("Côte-Érables"); got != "cote-erables" {
		t.Errorf("fold = %q", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		got := typo(r, short)
		if d := domain.EditDistance(domain.MatchKey(got), domain.MatchKey(short)); d != 1 {
			t.Errorf("typo(%q) = %q, %d edits away", short, got, d)
		}
	}
}
