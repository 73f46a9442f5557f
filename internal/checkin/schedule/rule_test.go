package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rule   Rule
		reason Reason
		field  Field
	}{
		{"empty", Rule{Cron: ""}, ReasonEmpty, FieldSpec},
		{"blank", Rule{Cron: "  \t "}, ReasonEmpty, FieldSpec},
		{"CRON_TZ alone (robfig panics)", Rule{Cron: "CRON_TZ=X"}, ReasonTimeZoneInSpec, FieldTimeZone},
		{"CRON_TZ with fields", Rule{Cron: "CRON_TZ=America/Montreal 0 9 * * 1"}, ReasonTimeZoneInSpec, FieldTimeZone},
		{"TZ", Rule{Cron: "TZ=UTC 0 9 * * 1"}, ReasonTimeZoneInSpec, FieldTimeZone},
		{"minute 99", Rule{Cron: "99 * * * *"}, ReasonBadField, FieldMinute},
		{"hour 25", Rule{Cron: "0 25 * * *"}, ReasonBadField, FieldHour},
		{"day 32", Rule{Cron: "0 9 32 * *"}, ReasonBadField, FieldDayOfMonth},
		{"month 13", Rule{Cron: "0 9 * 13 *"}, ReasonBadField, FieldMonth},
		{"weekday 8", Rule{Cron: "0 9 * * 8"}, ReasonBadField, FieldDayOfWeek},
		{"letters", Rule{Cron: "a b c d e"}, ReasonBadField, FieldMinute},
		{"reversed range", Rule{Cron: "0 9 * * 5-1"}, ReasonBadField, FieldDayOfWeek},
		{"four fields", Rule{Cron: "0 9 * *"}, ReasonFieldCount, FieldSpec},
		{"six fields (seconds)", Rule{Cron: "0 0 9 * * *"}, ReasonFieldCount, FieldSpec},
		{"2,000 characters", Rule{Cron: strings.Repeat("1,", 1000)}, ReasonTooLong, FieldSpec},
		{"newline inside", Rule{Cron: "0 9 * *\n1"}, ReasonControlCharacter, FieldSpec},
		{"NUL", Rule{Cron: "0 9 * * 1\x00"}, ReasonControlCharacter, FieldSpec},
		{"escape", Rule{Cron: "0 9 \x1b[2J * *"}, ReasonControlCharacter, FieldSpec},
		{"invalid UTF-8", Rule{Cron: "0 9 * * \xff"}, ReasonControlCharacter, FieldSpec},
		{"@every", Rule{Cron: "@every 1h"}, ReasonUnsupportedDescriptor, FieldSpec},
		{"unknown descriptor", Rule{Cron: "@fortnightly"}, ReasonUnsupportedDescriptor, FieldSpec},
		{"February 30", Rule{Cron: "0 9 30 2 *"}, ReasonNeverOccurs, FieldSpec},
		{"W is not cron here", Rule{Cron: "0 9 1W * *"}, ReasonBadField, FieldDayOfMonth},
		{"sixth Tuesday", Rule{Cron: "0 9 * * 2#6"}, ReasonBadNthWeekday, FieldDayOfWeek},
		{"weekday 9#1", Rule{Cron: "0 9 * * 9#1"}, ReasonBadNthWeekday, FieldDayOfWeek},
		{"#1 with a list", Rule{Cron: "0 9 * * 1,2#1"}, ReasonBadNthWeekday, FieldDayOfWeek},
		{"#1 with a day of month", Rule{Cron: "0 9 1 * 2#1"}, ReasonNthWeekdayWithDays, FieldDayOfMonth},
		{"#1 and NthWeekday", Rule{Cron: "0 9 * * 2#1", NthWeekday: 1, Weekday: time.Tuesday}, ReasonNthWeekdayWithDays, FieldDayOfWeek},
		{"NthWeekday with a day of week", Rule{Cron: "0 9 * * 1", NthWeekday: 1, Weekday: time.Tuesday}, ReasonNthWeekdayWithDays, FieldDayOfWeek},
		{"NthWeekday with @monthly", Rule{Cron: "@monthly", NthWeekday: 1, Weekday: time.Tuesday}, ReasonNthWeekdayWithDays, FieldDayOfMonth},
		{"NthWeekday 6", Rule{Cron: "0 9 * * *", NthWeekday: 6, Weekday: time.Tuesday}, ReasonBadNthWeekday, FieldNthWeekday},
		{"NthWeekday -2", Rule{Cron: "0 9 * * *", NthWeekday: -2, Weekday: time.Tuesday}, ReasonBadNthWeekday, FieldNthWeekday},
		{"Weekday 7", Rule{Cron: "0 9 * * *", NthWeekday: 1, Weekday: 7}, ReasonBadNthWeekday, FieldNthWeekday},
		{"31st of 30-day months", Rule{Cron: "0 9 31 4,6,9,11 *"}, ReasonNeverOccurs, FieldSpec},
		{"tab inside", Rule{Cron: "0\t9 * * 1"}, ReasonControlCharacter, FieldSpec},
		{"unknown zone", Rule{Cron: "0 9 * * 1", TimeZone: "Mars/Olympus_Mons"}, ReasonBadTimeZone, FieldTimeZone},
		{"Local zone", Rule{Cron: "0 9 * * 1", TimeZone: "Local"}, ReasonBadTimeZone, FieldTimeZone},
		{"zone path", Rule{Cron: "0 9 * * 1", TimeZone: "../../etc/passwd"}, ReasonBadTimeZone, FieldTimeZone},
		{"zone with newline", Rule{Cron: "0 9 * * 1", TimeZone: "America/\nMontreal"}, ReasonBadTimeZone, FieldTimeZone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.rule)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Compile(%+v) = %v, %v; want an *Error", tc.rule, s, err)
			}
			if e.Reason != tc.reason || e.Field != tc.field {
				t.Errorf("Compile(%q) = %s/%s, want %s/%s (%v)", tc.rule.Cron, e.Reason, e.Field, tc.reason, tc.field, err)
			}
			if len(e.Value) > 50 {
				t.Errorf("error value not truncated: %d bytes", len(e.Value))
			}
		})
	}
}

