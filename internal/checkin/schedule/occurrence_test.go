package schedule

import (
	"errors"
	"testing"
	"time"
)

func firstTuesday(t testing.TB) *Schedule { return mustCompile(t, Rule{Cron: "0 9 * * 2#1"}) }

func key(y int, m time.Month, d, hour, minute int) Key {
	return Key{Date: date(y, m, d), Hour: hour, Minute: minute, Zone: "America/Montreal"}
}

func TestFirstTuesdayOf2027(t *testing.T) {
	mtl := montreal(t)
	want := []Date{
		date(2027, 1, 5), date(2027, 2, 2), date(2027, 3, 2), date(2027, 4, 6), date(2027, 5, 4), date(2027, 6, 1),
		date(2027, 7, 6), date(2027, 8, 3), date(2027, 9, 7), date(2027, 10, 5), date(2027, 11, 2), date(2027, 12, 7),
	}
	for _, s := range []*Schedule{firstTuesday(t), mustCompile(t, Rule{Cron: "0 9 * * *", NthWeekday: 1, Weekday: time.Tuesday})} {
		after := time.Date(2026, 12, 31, 12, 0, 0, 0, mtl)
		for _, d := range want {
			o, ok := s.Next(after)
			if !ok {
				t.Fatalf("no occurrence after %v", after)
			}
			if o.Key != key(d.Year, d.Month, d.Day, 9, 0) {
				t.Errorf("after %v: key %v, want %v 09:00", after, o.Key, d)
			}
			if wantAt := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, mtl); !o.At.Equal(wantAt) || !o.MovedFrom.IsZero() {
				t.Errorf("%v: at %v (moved from %v), want %v", o.Key, o.At, o.MovedFrom, wantAt)
			}
			if wantPeriod := (Date{d.Year, d.Month, 1}).AddDays(-1).firstOfMonth(); o.Period != wantPeriod {
				t.Errorf("%v: period %v, want %v", o.Key, o.Period, wantPeriod)
			}
			after = o.At
		}
	}
}

func TestLastFridayOfTheMonth(t *testing.T) {
	s := mustCompile(t, Rule{Cron: "0 9 * * 5#L", TimeZone: "UTC"})
	var got []Date
	s.each(date(2027, 1, 1), date(2027, 4, 30), func(o Occurrence) bool { got = append(got, o.Key.Date); return true })
	// March 26 is Good Friday: the key stays, the run moves.
	want := []Date{date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 30)}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestQuietDayMovesTheRunNotTheKey(t *testing.T) {
	mtl := montreal(t)
	for _, tc := range []struct {
		spec  string
		after time.Time
		key   Key
		at    time.Time
	}{
		{"0 9 25 12 *", time.Date(2026, 12, 1, 0, 0, 0, 0, mtl), key(2026, 12, 25, 9, 0), time.Date(2026, 12, 28, 9, 0, 0, 0, mtl)}, // Friday Christmas, weekend
		{"0 9 25 12 *", time.Date(2027, 12, 1, 0, 0, 0, 0, mtl), key(2027, 12, 25, 9, 0), time.Date(2027, 12, 27, 9, 0, 0, 0, mtl)}, // Saturday Christmas
		{"0 9 26 3 *", time.Date(2027, 3, 1, 0, 0, 0, 0, mtl), key(2027, 3, 26, 9, 0), time.Date(2027, 3, 30, 9, 0, 0, 0, mtl)},     // Good Friday → after Easter Monday
		{"0 9 * * 1#1", time.Date(2027, 8, 15, 0, 0, 0, 0, mtl), key(2027, 9, 6, 9, 0), time.Date(2027, 9, 7, 9, 0, 0, 0, mtl)},     // Labour Day
	} {
		s := mustCompile(t, Rule{Cron: tc.spec})
		o, ok := s.Next(tc.after)
		if !ok || o.Key != tc.key || !o.At.Equal(tc.at) || o.MovedFrom != tc.key.Date {
			t.Errorf("%q after %v: %+v, want key %v at %v moved from %v", tc.spec, tc.after, o, tc.key, tc.at, tc.key.Date)
		}
		// The run is pending until it happens, even after the nominal time has passed.
		if again, _ := s.Next(tc.key.Date.utc().Add(12 * time.Hour)); again.Key != tc.key {
			t.Errorf("%q: Next after the nominal time skipped the moved run: %v", tc.spec, again.Key)
		}
	}
}

