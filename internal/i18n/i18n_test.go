package i18n

import (
	"regexp"
	"sort"
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
)

// Every key exists in both catalogs, with the same formatting verbs.
func TestCatalogsMatch(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
	fr, en := Keys(domain.French), Keys(domain.English)
	sort.Strings(fr)
	for _, k := range fr {
		if !Has(domain.English, k) {
			t.Errorf("key %q is missing in en.json", k)
			continue
		}
		a := verbs.FindAllString(T(domain.French, k), -1)
		b := verbs.FindAllString(T(domain.English, k), -1)
		if len(a) != len(b) {
			t.Errorf("key %q: fr has verbs %v, en has %v", k, a, b)
		}
		if catalogs[domain.French][k] == "" || catalogs[domain.English][k] == "" {
			t.Errorf("key %q is empty", k)
		}
	}
	for _, k := range en {
		if !Has(domain.French, k) {
			t.Errorf("key %q is missing in fr.json", k)
		}
	}
}

func TestMoney(t *testing.T) {
	cases := []struct {
		lang  domain.Language
		cents int64
		want  string
	}{
		{domain.French, 123456789, "1\u202f234\u202f568\u00a0$"},
		{domain.French, 2300000000, "23\u202f000\u202f000\u00a0$"},
		{domain.English, 2300000000, "$23,000,000"},
		{domain.English, 12345, "$123"}, {domain.English, 12350, "$124"},
		{domain.English, 0, "$0"},
		{domain.French, 99900, "999\u00a0$"},
	}
	for _, c := range cases {
		if got := Money(c.lang, c.cents); got != c.want {
			t.Errorf("Money(%s, %d) = %q, want %q", c.lang, c.cents, got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	if got := Date(domain.French, 2026, 10, 1); got != "1er octobre 2026" {
		t.Error(got)
	}
	if got := Date(domain.English, 2026, 10, 3); got != "October 3, 2026" {
		t.Error(got)
	}
	if got := Month(domain.French, 2026, 8); got != "août 2026" {
		t.Error(got)
	}
	if got := Number(domain.English, 1234567); got != "1,234,567" {
		t.Error(got)
	}
}

func TestMissingKeyIsVisible(t *testing.T) {
	if got := T(domain.English, "no.such.key"); got != "no.such.key" {
		t.Errorf("got %q", got)
	}
}
