package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// DefaultTimeZone is the zone of a Rule that names none.
const DefaultTimeZone = "America/Montreal"

// MaxSpecLength bounds a spec a user typed; the longest sensible 5-field spec is far shorter.
const MaxSpecLength = 200

// Reason says why a rule, a closing or a pause was refused; callers map it to a translated message.
type Reason string

const (
	ReasonEmpty                 Reason = "empty"                     // nothing but spaces
	ReasonTooLong               Reason = "too_long"                  // longer than MaxSpecLength
	ReasonControlCharacter      Reason = "control_character"         // a newline, tab or other control character inside
	ReasonFieldCount            Reason = "field_count"               // not exactly 5 fields
	ReasonBadField              Reason = "bad_field"                 // a field robfig/cron cannot read or out of range
	ReasonTimeZoneInSpec        Reason = "time_zone_in_spec"         // CRON_TZ= or TZ=: the zone is the rule's TimeZone
	ReasonUnsupportedDescriptor Reason = "unsupported_descriptor"    // @every or an unknown @name
	ReasonBadTimeZone           Reason = "bad_time_zone"             // not an IANA zone name
	ReasonBadNthWeekday         Reason = "bad_nth_weekday"           // N not in 1..5 or -1, or weekday not 0..6
	ReasonNthWeekdayWithDays    Reason = "nth_weekday_with_days"     // Nth weekday with a day-of-month or day-of-week
	ReasonNeverOccurs           Reason = "never_occurs"              // e.g. February 30
	ReasonWorkingDaysOutOfRange Reason = "working_days_out_of_range" // not in 1..MaxWorkingDays
	ReasonBadClosing            Reason = "bad_closing"               // no or a negative or too long duration, bad time
	ReasonBadPause              Reason = "bad_pause"                 // From after To, or a zero date
)

// Field names the part of the input that was refused.
type Field string

const (
	FieldSpec        Field = "spec" // the spec as a whole
	FieldMinute      Field = "minute"
	FieldHour        Field = "hour"
	FieldDayOfMonth  Field = "day_of_month"
	FieldMonth       Field = "month"
	FieldDayOfWeek   Field = "day_of_week"
	FieldTimeZone    Field = "time_zone"
	FieldNthWeekday  Field = "nth_weekday"
	FieldWorkingDays Field = "working_days"
	FieldClosing     Field = "closing"
	FieldPause       Field = "pause"
)

var cronFields = [5]Field{FieldMinute, FieldHour, FieldDayOfMonth, FieldMonth, FieldDayOfWeek}

