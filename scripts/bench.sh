#!/usr/bin/env bash
# Reproduce the figures of docs/performance.md on this machine: build relais,
# load the synthetic dataset into its own database (relais_bench), start
# `relais serve`, then drive it with `relais loadgen` and print a summary.
#
#   scripts/bench.sh [--fresh] [--quick]
#
#   --fresh  drop relais_bench first, so the seed is timed on an empty database
#   --quick  5-second steps instead of 30 (and 10 for the ramp): to check the
#            script, not for figures
#
# Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432,
# a superuser: --explain loads auto_explain), psql and curl. Everything it
# writes goes to BENCH_OUT (default a new directory under /tmp). It takes
# about four minutes and both cores: never run it in CI, and expect figures
# to move when anything else runs on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

FRESH=0
QUICK=0
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=1 ;;
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
for tool in go psql curl; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool is needed" >&2; exit 1; }
done

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB=relais_bench
export DATABASE_URL="$PG/$DB?sslmode=disable"
# The synthetic data is sample data, which serve refuses without this.
export RELAIS_ALLOW_SAMPLE_DATA=1
ADDR=127.0.0.1:18080
SINK_ADDR=127.0.0.1:18081
URL="http://$ADDR/slack/commands"
SECRET=bench-secret
OUT="${BENCH_OUT:-$(mktemp -d /tmp/relais-bench.XXXXXX)}"
mkdir -p "$OUT"
STEP=30s
RAMP_STEP=10s
if [ "$QUICK" = 1 ]; then STEP=5s; RAMP_STEP=5s; fi

log() { echo "bench: $*" >&2; }

log "results in $OUT"
{
  echo "date:       $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:     $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "cpus:       $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
  echo "memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "go:         $(go version | cut -d' ' -f3)"
  echo "postgresql: $(psql "$PG/postgres" -Atc 'SHOW server_version')"
  echo "            shared_buffers $(psql "$PG/postgres" -Atc 'SHOW shared_buffers'), autovacuum $(psql "$PG/postgres" -Atc 'SHOW autovacuum'), jit $(psql "$PG/postgres" -Atc 'SHOW jit')"
} | tee "$OUT/machine.txt" >&2

log "building"
go build -o "$OUT/relais" ./cmd/relais
RELAIS="$OUT/relais"

if [ "$FRESH" = 1 ]; then
  log "dropping $DB"
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB" >/dev/null
fi

log "seeding (relais seed --synthetic)"
start=$(date +%s.%N)
"$RELAIS" seed --synthetic | tee "$OUT/seed.txt" >&2
seed_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ "$FRESH" = 0 ]; then seed_note=" (database already seeded: run with --fresh to time a full load)"; else seed_note=""; fi
# The planner needs statistics on the tables just loaded. Autovacuum would
# gather them within a minute where it runs (it is off on some machines), so
# gather them now rather than benchmark plans built on guesses.
log "analyzing"
psql "$DATABASE_URL" -q -c 'VACUUM (ANALYZE)'

# Slack's Web API is a stand-in that allows 50 chat.postMessage in any second
# (429 beyond, as Slack does) and counts posts by delivery key.
# Earlier runs' bench schedules would open, remind and close rounds of their
# own while this one measures: pause them and close their rounds.
psql "$DATABASE_URL" -q -c "UPDATE checkin_schedules SET active = false WHERE slug LIKE 'bench-%' AND active" \
  -c "UPDATE checkin_rounds SET status = 'closed', closed_at = now() WHERE status = 'open'
      AND schedule_id IN (SELECT id FROM checkin_schedules WHERE slug LIKE 'bench-%')" >/dev/null

log "starting the Slack stand-in on $SINK_ADDR"
"$RELAIS" loadgen --slack-sink "$SINK_ADDR" --sink-limit 50 >"$OUT/sink.txt" 2>&1 &
SINK=$!

log "starting relais serve on $ADDR"
SLACK_SIGNING_SECRET="$SECRET" SLACK_BOT_TOKEN=xoxb-bench SLACK_API_URL="http://$SINK_ADDR/api" \
  RELAIS_HTTP_ADDR="$ADDR" RELAIS_LOG_LEVEL=warn \
  "$RELAIS" serve 2>"$OUT/serve.log" &
SERVER=$!
stop_server() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER"
    wait "$SERVER" || true
  fi
  if kill -0 "$SINK" 2>/dev/null; then
    kill -TERM "$SINK"
    wait "$SINK" || true
  fi
}
trap stop_server EXIT
for _ in $(seq 150); do
  curl -sf "http://$ADDR/readyz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { log "relais serve exited; see $OUT/serve.log"; exit 1; }
  sleep 0.2
done
curl -sf "http://$ADDR/readyz" >/dev/null || { log "relais serve not ready after 30 s"; exit 1; }

