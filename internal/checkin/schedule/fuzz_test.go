package schedule

import (
	"errors"
	"testing"
	"time"
)

// FuzzCompile: whatever a user types, Compile neither panics nor returns anything but an *Error, and a schedule
// it accepts yields keys that read back.
func FuzzCompile(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzCompile.
	for _, seed := range []string{"0 9 * * 2#1", "CRON_TZ=X", "", "99 * * * *", "@every 1h", "0 9 1-7 * 1"} {
		f.Add(seed, "", 0, 0)
	}
	after := time.Date(2027, 1, 20, 14, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec, zone string, nth, weekday int) {
		s, err := Compile(Rule{Cron: spec, TimeZone: zone, NthWeekday: nth, Weekday: time.Weekday(weekday)})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Reason == "" || e.Field == "" {
				t.Fatalf("Compile(%q, %q): %v is not a complete *Error", spec, zone, err)
			}
			return
		}
		o, ok := s.Next(after)
		if !ok {
			return // a rare day (a fifth weekday of a February) may be further than the horizon from a leap year
		}
		if !o.At.After(after) {
			t.Fatalf("Next(%v) = %v, not after", after, o.At)
		}
		if back, err := ParseKey(o.Key.String()); err != nil || back != o.Key {
			t.Fatalf("key %v does not read back: %v, %v", o.Key, back, err)
		}
	})
}
