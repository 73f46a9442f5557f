package digest

import (
	"time"

	"github.com/pic-montreal/relais/internal/checkin/schedule"
)

// PublishHour is the local hour a digest is posted at.
const PublishHour = 9

// DueAt is when month m's digest is posted, in loc: 9:00 on the first
// working day (quiet days as in check-ins) after the day the round for m
// closes, or, with no round for m (roundCloses zero), on the first working
// day of the month after m.
func DueAt(m Month, roundCloses time.Time, loc *time.Location) time.Time {
	var day schedule.Date
	if roundCloses.IsZero() {
		day = schedule.Date{Year: m.Next().Year, Month: m.Next().Month, Day: 1}
	} else {
		day = schedule.DateOf(roundCloses.In(loc)).AddDays(1)
	}
	at := time.Date(day.Year, day.Month, day.Day, PublishHour, 0, 0, 0, loc)
	return schedule.NextWorkingDay(at)
}
