// Package schedule turns a check-in schedule into occurrences: when a round opens, under which key, about which
// period, and which days are quiet. It is pure logic (standard library and robfig/cron's parser): no database,
// no Slack, no clock of its own; every function takes the time it reasons about.
//
// The rules:
//
//   - A [Rule] is a standard 5-field cron spec (minute hour day-of-month month day-of-week, as robfig/cron/v3
//     parses it, including its habit of ORing day-of-month and day-of-week when neither is *) in an IANA time
//     zone, America/Montreal by default, plus optionally "the Nth weekday of the month", which cron cannot say:
//     set NthWeekday and Weekday, or write it in the day-of-week field as "2#1" (first Tuesday) or "2#L" (last
//     Tuesday); day-of-month must then be *. [Compile] never panics on what a user typed and returns an
//     [*Error] whose [Reason] and Field a caller translates.
//   - Each occurrence has a [Key]: the schedule's local date and time ("2027-03-02T09:00 America/Montreal"),
//     never the UTC instant, so the repeated autumn hour cannot open two rounds. An occurrence in the overlap
//     runs at the first of the two instants; one in the spring-forward gap runs at the first minute after the
//     gap (robfig would skip it, so occurrences are computed here from the parsed fields, not by robfig).
//   - An occurrence that falls on a quiet day (Saturday, Sunday, Québec statutory holiday, see [Holidays]) runs
//     on the next working day at the same local time, under its own key. One whose run date falls in a [Pause]
//     is skipped, not moved.
//   - What is due is computed from the schedule and the key of the last occurrence handled, never from a timer
//     tick ([Schedule.Due]): after downtime, the latest missed occurrence whose round is still open is returned,
//     marked late, and the older ones are returned as skipped, to be logged.
//   - A round opened in month M asks about month M−1: its [Occurrence.Period] is the first day of that month.
//     "Run now" opens the round of [Schedule.Next] early, under that occurrence's key.
//   - A round closes after a duration or after a number of working days at a local time ([Closing]); reminders
//     are offsets in working days ([AddWorkingDays]).
package schedule
