package schedule

import (
	"errors"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) Date { return Date{y, m, d} }

// The expected dates were read off a calendar, by hand, and checked against an independent Easter table.
func TestHolidays2026To2030(t *testing.T) {
	want := map[int][]Date{
		2026: {date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 18), date(2026, 6, 24), date(2026, 7, 1), date(2026, 9, 7), date(2026, 10, 12), date(2026, 12, 25)},
		2027: {date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 24), date(2027, 6, 24), date(2027, 7, 1), date(2027, 9, 6), date(2027, 10, 11), date(2027, 12, 25)},
		// Fête nationale and Canada Day on a Saturday stay there.
		2028: {date(2028, 1, 1), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 22), date(2028, 6, 24), date(2028, 7, 1), date(2028, 9, 4), date(2028, 10, 9), date(2028, 12, 25)},
		// June 24 and July 1 are Sundays: moved to Monday June 25 and July 2.
		2029: {date(2029, 1, 1), date(2029, 3, 30), date(2029, 4, 2), date(2029, 5, 21), date(2029, 6, 25), date(2029, 7, 2), date(2029, 9, 3), date(2029, 10, 8), date(2029, 12, 25)},
		// May 25 is a Saturday: Patriotes is the Monday before, May 20.
		2030: {date(2030, 1, 1), date(2030, 4, 19), date(2030, 4, 22), date(2030, 5, 20), date(2030, 6, 24), date(2030, 7, 1), date(2030, 9, 2), date(2030, 10, 14), date(2030, 12, 25)},
	}
	names := []string{"New Year's Day", "Good Friday", "Easter Monday", "National Patriots' Day", "Fête nationale (Québec's National Holiday)", "Canada Day", "Labour Day", "Thanksgiving", "Christmas Day"}
	for year, dates := range want {
		got := Holidays(year)
		if len(got) != len(dates) {
			t.Fatalf("%d: %d holidays, want %d: %v", year, len(got), len(dates), got)
		}
		for i, h := range got {
			if h.Date != dates[i] || h.NameEN != names[i] || h.NameFR == "" {
				t.Errorf("%d #%d: got %v %q/%q, want %v %q", year, i, h.Date, h.NameFR, h.NameEN, dates[i], names[i])
			}
			if !IsQuietDay(h.Date) {
				t.Errorf("%v (%s) is not a quiet day", h.Date, h.NameEN)
			}
		}
	}
}

func TestEasterSunday(t *testing.T) {
	for _, want := range []Date{
		date(2000, 4, 23), date(2019, 4, 21), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28),
		date(2028, 4, 16), date(2029, 4, 1), date(2030, 4, 21), date(2038, 4, 25), date(2285, 3, 22), date(1943, 4, 25),
	} {
		if got := EasterSunday(want.Year); got != want {
			t.Errorf("EasterSunday(%d) = %v, want %v", want.Year, got, want)
		}
	}
}

func TestIsQuietDay(t *testing.T) {
	for _, tc := range []struct {
		day   Date
		quiet bool
		why   string
	}{
		{date(2027, 3, 2), false, "a Tuesday"},
		{date(2027, 3, 6), true, "a Saturday"},
		{date(2027, 3, 7), true, "a Sunday"},
		{date(2027, 3, 26), true, "Good Friday"},
		{date(2027, 3, 29), true, "Easter Monday"},
		{date(2027, 3, 25), false, "Holy Thursday is not a holiday"},
		{date(2028, 12, 26), false, "Dec 26 is not statutory in Québec"},
		{date(2029, 1, 2), false, "Jan 2 is not statutory in Québec"},
		{date(2029, 6, 25), true, "Fête nationale moved off a Sunday"},
		{date(2029, 7, 2), true, "Canada Day moved off a Sunday"},
		{date(2028, 6, 26), false, "Fête nationale on a Saturday is not moved"},
		{date(2028, 11, 11), true, "a Saturday (Remembrance Day is not statutory here)"},
		{date(2027, 11, 11), false, "Remembrance Day, a Thursday, is a working day"},
		{date(2027, 9, 30), false, "Truth and Reconciliation Day is federal only"},
	} {
		if got := IsQuietDay(tc.day); got != tc.quiet {
			t.Errorf("IsQuietDay(%v) = %v, want %v (%s)", tc.day, got, tc.quiet, tc.why)
		}
	}
}

func TestHolidayOn(t *testing.T) {
	h, ok := HolidayOn(date(2027, 5, 24))
	if !ok || h.NameFR != "Journée nationale des patriotes" {
		t.Errorf("HolidayOn(2027-05-24) = %+v, %v", h, ok)
	}
	if _, ok := HolidayOn(date(2027, 5, 25)); ok {
		t.Error("2027-05-25 is not a holiday")
	}
}