// Error is a refused rule, closing or pause. Value is the offending text (truncated); Err, robfig's own error
// when there is one, is for logs, not for users.
type Error struct {
	Reason Reason
	Field  Field
	Value  string
	Err    error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("schedule: %s: %s %q", e.Reason, e.Field, e.Value)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Rule is a schedule as stored and as typed: a 5-field cron spec in a time zone, and optionally the Nth weekday
// of the month (which cron's day-of-month OR day-of-week cannot express).
type Rule struct {
	// Cron is "minute hour day-of-month month day-of-week" or a robfig descriptor (@monthly…, not @every).
	// Its day-of-week may be "D#N" (N in 1..5) or "D#L" (last), a shorthand for NthWeekday and Weekday.
	Cron string
	// TimeZone is an IANA name; empty means DefaultTimeZone.
	TimeZone string
	// NthWeekday, when not 0, restricts the days to the Nth Weekday of each month the spec allows: 1..5, or -1
	// for the last. Day-of-month and day-of-week must then be *.
	NthWeekday int
	Weekday    time.Weekday
}

// Schedule is a compiled Rule, safe for concurrent use.
type Schedule struct {
	rule       Rule
	loc        *time.Location
	zone       string
	minutes    []int // ascending
	hours      []int // ascending
	months     uint64
	dom, dow   uint64
	domDowStar bool // robfig: day matches when both match if either is *, otherwise when either matches
	nth        int
	weekday    time.Weekday
}

// Rule is the rule s was compiled from, normalized (the "D#N" shorthand moved into NthWeekday and Weekday, the
// default zone filled in).
func (s *Schedule) Rule() Rule { return s.rule }

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Compile checks r and prepares it. It never panics, whatever r holds, and every error is an *Error.
func Compile(r Rule) (*Schedule, error) {
	spec := strings.TrimSpace(r.Cron)
	if err := checkText(spec); err != nil {
		return nil, err
	}
	zone := strings.TrimSpace(r.TimeZone)
	if zone == "" {
		zone = DefaultTimeZone
	}
	loc, err := loadZone(zone)
	if err != nil {
		return nil, err
	}
	nth, weekday := r.NthWeekday, r.Weekday
	if !strings.HasPrefix(spec, "@") {
		fields := strings.Fields(spec)
		if len(fields) != 5 {
			return nil, &Error{Reason: ReasonFieldCount, Field: FieldSpec, Value: truncate(spec)}
		}
		if strings.Contains(fields[4], "#") {
			if nth != 0 {
				return nil, &Error{Reason: ReasonNthWeekdayWithDays, Field: FieldDayOfWeek, Value: fields[4]}
			}
			if nth, weekday, err = parseNth(fields[4]); err != nil {
				return nil, err
			}
			fields[4] = "*"
		}
		if nth != 0 {
			for _, i := range []int{2, 4} {
				if fields[i] != "*" && fields[i] != "?" {
					return nil, &Error{Reason: ReasonNthWeekdayWithDays, Field: cronFields[i], Value: fields[i]}
				}
			}
		}
		if err := checkFields(fields); err != nil {
			return nil, err
		}
		spec = strings.Join(fields, " ")
	}
	if nth != 0 && (nth < -1 || nth > 5 || weekday < time.Sunday || weekday > time.Saturday) {
		return nil, &Error{Reason: ReasonBadNthWeekday, Field: FieldNthWeekday, Value: itoa(nth) + "/" + itoa(int(weekday))}
	}
	if nth == 0 {
		weekday = time.Sunday
	}
	parsed, err := parseCron(spec)
	if err != nil {
		return nil, err
	}
	if nth != 0 && (parsed.Dom&starBit == 0 || parsed.Dow&starBit == 0) {
		return nil, &Error{Reason: ReasonNthWeekdayWithDays, Field: FieldDayOfMonth, Value: truncate(spec)}
	}
	s := &Schedule{
		rule:       Rule{Cron: spec, TimeZone: zone, NthWeekday: nth, Weekday: weekday},
		loc:        loc,
		zone:       zone,
		minutes:    bitsToInts(parsed.Minute, 0, 59),
		hours:      bitsToInts(parsed.Hour, 0, 23),
		months:     parsed.Month,
		dom:        parsed.Dom,
		dow:        parsed.Dow,
		domDowStar: parsed.Dom&starBit != 0 || parsed.Dow&starBit != 0,
		nth:        nth,
		weekday:    weekday,
	}
	if !s.occursWithin28Years() {
		return nil, &Error{Reason: ReasonNeverOccurs, Field: FieldSpec, Value: truncate(r.Cron)}
	}
	return s, nil
}

// starBit is robfig's mark of a field written * or ? (unexported there): it decides the day-of-month and
// day-of-week combination.
const starBit = 1 << 63

func checkText(spec string) error {
	if spec == "" {
		return &Error{Reason: ReasonEmpty, Field: FieldSpec}
	}
	if len(spec) > MaxSpecLength {
		return &Error{Reason: ReasonTooLong, Field: FieldSpec, Value: truncate(spec)}
	}
	for _, c := range spec {
		if unicode.IsControl(c) || c == unicode.ReplacementChar {
			return &Error{Reason: ReasonControlCharacter, Field: FieldSpec, Value: truncate(spec)}
		}
	}
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return &Error{Reason: ReasonTimeZoneInSpec, Field: FieldTimeZone, Value: truncate(spec)}
	}
	return nil
}