lg() { "$RELAIS" loadgen --url "$URL" --secret "$SECRET" "$@"; }

# Warm-up: fill the server's caches (funding totals, quartiers, callers) and
# the database's buffers at a rate the cold server absorbs; a cold server
# under full load spends its first seconds recomputing (see the docs).
log "warm-up: mixed 100/s for 20 s, then 300/s for 10 s"
lg --mix quartier,financement,chercher --rate 100 --duration 20s --label warmup-cold --timeline >"$OUT/warmup.txt"
lg --mix quartier,financement --rate 300 --duration 10s --label warmup-300 >>"$OUT/warmup.txt"

log "quartier+financement at 300/s for $STEP"
lg --mix quartier,financement --rate 300 --duration "$STEP" --pid "$SERVER" --label qf300 --timeline | tee "$OUT/qf300.txt" >&2
log "chercher at 50/s for $STEP"
lg --mix chercher --rate 50 --duration "$STEP" --pid "$SERVER" --label search50 --timeline | tee "$OUT/search50.txt" >&2
# A check-in round for every synthetic Table: its DMs go out under the
# stand-in's limit while partners keep asking at 300/s. Before the ramp,
# whose overload leaves the server's heap larger than any fan-out needs.
log "check-in fan-out: one round for every Table, quartier+financement at 300/s meanwhile"
slug="bench-$(date +%s)"
"$RELAIS" checkin create --name "Bench $slug" --cron "0 9 * * *" --nth-weekday 1 --weekday 2 >"$OUT/fanout-create.txt" 2>&1 \
  || { log "checkin create failed: $(cat "$OUT/fanout-create.txt")"; exit 1; }
slug=$(sed -n 's/^created \([a-z0-9-]*\) .*/\1/p' "$OUT/fanout-create.txt" | head -1)
expected=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM people WHERE answers_checkins AND active")
before=$(curl -sf "http://$SINK_ADDR/stats" | sed -n 's/.*"keys":\([0-9]*\).*/\1/p')
lg --mix quartier,financement --rate 300 --duration 30s --pid "$SERVER" --label fanout300 >"$OUT/fanout300.txt" &
LOAD=$!
"$RELAIS" checkin run "$slug" >"$OUT/fanout-run.txt" 2>&1 || { log "checkin run failed: $(cat "$OUT/fanout-run.txt")"; exit 1; }
for _ in $(seq 600); do
  keys=$(curl -sf "http://$SINK_ADDR/stats" | sed -n 's/.*"keys":\([0-9]*\).*/\1/p')
  [ $((keys - before)) -ge "$expected" ] && break
  sleep 0.2
done
wait "$LOAD" || true
curl -sf "http://$SINK_ADDR/stats" >"$OUT/fanout-sink.json"
log "fan-out: $(cat "$OUT/fanout-sink.json")"

# Reminders for that round: it is made due for a first reminder now (opened
# the day before, one reminder one working day later, at 0:00 local time),
# which serve's next check-in tick (every minute) queues; the deliveries post
# them under the stand-in's limit. Never on a weekend or a Québec holiday:
# then none goes out, and the summary says so.
log "reminders: the fan-out's round made due for its first reminder, for serve's next tick"
psql "$DATABASE_URL" -q -c "UPDATE checkin_schedules SET reminder_working_days = '{1}' WHERE slug = '$slug'" \
  -c "UPDATE checkin_rounds r SET opened_at = now() - interval '1 day',
      scheduled_for = date_trunc('day', now() AT TIME ZONE 'America/Montreal') AT TIME ZONE 'America/Montreal'
      FROM checkin_schedules s WHERE s.id = r.schedule_id AND s.slug = '$slug' AND r.status = 'open'" >/dev/null
sink_keys() { curl -sf "http://$SINK_ADDR/stats" | sed -n 's/.*"keys":\([0-9]*\).*/\1/p'; }
rem_before=$(sink_keys)
rem_first=""
rem_last=""
for _ in $(seq 900); do # the tick comes within a minute; then ~20 s of posts
  keys=$(sink_keys)
  if [ -z "$rem_first" ] && [ "$keys" -gt "$rem_before" ]; then rem_first=$(date +%s.%N); fi
  if [ $((keys - rem_before)) -ge "$expected" ]; then rem_last=$(date +%s.%N); break; fi
  sleep 0.2
done
rem_sent=$(( $(sink_keys) - rem_before ))
if [ -n "$rem_first" ] && [ -n "$rem_last" ]; then
  rem_s=$(awk -v a="$rem_first" -v b="$rem_last" 'BEGIN { printf "%.1f", b - a }')
else
  rem_s="n/a"
