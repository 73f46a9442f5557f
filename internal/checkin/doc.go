// Package checkin runs check-in schedules: it validates them, and on each tick
// opens the round of the occurrence that is due, one prompt per Table of the
// audience and one DM per active respondent, all in one transaction.
//
// What is due comes from the schedule and the key of the last occurrence
// handled (package schedule), never from the timer: a restart or a River
// leader change loses nothing, a late round says so, and older missed
// occurrences are logged as skipped. The schedule row is locked for the tick
// and rounds are unique per (schedule, occurrence key), so replicas ticking
// at once open each round once.
//
// Service sends nothing itself: DMs go to a delivery.Enqueuer and problems to
// a delivery.Alerter, both inside the transaction that opens the round, so a
// rollback leaves neither rows nor messages behind.
package checkin
