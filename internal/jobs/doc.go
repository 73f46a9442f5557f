// Package jobs runs Relais' durable background work on River, over the lib/pq
// pool the store already holds: one client, one lifecycle (Start, Stop), and
// every job kind declared once in kinds.go.
//
// River gives what we would otherwise write and get wrong: retries with
// backoff, snooze (for Slack's Retry-After), unique jobs, rescue of jobs a
// crash left running, and one leader across replicas for periodic work.
//
// Rules for workers:
//   - Delivery is at least once (a rescued job runs again): every worker is
//     idempotent.
//   - Periodic jobs compute what is due from the database, never from the
//     tick. River keeps schedules in memory on the leader only, so a restart
//     or a leader change loses the ticks in between; a worker that asks the
//     database "what is due now?" catches up on its next run.
//   - Jobs caused by a state change are inserted in the same transaction as
//     the change (InsertTx), so neither exists without the other.
//
// jobs imports store; store never imports jobs. Talking to Slack stays in
// slackbot.
package jobs
