// Package loadgen is Relais' open-loop load generator: it sends signed Slack
// slash commands to a running `relais serve` at a fixed rate and reports the
// latency distribution of the replies.
//
// Open loop means the schedule does not wait for the server: request i is due
// at t0 + i/R whatever happened to the previous ones, and its latency runs
// from that due time, not from when it was actually sent. A closed-loop tool
// (send, wait, send) slows down with the server it measures and hides the
// queueing a real user would see ("coordinated omission"). When too many
// requests are in flight, new ones are dropped and counted, never delayed.
//
// The commands are drawn from the synthetic dataset (`relais seed
// --synthetic`): its quartier names typed the ways people type them, its
// themes, its word lists, and its people as callers. Run, Ramp, SampleRSS and
// Explain are what `relais loadgen` calls; scripts/bench.sh ties them
// together. Benchmarks are never run in CI.
package loadgen
