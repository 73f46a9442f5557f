// Package i18n holds every sentence a person reads, in French (the reference)
// and English, and formats money, numbers and dates the Canadian way for each.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
)

// The catalog is one file per language (catalog/fr.json) and, for areas
// that keep their sentences apart, one per area and language
// (catalog/checkin_answer.fr.json). A key defined twice is a bug.
//
//go:embed catalog/*.json
var catalogFS embed.FS

var catalogs = map[domain.Language]map[string]string{}

func init() {
	files, err := catalogFS.ReadDir("catalog")
	if err != nil {
		panic(fmt.Sprintf("i18n: %v", err))
	}
	for _, lang := range []domain.Language{domain.French, domain.English} {
		all := map[string]string{}
		for _, f := range files {
			name := f.Name()
			if name != string(lang)+".json" && !strings.HasSuffix(name, "."+string(lang)+".json") {
				continue
			}
			b, err := catalogFS.ReadFile("catalog/" + name)
			if err != nil {
				panic(fmt.Sprintf("i18n: %v", err))
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				panic(fmt.Sprintf("i18n: catalog %s: %v", name, err))
			}
			for k, v := range m {
				if _, dup := all[k]; dup {
					panic(fmt.Sprintf("i18n: catalog %s: key %q defined twice", name, k))
				}
				all[k] = v
			}
		}
		catalogs[lang] = all
	}
}

// T returns the sentence for key in lang, formatted with args (fmt verbs).
// A missing key falls back to French, then to the key itself, so a slip shows
// as a visible key rather than an empty message; the catalog test catches it.
func T(lang domain.Language, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		s, ok = catalogs[domain.French][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Keys lists the keys of lang's catalog (for tests).
func Keys(lang domain.Language) []string {
	out := make([]string, 0, len(catalogs[lang]))
	for k := range catalogs[lang] {
		out = append(out, k)
	}
	return out
}

// Has reports whether lang's catalog defines key.
func Has(lang domain.Language, key string) bool { _, ok := catalogs[lang][key]; return ok }

const nbsp = "\u00a0"
const narrowNbsp = "\u202f"

// Money formats an amount in cents as whole Canadian dollars (rounded):
// "1 234 567 $" in French, "$1,234,567" in English. Relais shows totals and
// shares of grants, where cents are noise.
func Money(lang domain.Language, cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := (cents + 50) / 100
	var s string
	if lang == domain.English {
		s = "$" + group(whole, ",")
	} else {
		s = group(whole, narrowNbsp) + nbsp + "$"
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Number formats an integer with the language's thousands separator.
func Number(lang domain.Language, n int64) string {
	sep := narrowNbsp
	if lang == domain.English {
		sep = ","
	}
	if n < 0 {
		return "-" + group(-n, sep)
	}
	return group(n, sep)
}

func group(n int64, sep string) string {
	s := fmt.Sprint(n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

var monthsFr = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}
var monthsEn = [...]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}

// Month names a month: "octobre 2026", "October 2026".
func Month(lang domain.Language, year int, month int) string {
	if month < 1 || month > 12 {
		return fmt.Sprintf("%04d-%02d", year, month)
	}
	if lang == domain.English {
		return fmt.Sprintf("%s %d", monthsEn[month-1], year)
	}
	return fmt.Sprintf("%s %d", monthsFr[month-1], year)
}

// Date formats a day: "3 octobre 2026", "October 3, 2026".
func Date(lang domain.Language, year, month, day int) string {
	if month < 1 || month > 12 {
		return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
	}
	if lang == domain.English {
		return fmt.Sprintf("%s %d, %d", monthsEn[month-1], day, year)
	}
	if day == 1 {
		return fmt.Sprintf("1er %s %d", monthsFr[month-1], year)
	}
	return fmt.Sprintf("%d %s %d", day, monthsFr[month-1], year)
}

// N picks the singular or plural form of key (key+".one" or key+".other")
// for n, by each language's rule (French treats 0 and 1 as singular), and
// formats it with n followed by args.
func N(lang domain.Language, key string, n int, args ...any) string {
	form := ".other"
	if n == 1 || (n == 0 && lang != domain.English) {
		form = ".one"
	}
	return T(lang, key+form, append([]any{n}, args...)...)
}