fi
curl -sf "http://$SINK_ADDR/stats" >"$OUT/reminders-sink.json"
psql "$DATABASE_URL" -Atc "SELECT count(*) FILTER (WHERE rm.message_ts IS NOT NULL) || ' of ' || count(*) || ' recorded posted'
  FROM checkin_reminders rm JOIN checkin_recipients rc ON rc.id = rm.recipient_id JOIN checkin_prompts p ON p.id = rc.prompt_id
  JOIN checkin_rounds r ON r.id = p.round_id JOIN checkin_schedules s ON s.id = r.schedule_id WHERE s.slug = '$slug'" >"$OUT/reminders-db.txt"
log "reminders: $rem_sent posted in $rem_s s ($(cat "$OUT/reminders-db.txt"))"

log "ramp: quartier+financement 400/s to 2000/s by 200, $RAMP_STEP each, until p99 passes 100 ms"
lg --mix quartier,financement --ramp 400:2000:200 --duration "$RAMP_STEP" --limit 100ms --pid "$SERVER" --label ramp | tee "$OUT/ramp.txt" >&2

log "query plans (auto_explain)"
"$RELAIS" loadgen --explain >"$OUT/explain.txt"

log "stopping the server"
stop_server
trap - EXIT

# The summary, from the machine-readable lines of each run.
result() { # file label kind field
  grep "^#result label=$2 kind=$3 " "$1" | tr ' ' '\n' | sed -n "s/^$4=//p"
}
rss() { grep '^#rss ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }

{
  echo
  echo "Relais benchmark summary ($(nproc) cores; PostgreSQL, relais serve and the load generator on this one machine)"
  echo
  printf "seed --synthetic: %s s%s (target < 120 s)\n\n" "$seed_s" "$seed_note"
  printf "%-34s %8s %8s %8s %8s %8s %7s  %s\n" "run" "due" "p50" "p90" "p99" "max" "failed" "target"
  row() { # file label kind target
    printf "%-34s %8s %8s %8s %8s %8s %7s  %s\n" "$2 $3" "$(result "$1" "$2" "$3" due)" \
      "$(result "$1" "$2" "$3" p50_ms)" "$(result "$1" "$2" "$3" p90_ms)" "$(result "$1" "$2" "$3" p99_ms)" \
      "$(result "$1" "$2" "$3" max_ms)" "$(result "$1" "$2" "$3" failed)" "$4"
  }
  row "$OUT/qf300.txt" qf300 quartier "p99 <= 20 ms"
  row "$OUT/qf300.txt" qf300 financement "p99 <= 20 ms"
  row "$OUT/search50.txt" search50 chercher "p99 <= 150 ms"
  echo "(latencies in ms, from each request's scheduled time to the last byte of its reply)"
  echo
  grep '^#ramp ' "$OUT/ramp.txt" | sed 's/^#ramp /ramp (target: >= 1000\/s before p99 > 100 ms): /'
  max_kb=0
  for f in "$OUT/qf300.txt" "$OUT/search50.txt" "$OUT/ramp.txt"; do
    kb=$(rss "$f" max_kb)
    [ "${kb:-0}" -gt "$max_kb" ] && max_kb=$kb
  done
  echo "server RSS under load: max sampled $(mib "$max_kb"); peak since start incl. warm-up (VmHWM) $(mib "$(rss "$OUT/ramp.txt" peak_kb)") (target <= 80 MB)"
  slowest() { grep -h '^#result' "$@" | tr ' ' '\n' | sed -n 's/^max_ms=//p' | sort -g | tail -1; }
  echo "slowest reply: $(slowest "$OUT/qf300.txt" "$OUT/search50.txt") ms at the target rates, $(slowest "$OUT/ramp.txt") ms in the whole ramp (Slack's limit: 3000 ms)"
  echo
  sink() { sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p" "$OUT/fanout-sink.json"; }
  echo
  printf "check-in fan-out: %s DMs expected, %s delivered, %s duplicated, %s refused with 429, %s s from first to last post (target <= 22 s for 1,000 at 50/s)\n" \
    "$expected" "$(( $(sink keys) - before ))" "$(sink duplicated)" "$(sink rate_limited)" "$(sink seconds)"
  row "$OUT/fanout300.txt" fanout300 quartier "p99 <= 20 ms during the fan-out"
  row "$OUT/fanout300.txt" fanout300 financement "p99 <= 20 ms during the fan-out"
  echo "server RSS during the fan-out: max sampled $(mib "$(rss "$OUT/fanout300.txt" max_kb)") (target <= 80 MB)"
  printf "check-in reminders: %s expected, %s posted (%s), %s s from the first seen to the last (polled every 0.2 s; target <= 22 s for 1,000 at 50/s; none on a weekend or holiday)\n" \
    "$expected" "$rem_sent" "$(cat "$OUT/reminders-db.txt")" "$rem_s"
  echo
  echo "details: $OUT/{machine,seed,warmup,qf300,search50,ramp,fanout300,fanout-sink.json,reminders-sink.json,reminders-db,explain}.txt"
} | tee "$OUT/summary.txt"
