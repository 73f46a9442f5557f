package i18n

import (
	"testing"

	"github.com/pic-montreal/relais/internal/domain"
)

func TestMoneyCents(t *testing.T) {
	cases := []struct {
		lang  domain.Language
		cents int64
		want  string
	}{
		{domain.French, 44, "0,44\u00a0$"},
		{domain.English, 44, "$0.44"},
		{domain.French, 123456705, "1\u202f234\u202f567,05\u00a0$"},
		{domain.English, 123456705, "$1,234,567.05"},
		{domain.French, 0, "0,00\u00a0$"},
		{domain.English, -1250, "-$12.50"},
	}
	for _, c := range cases {
		if got := MoneyCents(c.lang, c.cents); got != c.want {
			t.Errorf("MoneyCents(%s, %d) = %q, want %q", c.lang, c.cents, got, c.want)
		}
	}
}
