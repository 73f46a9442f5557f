package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Key identifies an occurrence by the schedule's local date and time, never by its instant: the repeated
// autumn hour, a DST change or a quiet-day move cannot give one nominal occurrence two keys.
type Key struct {
	Date         Date
	Hour, Minute int
	Zone         string // the schedule's IANA zone
}

// String is "2026-11-03T09:00 America/Montreal", the form stored and logged.
func (k Key) String() string {
	return fmt.Sprintf("%sT%02d:%02d %s", k.Date, k.Hour, k.Minute, k.Zone)
}

// ParseKey reads Key.String's form back.
func ParseKey(s string) (Key, error) {
	local, zone, ok := strings.Cut(s, " ")
	if !ok || zone == "" {
		return Key{}, fmt.Errorf("schedule: bad occurrence key %q", s)
	}
	t, err := time.Parse("2006-01-02T15:04", local)
	if err != nil {
		return Key{}, fmt.Errorf("schedule: bad occurrence key %q: %w", s, err)
	}
	return Key{Date: DateOf(t), Hour: t.Hour(), Minute: t.Minute(), Zone: zone}, nil
}

// Compare orders keys by local date and time (the zone is not compared: one schedule has one zone).
func (k Key) Compare(o Key) int {
	if c := k.Date.Compare(o.Date); c != 0 {
		return c
	}
	return (k.Hour*60 + k.Minute) - (o.Hour*60 + o.Minute)
}

// Period is the month a round opened under k asks about: the first day of the month before k's.
func (k Key) Period() Date { return Date{k.Date.Year, k.Date.Month, 1}.AddDays(-1).firstOfMonth() }

func (d Date) firstOfMonth() Date { return Date{d.Year, d.Month, 1} }

// SkipReason says why an occurrence was not opened.
type SkipReason string

const (
	SkipNone       SkipReason = ""
	SkipSuperseded SkipReason = "superseded" // a later occurrence was also missed: only the latest opens
	SkipClosed     SkipReason = "closed"     // missed, and its round would already be closed
	SkipPaused     SkipReason = "paused"     // its run date is in a pause
)

// Occurrence is one nominal run of a schedule.
type Occurrence struct {
	Key Key
	// At is when the round opens: the key's local time on the key's date, or on the next working day when that
	// date is quiet; a time in the spring-forward gap runs at the end of the gap; one in the autumn overlap at
	// its first instant.
	At time.Time
	// MovedFrom is the key's date when a quiet day moved the occurrence, zero otherwise.
	MovedFrom Date
	// Period is the month the round asks about (first day of the month before the key's).
	Period Date
	// Late marks an occurrence returned by Due at least LateAfter after At (Relais was down or stopped).
	Late bool
	// Skip is set on the occurrences Due returns as skipped.
	Skip SkipReason
}

// LateAfter is how far behind At an occurrence must be found due to count as late rather than on time: more than
// a few periodic ticks.
const LateAfter = 5 * time.Minute

// horizonYears bounds Next's search; Compile has already refused specs that never run.
const horizonYears = 30

// maxLookback bounds how far back Due looks for missed occurrences after a long outage.
const maxLookback = 400 * 24 * time.Hour

// MaxSkipped bounds the skipped occurrences Due returns (the most recent ones), for a spec that fires every
// minute and a long outage.
const MaxSkipped = 100

// maxQuietStreak is longer than any run of quiet days (Good Friday to Easter Monday is 4): how far before a
// date an occurrence moved onto it can come from.
const maxQuietStreak = 7

// occurrence builds the occurrence of the nominal local date and time, run on run (d or the working day after).
func (s *Schedule) occurrence(d, run Date, hour, minute int) Occurrence {
	o := Occurrence{Key: Key{Date: d, Hour: hour, Minute: minute, Zone: s.zone}, Period: Date{d.Year, d.Month, 1}.AddDays(-1).firstOfMonth()}
	if run != d {
		o.MovedFrom = d
	}
	o.At = atLocal(run, hour, minute, s.loc)
	return o
}

// each calls fn on the occurrences whose key date is from or later, in key order, while fn returns true, up to
// the given last date.
func (s *Schedule) each(from, last Date, fn func(Occurrence) bool) {
	for d := from; !d.After(last); d = d.AddDays(1) {
		if !s.dayMatches(d) {
			continue
		}
		run := nextWorkingDate(d)
		for _, h := range s.hours {
			for _, m := range s.minutes {
				if !fn(s.occurrence(d, run, h, m)) {
					return
				}
			}
		}
	}
}

// Next is the first occurrence that opens after the given instant and whose run date is not paused; "run now"
// opens it early under its key. False only when none does within 30 years (a pause without end).
func (s *Schedule) Next(after time.Time, pauses ...Pause) (Occurrence, bool) {
	start := DateOf(after.In(s.loc)).AddDays(-maxQuietStreak)
	last := start.AddDays(horizonYears * 366)
	var next Occurrence
	found := false
	s.each(start, last, func(o Occurrence) bool {
		if !o.At.After(after) || Paused(pauses, DateOf(o.At)) {
			return true
		}
		next, found = o, true
		return false
	})
	return next, found
}

// NextAfterKey is Next, skipping occurrences already handled: those whose key
// is not after last (nil: none). After a "run now" opened the next
// occurrence early, the one that follows is next.
func (s *Schedule) NextAfterKey(after time.Time, last *Key, pauses ...Pause) (Occurrence, bool) {
	next, ok := s.Next(after, pauses...)
	for ok && last != nil && next.Key.Compare(*last) <= 0 {
		next, ok = s.Next(next.At, pauses...)
	}
	return next, ok
}

