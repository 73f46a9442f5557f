package domain

import (
	"strings"
	"unicode"
)

// MatchKey folds a name so that people find it however they type it: no case,
// no accents, hyphens and punctuation as spaces, and the "St-/Ste-" style
// abbreviations spelled out ("St-Michel" and "saint michel" give the same key).
func MatchKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if f, ok := foldRune(r); ok {
			b.WriteString(f)
			continue
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	for i, w := range words {
		if full, ok := abbreviations[w]; ok {
			words[i] = full
		}
	}
	return strings.Join(words, " ")
}

var abbreviations = map[string]string{
	"st":   "saint",
	"ste":  "sainte",
	"sts":  "saints",
	"stes": "saintes",
	"n":    "nord",
	"e":    "est",
	"o":    "ouest",
}

// foldRune strips the accents of the Latin letters French and English use.
func foldRune(r rune) (string, bool) {
	switch r {
	case 'à', 'á', 'â', 'ä', 'ã', 'å':
		return "a", true
	case 'ç':
		return "c", true
	case 'è', 'é', 'ê', 'ë':
		return "e", true
	case 'ì', 'í', 'î', 'ï':
		return "i", true
	case 'ñ':
		return "n", true
	case 'ò', 'ó', 'ô', 'ö', 'õ':
		return "o", true
	case 'ù', 'ú', 'û', 'ü':
		return "u", true
	case 'ÿ', 'ý':
		return "y", true
	case 'œ':
		return "oe", true
	case 'æ':
		return "ae", true
	case '’', '\'':
		return " ", true
	}
	return "", false
}

// Slugify turns a name into a URL- and id-safe slug ("Côte-des-Neiges" ->
// "cote-des-neiges"). Abbreviations are kept as typed.
func Slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := foldRune(r); ok {
			r = rune(f[0])
			if f == " " {
				r = '-'
			}
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	parts := strings.FieldsFunc(b.String(), func(r rune) bool { return r == '-' })
	return strings.Join(parts, "-")
}

// EditDistance is the Levenshtein distance between a and b, in runes; it is
// how small typos in names are forgiven.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
