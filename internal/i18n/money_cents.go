package i18n

import (
	"fmt"

	"github.com/pic-montreal/relais/internal/domain"
)

// MoneyCents formats an amount in cents with its cents: "1 234,50 $" in
// French, "$1,234.50" in English. It is for small figures such as funding
// per resident, where whole dollars (Money) would all read "0 $".
func MoneyCents(lang domain.Language, cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	var s string
	if lang == domain.English {
		s = fmt.Sprintf("$%s.%02d", group(cents/100, ","), cents%100)
	} else {
		s = fmt.Sprintf("%s,%02d%s$", group(cents/100, narrowNbsp), cents%100, nbsp)
	}
	if neg {
		s = "-" + s
	}
	return s
}