func TestNextWorkingDay(t *testing.T) {
	mtl := montreal(t)
	for _, tc := range []struct{ in, want time.Time }{
		{time.Date(2027, 3, 2, 9, 0, 0, 0, mtl), time.Date(2027, 3, 2, 9, 0, 0, 0, mtl)},
		{time.Date(2027, 3, 26, 9, 15, 30, 0, mtl), time.Date(2027, 3, 30, 9, 15, 30, 0, mtl)}, // Good Friday → Tuesday after Easter Monday
		{time.Date(2027, 12, 25, 9, 0, 0, 0, mtl), time.Date(2027, 12, 27, 9, 0, 0, 0, mtl)},   // Christmas on a Saturday
		{time.Date(2029, 6, 23, 9, 0, 0, 0, mtl), time.Date(2029, 6, 26, 9, 0, 0, 0, mtl)},     // Saturday, Sunday, moved Fête nationale
		{time.Date(2026, 10, 31, 9, 0, 0, 0, mtl), time.Date(2026, 11, 2, 9, 0, 0, 0, mtl)},    // across the autumn DST change
	} {
		if got := NextWorkingDay(tc.in); !got.Equal(tc.want) {
			t.Errorf("NextWorkingDay(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestAddWorkingDaysAcrossEaster2027(t *testing.T) {
	mtl := montreal(t)
	holyThursday := time.Date(2027, 3, 25, 10, 0, 0, 0, mtl)
	for _, tc := range []struct {
		n    int
		want Date
	}{
		{1, date(2027, 3, 30)}, // Good Friday, the weekend and Easter Monday are not counted
		{2, date(2027, 3, 31)},
		{5, date(2027, 4, 5)},
		{10, date(2027, 4, 12)},
		{20, date(2027, 4, 26)},
	} {
		got, err := AddWorkingDays(holyThursday, tc.n)
		if err != nil {
			t.Fatalf("AddWorkingDays(%d): %v", tc.n, err)
		}
		if want := time.Date(tc.want.Year, tc.want.Month, tc.want.Day, 10, 0, 0, 0, mtl); !got.Equal(want) {
			t.Errorf("AddWorkingDays(Holy Thursday 2027, %d) = %v, want %v", tc.n, got, want)
		}
	}
	// From a quiet day, counting starts at the next working day.
	got, err := AddWorkingDays(time.Date(2027, 3, 27, 10, 0, 0, 0, mtl), 1)
	if err != nil || !got.Equal(time.Date(2027, 3, 30, 10, 0, 0, 0, mtl)) {
		t.Errorf("AddWorkingDays(Easter Saturday, 1) = %v, %v", got, err)
	}
}

func TestAddWorkingDaysRefusesOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 0, MaxWorkingDays + 1, 1000} {
		_, err := AddWorkingDays(time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC), n)
		var e *Error
		if !errors.As(err, &e) || e.Reason != ReasonWorkingDaysOutOfRange || e.Field != FieldWorkingDays {
			t.Errorf("AddWorkingDays(%d) error = %v, want %s", n, err, ReasonWorkingDaysOutOfRange)
		}
	}
}

func TestPause(t *testing.T) {
	summer, err := NewPause(date(2027, 7, 1), date(2027, 8, 31))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    Date
		want bool
	}{{date(2027, 6, 30), false}, {date(2027, 7, 1), true}, {date(2027, 8, 31), true}, {date(2027, 9, 1), false}} {
		if got := summer.Contains(tc.d); got != tc.want {
			t.Errorf("Contains(%v) = %v", tc.d, got)
		}
	}
	for _, bad := range [][2]Date{{date(2027, 9, 1), date(2027, 8, 31)}, {{}, date(2027, 8, 31)}} {
		var e *Error
		if _, err := NewPause(bad[0], bad[1]); !errors.As(err, &e) || e.Reason != ReasonBadPause {
			t.Errorf("NewPause(%v, %v) error = %v", bad[0], bad[1], err)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2027-02-28")
	if err != nil || d != date(2027, 2, 28) || d.AddDays(1) != date(2027, 3, 1) || d.String() != "2027-02-28" {
		t.Errorf("ParseDate/AddDays/String: %v %v %v", d, err, d.AddDays(1))
	}
	if _, err := ParseDate("2027-02-30"); err == nil {
		t.Error("ParseDate(2027-02-30) accepted")
	}
	for _, tc := range []struct {
		n    int
		wd   time.Weekday
		want Date
		ok   bool
	}{
		{1, time.Tuesday, date(2027, 3, 2), true},
		{5, time.Wednesday, date(2027, 3, 31), true},
		{5, time.Thursday, Date{}, false},
		{5, time.Tuesday, date(2027, 3, 30), true},
		{-1, time.Friday, date(2027, 3, 26), true},
		{-1, time.Wednesday, date(2027, 3, 31), true},
	} {
		got, ok := nthWeekday(2027, time.March, tc.n, tc.wd)
		if got != tc.want || ok != tc.ok {
			t.Errorf("nthWeekday(March 2027, %d, %v) = %v, %v", tc.n, tc.wd, got, ok)
		}
	}
}

func montreal(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