// robfig panics on this input; parseCron must turn that into an error.
func TestParseCronRecoversRobfigPanic(t *testing.T) {
	for _, spec := range []string{"CRON_TZ=X", "TZ=America/Montreal"} {
		_, err := parseCron(spec)
		var e *Error
		if !errors.As(err, &e) || e.Reason != ReasonBadField {
			t.Errorf("parseCron(%q) = %v", spec, err)
		}
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, tc := range []struct {
		rule Rule
		want Rule
	}{
		{Rule{Cron: " 0 9 * * 2#1 "}, Rule{Cron: "0 9 * * *", TimeZone: "America/Montreal", NthWeekday: 1, Weekday: time.Tuesday}},
		{Rule{Cron: "0 9 * * TUE#L", TimeZone: "UTC"}, Rule{Cron: "0 9 * * *", TimeZone: "UTC", NthWeekday: -1, Weekday: time.Tuesday}},
		{Rule{Cron: "0 9 ? * *", NthWeekday: 3, Weekday: time.Friday}, Rule{Cron: "0 9 ? * *", TimeZone: "America/Montreal", NthWeekday: 3, Weekday: time.Friday}},
		{Rule{Cron: "0 9 1-7 * 1"}, Rule{Cron: "0 9 1-7 * 1", TimeZone: "America/Montreal"}},
		{Rule{Cron: "30 8 * jan-jun,sep-dec mon-fri", TimeZone: "Europe/Paris"}, Rule{Cron: "30 8 * jan-jun,sep-dec mon-fri", TimeZone: "Europe/Paris"}},
		{Rule{Cron: "@monthly"}, Rule{Cron: "@monthly", TimeZone: "America/Montreal"}},
		{Rule{Cron: "0 9 29 2 *"}, Rule{Cron: "0 9 29 2 *", TimeZone: "America/Montreal"}},
		{Rule{Cron: "0  9  *  * 1\n"}, Rule{Cron: "0 9 * * 1", TimeZone: "America/Montreal"}},
		{Rule{Cron: "0 9 * 2 *", NthWeekday: 5, Weekday: time.Monday}, Rule{Cron: "0 9 * 2 *", TimeZone: "America/Montreal", NthWeekday: 5, Weekday: time.Monday}},
	} {
		s, err := Compile(tc.rule)
		if err != nil {
			t.Errorf("Compile(%+v): %v", tc.rule, err)
			continue
		}
		if s.Rule() != tc.want {
			t.Errorf("Compile(%+v).Rule() = %+v, want %+v", tc.rule, s.Rule(), tc.want)
		}
	}
}

// Days are matched as robfig matches them (day-of-month OR day-of-week when neither is *): the nominal keys of
// a schedule in UTC are robfig's own run times.
func TestDaysMatchRobfig(t *testing.T) {
	from := time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC)
	for _, spec := range []string{
		"0 9 1-7 * 1", "0 9 1-7 * *", "0 9 * * 1", "0 9 */2 * 1", "0 9 1-7 * */2", "0 9 15 * 5",
		"15,45 8-9 * feb,mar 1-5", "0 0 L * *", "@weekly", "0 12 29 2 *", "0 9 ? * 0", "0 9 1 * 7",
	} {
		robfig, rerr := cron.ParseStandard("CRON_TZ=UTC " + spec)
		s, err := Compile(Rule{Cron: spec, TimeZone: "UTC"})
		if (rerr == nil) != (err == nil) {
			t.Errorf("%q: robfig error %v, ours %v", spec, rerr, err)
			continue
		}
		if err != nil {
			continue
		}
		at := from
		var keys []Key
		s.each(DateOf(from), DateOf(from).AddDays(5*366), func(o Occurrence) bool {
			keys = append(keys, o.Key)
			return len(keys) < 60
		})
		for i, k := range keys {
			at = robfig.Next(at)
			if want := (Key{DateOf(at), at.Hour(), at.Minute(), "UTC"}); k != want {
				t.Errorf("%q occurrence %d: key %v, robfig %v", spec, i, k, want)
				break
			}
		}
		if len(keys) == 0 {
			t.Errorf("%q: no occurrence", spec)
		}
	}
	// And the documented OR, by hand: every Monday and every 1st–7th of January 2027.
	s := mustCompile(t, Rule{Cron: "0 9 1-7 * 1", TimeZone: "UTC"})
	var days []int
	s.each(date(2027, 1, 1), date(2027, 1, 31), func(o Occurrence) bool { days = append(days, o.Key.Date.Day); return true })
	if want := []int{1, 2, 3, 4, 5, 6, 7, 11, 18, 25}; !equalInts(days, want) {
		t.Errorf("0 9 1-7 * 1 in January 2027: days %v, want %v", days, want)
	}
}

func mustCompile(t testing.TB, r Rule) *Schedule {
	t.Helper()
	s, err := Compile(r)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", r, err)
	}
	return s
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
