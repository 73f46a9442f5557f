package loadgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/seed"
)

// Kinds of command the generator can send.
const (
	KindQuartier    = "quartier"
	KindFinancement = "financement"
	KindChercher    = "chercher"
)

// Kinds lists the kinds, in report order.
var Kinds = []string{KindQuartier, KindFinancement, KindChercher}

// Command is one slash command to send: `/pic <Text>` typed by UserID.
type Command struct {
	Kind   string
	Text   string
	UserID string
}

// Corpus is what the commands are made of: the synthetic dataset's names,
// themes, words and people, taken from the seed package itself so the load
// always asks for things the database holds.
type Corpus struct {
	Quartiers    []string // names as stored, e.g. "Saint-Érables 0001 (synthétique)"
	Themes       []ThemeName
	WordsFr      []string
	WordsEn      []string
	Members      []string // Slack ids of Table members
	Partners     []string
	Coordinators []string
	Unknown      []string // ids Relais does not know (guests)
	// DocFreq is how many generated initiative texts hold each word, to pick
	// a common and a rare search word for Explain.
	DocFreq map[string]int
}

// ThemeName is a theme's names as people type them, without the dataset's
// "(synthétique)" marker.
type ThemeName struct{ Fr, En string }

// corpusInitiatives is how many synthetic initiatives feed the word lists:
// enough to see every word of the generator's lists, and fast to build.
const corpusInitiatives = 2000

// SyntheticCorpus builds the corpus of a dataset seeded with this many
// quartiers (seed.FullSynthetic.Quartiers by default). The seed's generator
// draws the quartiers before anything else, so their names do not depend on
// the other sizes, and building the corpus takes milliseconds.
func SyntheticCorpus(quartiers int) *Corpus {
	if quartiers <= 0 {
		quartiers = seed.FullSynthetic.Quartiers
	}
	d := seed.SyntheticData(seed.SyntheticOptions{Quartiers: quartiers, Initiatives: corpusInitiatives, Funding: 1, Notes: 1})
	c := &Corpus{DocFreq: map[string]int{}}
	for _, q := range d.Quartiers {
		c.Quartiers = append(c.Quartiers, q.Name)
	}
	for _, t := range d.Themes {
		c.Themes = append(c.Themes, ThemeName{Fr: stripMarker(t.NameFr), En: stripMarker(t.NameEn)})
	}
	for _, p := range d.People {
		switch p.Role {
		case domain.RoleTableMember:
			c.Members = append(c.Members, p.SlackUserID)
		case domain.RolePartner:
			c.Partners = append(c.Partners, p.SlackUserID)
		case domain.RoleCoordinator:
			c.Coordinators = append(c.Coordinators, p.SlackUserID)
		}
	}
	for i := 1; i <= 10; i++ {
		c.Unknown = append(c.Unknown, fmt.Sprintf("ULOADGEN%02d", i))
	}
	fr, en := map[string]bool{}, map[string]bool{}
	for _, in := range d.Initiatives {
		seen := map[string]bool{}
		for _, w := range words(in.Title + " " + in.Summary) {
			if in.Language == domain.English {
				en[w] = true
			} else {
				fr[w] = true
			}
			if !seen[w] {
				seen[w] = true
				c.DocFreq[w]++
			}
		}
	}
	c.WordsFr, c.WordsEn = sortedKeys(fr), sortedKeys(en)
	return c
}

func stripMarker(s string) string {
	s = strings.TrimSuffix(s, " (synthétique)")
	return strings.TrimSuffix(s, " (synthetic)")
}

// stopWords are frequent words a person would not search for alone.
var stopWords = map[string]bool{
	"avant": true, "après": true, "depuis": true, "pendant": true, "entre": true, "malgré": true,
	"grâce": true, "notre": true, "leurs": true, "while": true, "before": true, "during": true,
	"despite": true, "their": true, "which": true, "about": true, "there": true, "these": true,
	"first": true, "première": true, "plusieurs": true, "several": true, "toujours": true, "still": true,
}

// words splits text into the lower-case words of five letters or more.
func words(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) >= 5 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CommonWord and RareWord are the search words the corpus holds most and
// least often (ties broken alphabetically, so the choice is stable).
func (c *Corpus) CommonWord() string { return c.byFreq(func(a, b int) bool { return a > b }) }

// RareWord: see CommonWord.
func (c *Corpus) RareWord() string { return c.byFreq(func(a, b int) bool { return a < b }) }

func (c *Corpus) byFreq(better func(a, b int) bool) string {
	best, bestN := "", 0
	for _, w := range append(slices.Clone(c.WordsFr), c.WordsEn...) {
		n := c.DocFreq[w]
		if best == "" || better(n, bestN) || (n == bestN && w < best) {
			best, bestN = w, n
		}
	}
	return best
}