// Due is what to open at now, given the key of the last occurrence already handled (opened or logged as
// skipped; nil when the schedule never ran) and how rounds close. Every occurrence after lastKey whose At has
// passed is considered: the latest, if its round would still be open, is returned (Late when found late); the
// others are returned as skipped, oldest first, at most MaxSkipped. With a nil lastKey only an occurrence still
// open counts and nothing is reported skipped: a new schedule has missed nothing. The caller then stores the key
// of latest, or else of the last skipped occurrence, as the next lastKey.
func (s *Schedule) Due(lastKey *Key, now time.Time, closing Closing, pauses ...Pause) (latest *Occurrence, skipped []Occurrence) {
	now = now.In(s.loc)
	start := DateOf(now.Add(-maxLookback))
	if lastKey == nil {
		start = DateOf(now.Add(-closing.maxSpan())).AddDays(-maxQuietStreak)
	} else if lastKey.Date.After(start) {
		start = lastKey.Date
	}
	var ring []Occurrence // the last MaxSkipped skipped, oldest at ring[next] once full
	next := 0
	skip := func(o Occurrence, why SkipReason) {
		if lastKey == nil {
			return
		}
		o.Skip = why
		if len(ring) < MaxSkipped {
			ring = append(ring, o)
			return
		}
		ring[next] = o
		next = (next + 1) % MaxSkipped
	}
	ordered := func() []Occurrence {
		out := append(ring[next:len(ring):len(ring)], ring[:next]...)
		sort.Slice(out, func(i, j int) bool { return out[i].Key.Compare(out[j].Key) < 0 })
		return out
	}
	var candidate *Occurrence
	s.each(start, DateOf(now), func(o Occurrence) bool {
		if (lastKey != nil && o.Key.Compare(*lastKey) <= 0) || o.At.After(now) {
			return true
		}
		if Paused(pauses, DateOf(o.At)) {
			skip(o, SkipPaused)
			return true
		}
		if candidate != nil {
			skip(*candidate, SkipSuperseded)
		}
		candidate = &o
		return true
	})
	if candidate == nil {
		return nil, ordered()
	}
	if !now.Before(closing.ClosesAt(candidate.At)) {
		skip(*candidate, SkipClosed)
		return nil, ordered()
	}
	candidate.Late = now.Sub(candidate.At) >= LateAfter
	return candidate, ordered()
}

// atLocal is the instant of the local date and time in loc: in the autumn overlap the first of the two
// instants, in the spring-forward gap the first instant after the gap (time.Date alone picks either side).
func atLocal(d Date, hour, minute int, loc *time.Location) time.Time {
	wall := time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, time.UTC)
	guess := time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, loc)
	zoneStart, zoneEnd := guess.ZoneBounds()
	probes := []time.Time{guess}
	if !zoneStart.IsZero() {
		probes = append(probes, zoneStart.Add(-time.Second))
	}
	if !zoneEnd.IsZero() {
		probes = append(probes, zoneEnd)
	}
	var best time.Time
	for _, p := range probes {
		_, offset := p.Zone()
		c := wall.Add(-time.Duration(offset) * time.Second).In(loc)
		if wallClock(c).Equal(wall) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best
	}
	// In the gap: the transition that skipped this wall time is the first valid instant after it.
	if wallClock(guess).After(wall) {
		return zoneStart.In(loc)
	}
	return zoneEnd.In(loc)
}

// wallClock is t's local date and time read as if in UTC, to compare wall clocks across offsets.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Closing is when a round closes after it opens: after a duration, or after a number of working days at a local
// time of day. The zero Closing closes at once (nothing is ever open); build one with CloseAfter or
// CloseAfterWorkingDays.
type Closing struct {
	after       time.Duration
	workingDays int
	hour, min   int
}

// MaxOpenFor bounds a closing duration: a round asks about one month.
const MaxOpenFor = 62 * 24 * time.Hour

// CloseAfter closes a round d after it opens (0 < d ≤ MaxOpenFor).
func CloseAfter(d time.Duration) (Closing, error) {
	if d <= 0 || d > MaxOpenFor {
		return Closing{}, &Error{Reason: ReasonBadClosing, Field: FieldClosing, Value: d.String()}
	}
	return Closing{after: d}, nil
}

// CloseAfterWorkingDays closes a round at hour:minute local time, n working days after the day it opens.
func CloseAfterWorkingDays(n, hour, minute int) (Closing, error) {
	if n < 1 || n > MaxWorkingDays {
		return Closing{}, &Error{Reason: ReasonWorkingDaysOutOfRange, Field: FieldWorkingDays, Value: itoa(n)}
	}
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return Closing{}, &Error{Reason: ReasonBadClosing, Field: FieldClosing, Value: fmt.Sprintf("%02d:%02d", hour, minute)}
	}
	return Closing{workingDays: n, hour: hour, min: minute}, nil
}

// ClosesAt is when a round opened at opened closes, in opened's location.
func (c Closing) ClosesAt(opened time.Time) time.Time {
	switch {
	case c.after > 0:
		return opened.Add(c.after)
	case c.workingDays > 0:
		return atLocal(addWorkingDates(DateOf(opened), c.workingDays), c.hour, c.min, opened.Location())
	default:
		return opened
	}
}

// maxSpan is at least as long as any round under c stays open.
func (c Closing) maxSpan() time.Duration {
	if c.workingDays > 0 {
		// n working days span at most n weeks plus the longest quiet streak.
		return time.Duration(c.workingDays*7+maxQuietStreak+1) * 24 * time.Hour
	}
	return c.after
}
