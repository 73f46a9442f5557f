package schedule

import (
	"sort"
	"time"
)

// Holiday is a Québec statutory holiday, named for messages.
type Holiday struct {
	Date   Date
	NameFR string
	NameEN string
}

// Holidays lists year's Québec statutory holidays (Loi sur les normes du travail), in date order. Only those:
// Dec 26 and Jan 2 are not statutory in Québec, and Remembrance Day and Truth and Reconciliation Day are
// federal only. Fête nationale and Canada Day move to Monday when they fall on a Sunday; the others stay.
func Holidays(year int) []Holiday {
	dates := holidayDates(year)
	hs := make([]Holiday, len(dates))
	for i, d := range dates {
		hs[i] = Holiday{Date: d, NameFR: holidayNames[i][0], NameEN: holidayNames[i][1]}
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Date.Before(hs[j].Date) })
	return hs
}

var holidayNames = [...][2]string{
	{"Jour de l'An", "New Year's Day"},
	{"Vendredi saint", "Good Friday"},
	{"Lundi de Pâques", "Easter Monday"},
	{"Journée nationale des patriotes", "National Patriots' Day"},
	{"Fête nationale du Québec", "Fête nationale (Québec's National Holiday)"},
	{"Fête du Canada", "Canada Day"},
	{"Fête du Travail", "Labour Day"},
	{"Action de grâce", "Thanksgiving"},
	{"Noël", "Christmas Day"},
}

// holidayDates is the dates of holidayNames, in that order; an array, so that IsQuietDay allocates nothing.
func holidayDates(year int) [len(holidayNames)]Date {
	easter := EasterSunday(year)
	sundayToMonday := func(d Date) Date {
		if d.Weekday() == time.Sunday {
			return d.AddDays(1)
		}
		return d
	}
	labourDay, _ := nthWeekday(year, time.September, 1, time.Monday)
	thanksgiving, _ := nthWeekday(year, time.October, 2, time.Monday)
	may25 := Date{year, time.May, 25}
	patriotes := may25.AddDays(-((int(may25.Weekday())-int(time.Monday)+6)%7 + 1)) // the Monday before May 25
	return [...]Date{
		{year, time.January, 1},
		easter.AddDays(-2),
		easter.AddDays(1),
		patriotes,
		sundayToMonday(Date{year, time.June, 24}),
		sundayToMonday(Date{year, time.July, 1}),
		labourDay,
		thanksgiving,
		{year, time.December, 25},
	}
}

// EasterSunday is the Gregorian Easter Sunday of year (the anonymous Gregorian computus, Meeus/Jones/Butcher).
func EasterSunday(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{year, time.Month(month), day}
}

// HolidayOn returns the holiday on d, if any.
func HolidayOn(d Date) (Holiday, bool) {
	for _, h := range Holidays(d.Year) {
		if h.Date == d {
			return h, true
		}
	}
	return Holiday{}, false
}

// IsQuietDay reports whether d gets no prompt and no reminder: a Saturday, a Sunday or a statutory holiday.
func IsQuietDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return true
	}
	for _, h := range holidayDates(d.Year) {
		if h == d {
			return true
		}
	}
	return false
}

// nextWorkingDate is d itself when it is a working day, otherwise the first working day after it.
func nextWorkingDate(d Date) Date {
	for IsQuietDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// NextWorkingDay is t when its local date is a working day, otherwise the same local time on the next working
// day (in t's location; a time that day's DST gap skips runs at the end of the gap).
func NextWorkingDay(t time.Time) time.Time {
	d := DateOf(t)
	w := nextWorkingDate(d)
	if w == d {
		return t
	}
	return atLocal(w, t.Hour(), t.Minute(), t.Location()).Add(time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()))
}

// MaxWorkingDays bounds working-day offsets (reminders, closing): a check-in round lasts weeks, not months, and
// a bound keeps a typo from scheduling a reminder for next year.
const MaxWorkingDays = 20

// AddWorkingDays is the same local time n working days after t's date (1 ≤ n ≤ MaxWorkingDays): quiet days are
// not counted, so 2 working days after Thursday before Good Friday is the Wednesday after Easter Monday.
func AddWorkingDays(t time.Time, n int) (time.Time, error) {
	if n < 1 || n > MaxWorkingDays {
		return time.Time{}, &Error{Reason: ReasonWorkingDaysOutOfRange, Field: FieldWorkingDays, Value: itoa(n)}
	}
	d := addWorkingDates(DateOf(t), n)
	return atLocal(d, t.Hour(), t.Minute(), t.Location()).Add(time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())), nil
}

func addWorkingDates(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if !IsQuietDay(d) {
			n--
		}
	}
	return d
}