// ParseMix reads a comma-separated list of kinds ("quartier,financement").
func ParseMix(s string) ([]string, error) {
	var mix []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("unknown command kind %q (want %s)", k, strings.Join(Kinds, ", "))
		}
		if !slices.Contains(mix, k) {
			mix = append(mix, k)
		}
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("empty mix (want some of %s)", strings.Join(Kinds, ", "))
	}
	return mix, nil
}

// Generator draws commands of the mix's kinds, equally often. It is not safe
// for concurrent use: the scheduler alone calls Next.
type Generator struct {
	c   *Corpus
	mix []string
	r   *rand.Rand
}

// NewGenerator returns a generator whose sequence is fixed by seed.
func NewGenerator(c *Corpus, mix []string, seed uint64) *Generator {
	return &Generator{c: c, mix: mix, r: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// Next draws the next command.
func (g *Generator) Next() Command {
	kind := g.mix[g.r.IntN(len(g.mix))]
	var text string
	switch kind {
	case KindQuartier:
		text = g.verb("quartier", "neighbourhood", "q") + " " + g.quartierName()
	case KindFinancement:
		text = g.financement()
	case KindChercher:
		text = g.verb("chercher", "search", "recherche") + " " + g.searchWords()
	}
	return Command{Kind: kind, Text: text, UserID: g.caller()}
}

// verb is the French verb most of the time, else an English or short alias.
func (g *Generator) verb(fr, en, alias string) string {
	switch n := g.r.IntN(20); {
	case n < 16:
		return fr
	case n < 19:
		return en
	default:
		return alias
	}
}

// quartierName is a quartier's name typed the ways people type it.
func (g *Generator) quartierName() string {
	name := g.c.Quartiers[g.r.IntN(len(g.c.Quartiers))]
	short := stripMarker(name)
	switch n := g.r.IntN(20); {
	case n < 6: // as stored: the exact-match path
		return name
	case n < 12: // without the marker: the whole-words path
		return short
	case n < 16: // lower case, no accents
		return fold(short)
	case n < 19: // St-/Ste- abbreviations, when the name has them
		return abbreviate(short)
	default: // one letter missing: the trigram (typo) path
		return typo(g.r, short)
	}
}

func (g *Generator) financement() string {
	verb := g.verb("financement", "funding", "fonds")
	switch g.r.IntN(4) {
	case 0:
		return verb
	case 1:
		return fmt.Sprintf("%s %d", verb, 2015+g.r.IntN(13))
	case 2:
		t := g.c.Themes[g.r.IntN(len(g.c.Themes))]
		switch g.r.IntN(4) {
		case 0:
			return verb + " " + fold(t.Fr)
		case 1:
			return verb + " " + t.En
		default:
			return verb + " " + t.Fr
		}
	default:
		return verb + " " + g.quartierName()
	}
}

// searchWords are one to three words of one language, French four times in
// five as in the partnership.
func (g *Generator) searchWords() string {
	list := g.c.WordsFr
	if g.r.IntN(5) == 0 {
		list = g.c.WordsEn
	}
	n := 1 + g.r.IntN(3)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = list[g.r.IntN(len(list))]
	}
	return strings.Join(ws, " ")
}

// caller: mostly Table members, then partners and coordinators, and some
// Slack users Relais does not know.
func (g *Generator) caller() string {
	pick := func(ids []string) string { return ids[g.r.IntN(len(ids))] }
	switch n := g.r.IntN(20); {
	case n < 12:
		return pick(g.c.Members)
	case n < 15:
		return pick(g.c.Partners)
	case n < 18:
		return pick(g.c.Coordinators)
	default:
		return pick(g.c.Unknown)
	}
}

// fold lower-cases s and drops its accents, keeping hyphens: "saint-erables".
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'à', 'â', 'ä':
			r = 'a'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'î', 'ï':
			r = 'i'
		case 'ô', 'ö':
			r = 'o'
		case 'ù', 'û', 'ü':
			r = 'u'
		case 'ç':
			r = 'c'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// abbreviate writes Saint-/Sainte- as St-/Ste-, as Montrealers do.
func abbreviate(s string) string {
	switch {
	case strings.HasPrefix(s, "Sainte-"):
		return "Ste-" + strings.TrimPrefix(s, "Sainte-")
	case strings.HasPrefix(s, "Saint-"):
		return "St-" + strings.TrimPrefix(s, "Saint-")
	}
	return fold(s)
}

// intner is the part of *rand.Rand typo uses, so Explain can fix its choice.
type intner interface{ IntN(n int) int }

// typo drops one letter (not the first or last) of the name's longest word.
func typo(r intner, s string) string {
	fields := strings.FieldsFunc(s, func(c rune) bool { return c == ' ' || c == '-' })
	long := ""
	for _, f := range fields {
		if len([]rune(f)) > len([]rune(long)) {
			long = f
		}
	}
	rs := []rune(long)
	if len(rs) < 4 {
		return s
	}
	i := 1 + r.IntN(len(rs)-2)
	return strings.Replace(s, long, string(rs[:i])+string(rs[i+1:]), 1)
}
