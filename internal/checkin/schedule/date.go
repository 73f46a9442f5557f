package schedule

import (
	"fmt"
	"time"
)

// Date is a civil date, with no time of day and no zone: holidays, pauses and periods are dates, and comparing
// instants for them would shift by the zone offset.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is t's date in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// utc is d at midnight UTC: date arithmetic there has no DST.
func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays is d plus n days (normalized: Jan 32 is Feb 1).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.utc().Compare(e.utc()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// daysInMonth counts the days of month m of year y.
func daysInMonth(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nthWeekday is the nth (1..5, or -1 for the last) given weekday of the month, and false when the month has no
// such day (a fifth Tuesday).
func nthWeekday(y int, m time.Month, n int, wd time.Weekday) (Date, bool) {
	if n == -1 {
		last := Date{y, m, daysInMonth(y, m)}
		return last.AddDays(-((int(last.Weekday()) - int(wd) + 7) % 7)), true
	}
	first := Date{y, m, 1}
	day := 1 + (int(wd)-int(first.Weekday())+7)%7 + 7*(n-1)
	if day > daysInMonth(y, m) {
		return Date{}, false
	}
	return Date{y, m, day}, true
}

// Pause suspends every schedule from From to To, both included: an occurrence whose run date falls in it is
// skipped, not moved (a summer break is not a delay).
type Pause struct {
	From, To Date
}

// NewPause checks that from is not after to.
func NewPause(from, to Date) (Pause, error) {
	if from.IsZero() || to.IsZero() || from.After(to) {
		return Pause{}, &Error{Reason: ReasonBadPause, Field: FieldPause, Value: from.String() + ".." + to.String()}
	}
	return Pause{from, to}, nil
}

// Contains reports whether d is within the pause.
func (p Pause) Contains(d Date) bool { return !d.Before(p.From) && !d.After(p.To) }

// Paused reports whether any of the pauses contains d.
func Paused(pauses []Pause, d Date) bool {
	for _, p := range pauses {
		if p.Contains(d) {
			return true
		}
	}
	return false
}