func TestAtLocalAcrossDST(t *testing.T) {
	mtl := montreal(t)
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name         string
		d            Date
		hour, minute int
		want         time.Time
	}{
		{"before the gap", date(2027, 3, 14), 1, 59, utc(2027, 3, 14, 6, 59)},
		{"start of the gap", date(2027, 3, 14), 2, 0, utc(2027, 3, 14, 7, 0)},
		{"in the gap: 03:00 EDT", date(2027, 3, 14), 2, 30, utc(2027, 3, 14, 7, 0)},
		{"end of the gap", date(2027, 3, 14), 2, 59, utc(2027, 3, 14, 7, 0)},
		{"after the gap", date(2027, 3, 14), 3, 0, utc(2027, 3, 14, 7, 0)},
		{"overlap: first instance, EDT", date(2026, 11, 1), 1, 30, utc(2026, 11, 1, 5, 30)},
		{"overlap start", date(2026, 11, 1), 1, 0, utc(2026, 11, 1, 5, 0)},
		{"after the overlap", date(2026, 11, 1), 2, 0, utc(2026, 11, 1, 7, 0)},
		{"ordinary winter day", date(2027, 1, 5), 9, 0, utc(2027, 1, 5, 14, 0)},
	} {
		if got := atLocal(tc.d, tc.hour, tc.minute, mtl); !got.Equal(tc.want) {
			t.Errorf("%s: atLocal(%v %02d:%02d) = %v, want %v", tc.name, tc.d, tc.hour, tc.minute, got.UTC(), tc.want)
		}
	}
}

// In Montreal DST changes on Sundays, which are quiet; Cairo changes on a Friday night (2027-04-30 00:00 → 01:00
// and 2027-10-28 24:00 → 23:00), which tests the gap and the overlap through a whole schedule.
func TestScheduleAcrossDST(t *testing.T) {
	cairo, err := time.LoadLocation("Africa/Cairo")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2027, 5, 15, 12, 0, 0, 0, cairo).Zone(); off != 3*3600 {
		t.Fatalf("this zone database has no DST in Cairo in 2027 (offset %d)", off)
	}
	gap := mustCompile(t, Rule{Cron: "30 0 * * *", TimeZone: "Africa/Cairo"})
	o, _ := gap.Next(time.Date(2027, 4, 29, 12, 0, 0, 0, cairo))
	if o.Key.String() != "2027-04-30T00:30 Africa/Cairo" || !o.At.Equal(time.Date(2027, 4, 29, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("in the gap: %v at %v, want 2027-04-30T00:30 at 01:00 EEST (22:00 UTC)", o.Key, o.At.UTC())
	}
	// robfig skips it: the reason we compute occurrences ourselves.
	overlap := mustCompile(t, Rule{Cron: "30 23 * * *", TimeZone: "Africa/Cairo"})
	seen := map[Key]time.Time{}
	after := time.Date(2027, 10, 27, 12, 0, 0, 0, cairo)
	for range 3 {
		o, _ := overlap.Next(after)
		if _, dup := seen[o.Key]; dup {
			t.Fatalf("key %v twice", o.Key)
		}
		seen[o.Key] = o.At
		after = o.At
	}
	at, ok := seen[Key{date(2027, 10, 28), 23, 30, "Africa/Cairo"}]
	if !ok || !at.Equal(time.Date(2027, 10, 28, 20, 30, 0, 0, time.UTC)) {
		t.Errorf("overlap: %v, want 2027-10-28T23:30 once, at its first instance (20:30 UTC); all: %v", at.UTC(), seen)
	}
}

