package digest_test

import (
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/digest"
)

func TestDueAt(t *testing.T) {
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	for _, c := range []struct {
		name   string
		month  digest.Month
		closes time.Time
		want   time.Time
	}{
		{"no round: first working day of the next month", digest.Month{Year: 2026, Month: time.October}, time.Time{}, at(2026, 11, 2, 9, 0)},
		{"no round, next month opens on a holiday weekend", digest.Month{Year: 2026, Month: time.December}, time.Time{}, at(2027, 1, 4, 9, 0)},
		{"closes on a Tuesday: Wednesday", digest.Month{Year: 2026, Month: time.October}, at(2026, 11, 10, 17, 0), at(2026, 11, 11, 9, 0)},
		{"closes on a Friday: Monday", digest.Month{Year: 2026, Month: time.October}, at(2026, 11, 6, 17, 0), at(2026, 11, 9, 9, 0)},
		{"closes before Good Friday: after Easter Monday", digest.Month{Year: 2026, Month: time.March}, at(2026, 4, 2, 17, 0), at(2026, 4, 7, 9, 0)},
		// 23:30 in Montreal is already the next day in UTC: the local date counts.
		{"closes late at night", digest.Month{Year: 2026, Month: time.October}, at(2026, 11, 10, 23, 30).UTC(), at(2026, 11, 11, 9, 0)},
	} {
		if got := digest.DueAt(c.month, c.closes, loc); !got.Equal(c.want) {
			t.Errorf("%s: DueAt = %v, want %v", c.name, got, c.want)
		}
	}
}