func loadZone(zone string) (*time.Location, error) {
	bad := &Error{Reason: ReasonBadTimeZone, Field: FieldTimeZone, Value: truncate(zone)}
	// "Local" would mean whatever the server's zone is; "" is handled by the caller.
	if zone == "Local" || len(zone) > 64 || strings.ContainsFunc(zone, unicode.IsControl) {
		return nil, bad
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		bad.Err = err
		return nil, bad
	}
	return loc, nil
}

// parseCron is robfig's standard parser, which panics on some inputs (CRON_TZ=X with no fields): a panic becomes
// a bad-spec error.
func parseCron(spec string) (parsed *cron.SpecSchedule, err error) {
	defer func() {
		if p := recover(); p != nil {
			parsed, err = nil, &Error{Reason: ReasonBadField, Field: FieldSpec, Value: truncate(spec), Err: fmt.Errorf("robfig/cron panicked: %v", p)}
		}
	}()
	sched, perr := cron.ParseStandard(spec)
	if perr != nil {
		reason := ReasonBadField
		if strings.HasPrefix(spec, "@") {
			reason = ReasonUnsupportedDescriptor
		}
		return nil, &Error{Reason: reason, Field: FieldSpec, Value: truncate(spec), Err: perr}
	}
	spec6, ok := sched.(*cron.SpecSchedule)
	if !ok { // @every: a fixed delay has no local date and time to key on
		return nil, &Error{Reason: ReasonUnsupportedDescriptor, Field: FieldSpec, Value: truncate(spec)}
	}
	return spec6, nil
}

// checkFields finds which field robfig refuses, by parsing each alone among stars, so the error can name it.
func checkFields(fields []string) error {
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := parseCron(strings.Join(probe, " ")); err != nil {
			e := err.(*Error)
			e.Field, e.Value = cronFields[i], truncate(f)
			return e
		}
	}
	return nil
}

var weekdayNames = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseNth reads "D#N" and "D#L": D is 0..6 or sun..sat, N is 1..5, L is the last.
func parseNth(field string) (int, time.Weekday, error) {
	bad := &Error{Reason: ReasonBadNthWeekday, Field: FieldDayOfWeek, Value: truncate(field)}
	day, n, ok := strings.Cut(field, "#")
	if !ok {
		return 0, 0, bad
	}
	wd, named := weekdayNames[strings.ToLower(day)]
	if !named {
		v, err := strconv.Atoi(day)
		if err != nil || v < 0 || v > 6 || len(day) != 1 {
			return 0, 0, bad
		}
		wd = time.Weekday(v)
	}
	if n == "L" || n == "l" {
		return -1, wd, nil
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 1 || v > 5 || len(n) != 1 {
		return 0, 0, bad
	}
	return v, wd, nil
}

func bitsToInts(bits uint64, lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		if bits&(1<<uint(i)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		r = r[:max]
	}
	return string(r) + "…"
}

func itoa(n int) string { return strconv.Itoa(n) }

// dayMatches reports whether d is a day of the schedule, with robfig's day-of-month/day-of-week rule or ours.
func (s *Schedule) dayMatches(d Date) bool {
	if s.months&(1<<uint(d.Month)) == 0 {
		return false
	}
	if s.nth != 0 {
		want, ok := nthWeekday(d.Year, d.Month, s.nth, s.weekday)
		return ok && want == d
	}
	domMatch := s.dom&(1<<uint(d.Day)) != 0
	dowMatch := s.dow&(1<<uint(d.Weekday())) != 0
	if s.domDowStar {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}

// occursWithin28Years: the Gregorian calendar's weekdays and leap years repeat every 28 years between 1901 and
// 2099, so a spec with no day in 2001–2028 (Feb 30, a fifth Monday of a February that is not leap…) never runs.
func (s *Schedule) occursWithin28Years() bool {
	for d := (Date{2001, time.January, 1}); d.Year <= 2028; d = d.AddDays(1) {
		if s.dayMatches(d) {
			return true
		}
	}
	return false
}