func TestFallBackOccursOnce(t *testing.T) {
	s := mustCompile(t, Rule{Cron: "30 1 * * *"})
	// Due at the second 01:30 of 2026-11-01, after the first was handled: nothing.
	first := key(2026, 11, 1, 1, 30)
	closing, _ := CloseAfter(48 * time.Hour)
	if latest, skipped := s.Due(&first, time.Date(2026, 11, 1, 6, 31, 0, 0, time.UTC), closing); latest != nil || len(skipped) != 0 {
		t.Errorf("second 01:30: latest %+v, skipped %v", latest, skipped)
	}
	keys := map[Key]bool{}
	s.each(date(2026, 10, 31), date(2026, 11, 2), func(o Occurrence) bool {
		if keys[o.Key] {
			t.Errorf("key %v twice", o.Key)
		}
		keys[o.Key] = true
		return true
	})
	if len(keys) != 3 || !keys[first] {
		t.Errorf("keys %v", keys)
	}
}

func TestDueAfterDowntime(t *testing.T) {
	mtl := montreal(t)
	s := firstTuesday(t)
	tenWorkingDays, err := CloseAfterWorkingDays(10, 17, 0) // April 6 closes April 20 at 17:00
	if err != nil {
		t.Fatal(err)
	}
	threeDays, err := CloseAfter(72 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jan := key(2027, 1, 5, 9, 0)
	feb, mar, apr := key(2027, 2, 2, 9, 0), key(2027, 3, 2, 9, 0), key(2027, 4, 6, 9, 0)
	february, _ := NewPause(date(2027, 2, 1), date(2027, 2, 28))
	for _, tc := range []struct {
		name    string
		last    *Key
		now     time.Time
		closing Closing
		pauses  []Pause
		latest  *Key
		late    bool
		skipped []Key
		reasons []SkipReason
	}{
		{"three missed, latest still open", &jan, time.Date(2027, 4, 8, 12, 0, 0, 0, mtl), tenWorkingDays, nil, &apr, true,
			[]Key{feb, mar}, []SkipReason{SkipSuperseded, SkipSuperseded}},
		{"three missed, none open", &jan, time.Date(2027, 4, 20, 17, 0, 0, 0, mtl), tenWorkingDays, nil, nil, false,
			[]Key{feb, mar, apr}, []SkipReason{SkipSuperseded, SkipSuperseded, SkipClosed}},
		{"just before closing", &jan, time.Date(2027, 4, 20, 16, 59, 0, 0, mtl), tenWorkingDays, nil, &apr, true,
			[]Key{feb, mar}, []SkipReason{SkipSuperseded, SkipSuperseded}},
		{"on time is not late", &mar, time.Date(2027, 4, 6, 9, 0, 30, 0, mtl), tenWorkingDays, nil, &apr, false, nil, nil},
		{"before it opens", &mar, time.Date(2027, 4, 6, 8, 59, 0, 0, mtl), tenWorkingDays, nil, nil, false, nil, nil},
		{"already handled", &apr, time.Date(2027, 4, 8, 12, 0, 0, 0, mtl), tenWorkingDays, nil, nil, false, nil, nil},
		{"duration closing, open", &mar, time.Date(2027, 4, 9, 8, 59, 0, 0, mtl), threeDays, nil, &apr, true, nil, nil},
		{"duration closing, closed", &mar, time.Date(2027, 4, 9, 9, 0, 0, 0, mtl), threeDays, nil, nil, false, []Key{apr}, []SkipReason{SkipClosed}},
		{"never ran: only an open round, nothing skipped", nil, time.Date(2027, 4, 8, 12, 0, 0, 0, mtl), tenWorkingDays, nil, &apr, true, nil, nil},
		{"never ran, nothing open", nil, time.Date(2027, 4, 21, 12, 0, 0, 0, mtl), tenWorkingDays, nil, nil, false, nil, nil},
		{"paused occurrence skipped, not moved", &jan, time.Date(2027, 3, 3, 10, 0, 0, 0, mtl), tenWorkingDays, []Pause{february}, &mar, true,
			[]Key{feb}, []SkipReason{SkipPaused}},
		{"zero closing never opens", &mar, time.Date(2027, 4, 6, 9, 1, 0, 0, mtl), Closing{}, nil, nil, false, []Key{apr}, []SkipReason{SkipClosed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			latest, skipped := s.Due(tc.last, tc.now, tc.closing, tc.pauses...)
			switch {
			case tc.latest == nil && latest != nil:
				t.Errorf("latest %v, want none", latest.Key)
			case tc.latest != nil && latest == nil:
				t.Errorf("no latest, want %v", *tc.latest)
			case tc.latest != nil && (latest.Key != *tc.latest || latest.Late != tc.late || latest.Skip != SkipNone):
				t.Errorf("latest %v late %v skip %q, want %v late %v", latest.Key, latest.Late, latest.Skip, *tc.latest, tc.late)
			}
			if len(skipped) != len(tc.skipped) {
				t.Fatalf("skipped %v, want %v", skipped, tc.skipped)
			}
			for i, o := range skipped {
				if o.Key != tc.skipped[i] || o.Skip != tc.reasons[i] {
					t.Errorf("skipped[%d] = %v (%s), want %v (%s)", i, o.Key, o.Skip, tc.skipped[i], tc.reasons[i])
				}
			}
		})
	}
}

func TestDueBoundsSkipped(t *testing.T) {
	s := mustCompile(t, Rule{Cron: "*/10 * * * *", TimeZone: "UTC"})
	last := Key{date(2027, 1, 4), 0, 0, "UTC"}
	closing, _ := CloseAfter(time.Hour)
	now := time.Date(2027, 1, 8, 12, 5, 0, 0, time.UTC)
	latest, skipped := s.Due(&last, now, closing)
	if latest == nil || latest.Key != (Key{date(2027, 1, 8), 12, 0, "UTC"}) {
		t.Fatalf("latest %+v", latest)
	}
	if len(skipped) != MaxSkipped || skipped[len(skipped)-1].Key != (Key{date(2027, 1, 8), 11, 50, "UTC"}) {
		t.Fatalf("skipped: %d, last %v", len(skipped), skipped[len(skipped)-1].Key)
	}
	for i := 1; i < len(skipped); i++ {
		if skipped[i-1].Key.Compare(skipped[i].Key) >= 0 {
			t.Fatalf("skipped out of order at %d", i)
		}
	}
}

func TestNextForRunNowAndPauses(t *testing.T) {
	mtl := montreal(t)
	s := firstTuesday(t)
	// Run now on January 20 opens February's round early; when February 2 comes, nothing more is due.
	o, ok := s.Next(time.Date(2027, 1, 20, 14, 0, 0, 0, mtl))
	if !ok || o.Key != key(2027, 2, 2, 9, 0) || o.Period != date(2027, 1, 1) {
		t.Fatalf("Next = %+v", o)
	}
	closing, _ := CloseAfterWorkingDays(10, 17, 0)
	if latest, skipped := s.Due(&o.Key, time.Date(2027, 2, 2, 9, 1, 0, 0, mtl), closing); latest != nil || skipped != nil {
		t.Errorf("after run now, Due = %v, %v", latest, skipped)
	}
	// What follows February's round, opened early, is March's.
	if after, ok := s.NextAfterKey(time.Date(2027, 1, 20, 15, 0, 0, 0, mtl), &o.Key); !ok || after.Key != key(2027, 3, 2, 9, 0) {
		t.Errorf("NextAfterKey after run now = %+v", after)
	}
	if same, _ := s.NextAfterKey(time.Date(2027, 1, 20, 15, 0, 0, 0, mtl), nil); same.Key != o.Key {
		t.Errorf("NextAfterKey with nothing handled = %v", same.Key)
	}
	summer, _ := NewPause(date(2027, 7, 1), date(2027, 8, 31))
	if o, _ := s.Next(time.Date(2027, 6, 15, 0, 0, 0, 0, mtl), summer); o.Key != key(2027, 9, 7, 9, 0) {
		t.Errorf("Next over the summer pause = %v", o.Key)
	}
	forever, _ := NewPause(date(2027, 1, 1), date(2099, 12, 31))
	if o, ok := s.Next(time.Date(2027, 6, 15, 0, 0, 0, 0, mtl), forever); ok {
		t.Errorf("Next during an endless pause = %v", o.Key)
	}
}

func TestKey(t *testing.T) {
	k := key(2026, 11, 3, 9, 0)
	if k.String() != "2026-11-03T09:00 America/Montreal" {
		t.Errorf("String = %q", k)
	}
	back, err := ParseKey(k.String())
	if err != nil || back != k {
		t.Errorf("ParseKey = %v, %v", back, err)
	}
	for _, bad := range []string{"", "2026-11-03T09:00", "2026-11-03 America/Montreal", "2026-13-03T09:00 UTC"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if p := key(2027, 1, 5, 9, 0).Period(); p != date(2026, 12, 1) {
		t.Errorf("Period of January = %v", p)
	}
	if p := key(2027, 3, 31, 9, 0).Period(); p != date(2027, 2, 1) {
		t.Errorf("Period of March 31 = %v", p)
	}
}

func TestClosing(t *testing.T) {
	mtl := montreal(t)
	c, err := CloseAfterWorkingDays(10, 17, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Opened the Tuesday before Easter 2027: Good Friday and Easter Monday are not counted.
	if got, want := c.ClosesAt(time.Date(2027, 3, 23, 9, 0, 0, 0, mtl)), time.Date(2027, 4, 8, 17, 0, 0, 0, mtl); !got.Equal(want) {
		t.Errorf("ClosesAt = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		build  func() (Closing, error)
		reason Reason
	}{
		{func() (Closing, error) { return CloseAfter(0) }, ReasonBadClosing},
		{func() (Closing, error) { return CloseAfter(-time.Hour) }, ReasonBadClosing},
		{func() (Closing, error) { return CloseAfter(MaxOpenFor + time.Second) }, ReasonBadClosing},
		{func() (Closing, error) { return CloseAfterWorkingDays(0, 17, 0) }, ReasonWorkingDaysOutOfRange},
		{func() (Closing, error) { return CloseAfterWorkingDays(21, 17, 0) }, ReasonWorkingDaysOutOfRange},
		{func() (Closing, error) { return CloseAfterWorkingDays(10, 24, 0) }, ReasonBadClosing},
		{func() (Closing, error) { return CloseAfterWorkingDays(10, 17, 60) }, ReasonBadClosing},
	} {
		_, err := tc.build()
		var e *Error
		if !errors.As(err, &e) || e.Reason != tc.reason {
			t.Errorf("error %v, want %s", err, tc.reason)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	s := firstTuesday(b)
	after := time.Date(2027, 1, 20, 14, 0, 0, 0, s.Location())
	for b.Loop() {
		s.Next(after)
	}
}

func BenchmarkDue(b *testing.B) {
	s := firstTuesday(b)
	last := key(2027, 1, 5, 9, 0)
	closing, _ := CloseAfterWorkingDays(10, 17, 0)
	now := time.Date(2027, 4, 8, 12, 0, 0, 0, s.Location())
	for b.Loop() {
		s.Due(&last, now, closing)
	}
}
